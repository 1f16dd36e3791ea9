package middleware

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"
)

// Default backoff settings.
const (
	// DefaultBaseWait is the nominal wait before the first retry.
	DefaultBaseWait = time.Second
	// DefaultMaxWait caps the nominal wait before jitter is applied.
	DefaultMaxWait = 30 * time.Second
	// DefaultJitterFraction is the spread of the default jitter: each wait
	// is multiplied by a uniform factor in [0.75, 1.25].
	DefaultJitterFraction = 0.25
)

// Backoff computes capped exponential waits with jitter. The nominal wait
// before retry n (counted from 1) is
//
//	min(Base × 2^(n−1), Max)
//
// and Jitter then spreads it. With the defaults the nominal waits are:
//
//	retry    1    2    3    4     5     6 and later
//	wait     1s   2s   4s   8s    16s   30s
//
// and each is multiplied by a factor drawn uniformly from [0.75, 1.25].
//
// The zero value uses the defaults. A Backoff is safe for concurrent use
// when its Rand is.
type Backoff struct {
	// Base is the nominal wait before the first retry. Zero means
	// DefaultBaseWait; a negative value is invalid.
	Base time.Duration

	// Max caps the nominal wait. Zero means DefaultMaxWait, or Base when
	// Base is larger than DefaultMaxWait. A value below Base is invalid.
	Max time.Duration

	// Jitter spreads each wait. Nil means ProportionalJitter with
	// DefaultJitterFraction; use NoJitter for exact waits.
	Jitter Jitter

	// Rand returns uniform numbers in [0, 1). Nil means the top-level
	// Float64 of math/rand/v2. It must be safe for concurrent use; wrap a
	// *rand.Rand with LockedRand.
	Rand func() float64
}

// Validate reports whether b is usable, naming the invalid field and the
// fix.
func (b Backoff) Validate() error {
	if b.Base < 0 {
		return fmt.Errorf("middleware: backoff base wait %v is negative; use a positive duration such as %v", b.Base, DefaultBaseWait)
	}
	if b.Max < 0 {
		return fmt.Errorf("middleware: backoff maximum wait %v is negative; use a positive duration such as %v", b.Max, DefaultMaxWait)
	}
	if b.Max != 0 && b.Max < b.base() {
		return fmt.Errorf("middleware: backoff maximum wait %v is below the base wait %v; raise the maximum or lower the base", b.Max, b.base())
	}
	if b.Jitter != nil && IsNilValue(b.Jitter) {
		return fmt.Errorf("middleware: backoff jitter is a nil %T; pass a value such as ProportionalJitter(0.25), FullJitter{} or NoJitter{}", b.Jitter)
	}
	if v, ok := b.Jitter.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// IsNilValue reports whether v is nil or an interface holding a nil
// pointer, map, slice, channel or function, which a plain v == nil check
// misses.
func IsNilValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func (b Backoff) base() time.Duration {
	if b.Base == 0 {
		return DefaultBaseWait
	}
	return b.Base
}

func (b Backoff) max() time.Duration {
	switch {
	case b.Max != 0:
		return b.Max
	case b.base() > DefaultMaxWait:
		return b.base()
	default:
		return DefaultMaxWait
	}
}

// Nominal returns the wait before retry n without jitter. Values of n
// below 1 count as 1. It never overflows: the result is at most the
// maximum wait.
func (b Backoff) Nominal(n int) time.Duration {
	base, limit := b.base(), b.max()
	if n < 1 {
		n = 1
	}
	shift := n - 1
	// base << shift stays within limit only while base <= limit >> shift;
	// a shift of 63 or more would drop every bit of a positive duration.
	if shift >= 63 || base > limit>>shift {
		return limit
	}
	return base << shift
}

// Wait returns the wait before retry n with jitter applied. The result is
// always at least one nanosecond.
func (b Backoff) Wait(n int) time.Duration {
	jitter := b.Jitter
	if jitter == nil || IsNilValue(jitter) {
		jitter = ProportionalJitter(DefaultJitterFraction)
	}
	d := jitter.Apply(b.Nominal(n), b.random())
	if d < time.Nanosecond {
		return time.Nanosecond
	}
	return d
}

// random returns a uniform number in [0, 1) from Rand, or from
// math/rand/v2 when Rand is nil. A faulty Rand cannot push it outside.
func (b Backoff) random() float64 {
	if b.Rand == nil {
		return rand.Float64()
	}
	return clampUnit(b.Rand())
}

// Jitter spreads a nominal wait so that clients which failed together do
// not retry together. Implementations must return a positive duration for
// a positive d and must not panic for any d or random.
type Jitter interface {
	// Apply returns the wait for nominal wait d, given random, a uniform
	// number in [0, 1).
	Apply(d time.Duration, random float64) time.Duration
}

// ProportionalJitter multiplies a wait by a uniform factor in
// [1 − f, 1 + f], where f is the value of the ProportionalJitter. The
// default, 0.25, gives ±25%. Valid values are in [0, 1).
type ProportionalJitter float64

// Apply implements Jitter.
func (f ProportionalJitter) Apply(d time.Duration, random float64) time.Duration {
	factor := 1 - float64(f) + 2*float64(f)*clampUnit(random)
	return scale(d, factor)
}

// Validate reports whether f is in [0, 1).
func (f ProportionalJitter) Validate() error {
	if !(f >= 0 && f < 1) { // also rejects NaN
		return fmt.Errorf("middleware: jitter fraction %v is outside [0, 1); use a value such as %v for ±%v%%", float64(f), DefaultJitterFraction, DefaultJitterFraction*100)
	}
	return nil
}

// FullJitter draws the wait uniformly from (0, d], which spreads retries
// the most at the cost of some very short waits.
type FullJitter struct{}

// Apply implements Jitter.
func (FullJitter) Apply(d time.Duration, random float64) time.Duration {
	return scale(d, 1-clampUnit(random))
}

// NoJitter leaves waits exactly at their nominal value.
type NoJitter struct{}

// Apply implements Jitter.
func (NoJitter) Apply(d time.Duration, _ float64) time.Duration { return d }

// LockedRand returns a Rand function for Backoff that draws from r under a
// mutex, since a *rand.Rand is not safe for concurrent use. A seeded r
// makes waits reproducible in tests.
func LockedRand(r *rand.Rand) func() float64 {
	var mu sync.Mutex
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

// clampUnit maps any float into [0, 1), treating NaN as 0, so that a
// faulty random source cannot produce a negative or huge wait.
func clampUnit(x float64) float64 {
	switch {
	case !(x >= 0): // negative or NaN
		return 0
	case x >= 1:
		return math.Nextafter(1, 0)
	default:
		return x
	}
}

// scale multiplies d by factor, saturating instead of overflowing.
func scale(d time.Duration, factor float64) time.Duration {
	v := float64(d) * factor
	if v >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	if !(v >= 1) { // below a nanosecond, or NaN
		return time.Nanosecond
	}
	return time.Duration(v)
}
