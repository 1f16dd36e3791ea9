package middleware_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy/middleware"
)

// fixedRand returns a Rand function that always returns x.
func fixedRand(x float64) func() float64 {
	return func() float64 { return x }
}

// justBelowOne is the largest float64 below 1, the top of what a Rand
// function may return.
var justBelowOne = math.Nextafter(1, 0)

func TestBackoffNominalDefaults(t *testing.T) {
	var b middleware.Backoff
	tests := []struct {
		retry int
		want  time.Duration
	}{
		{-1, time.Second},
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 16 * time.Second},
		{6, 30 * time.Second},
		{7, 30 * time.Second},
		{100, 30 * time.Second},
		{math.MaxInt, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := b.Nominal(tt.retry); got != tt.want {
			t.Errorf("Nominal(%d): got %v, want %v", tt.retry, got, tt.want)
		}
	}
}

func TestBackoffNominalMax(t *testing.T) {
	tests := []struct {
		name    string
		backoff middleware.Backoff
		retry   int
		want    time.Duration
	}{
		{"below max", middleware.Backoff{Base: 100 * time.Millisecond, Max: time.Second}, 4, 800 * time.Millisecond},
		{"capped", middleware.Backoff{Base: 100 * time.Millisecond, Max: time.Second}, 5, time.Second},
		{"max equals base", middleware.Backoff{Base: time.Second, Max: time.Second}, 3, time.Second},
		{"base above default max", middleware.Backoff{Base: time.Minute}, 1, time.Minute},
		{"base above default max later", middleware.Backoff{Base: time.Minute}, 4, time.Minute},
		{"default base with max", middleware.Backoff{Max: 5 * time.Second}, 4, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.backoff.Nominal(tt.retry); got != tt.want {
				t.Errorf("Nominal(%d): got %v, want %v", tt.retry, got, tt.want)
			}
		})
	}
}

func TestBackoffWaitProportionalJitter(t *testing.T) {
	tests := []struct {
		name   string
		random float64
		low    float64 // lowest factor of the nominal wait
		high   float64 // highest factor of the nominal wait
	}{
		{"random 0", 0, 0.75, 0.75},
		{"random 0.5", 0.5, 1, 1},
		{"random just below 1", justBelowOne, 1.2499, 1.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := middleware.Backoff{Jitter: middleware.ProportionalJitter(0.25), Rand: fixedRand(tt.random)}
			for retry := 1; retry <= 7; retry++ {
				nominal := float64(b.Nominal(retry))
				got := float64(b.Wait(retry))
				if got < nominal*tt.low || got > nominal*tt.high {
					t.Errorf("Wait(%d): got %v, want within [%v, %v]", retry,
						time.Duration(got), time.Duration(nominal*tt.low), time.Duration(nominal*tt.high))
				}
			}
		})
	}
}

func TestBackoffWaitDefaultJitter(t *testing.T) {
	// A nil Jitter spreads waits by ±DefaultJitterFraction.
	low := middleware.Backoff{Rand: fixedRand(0)}
	if got, want := low.Wait(1), 750*time.Millisecond; got != want {
		t.Errorf("Wait(1) with random 0: got %v, want %v", got, want)
	}
	high := middleware.Backoff{Rand: fixedRand(justBelowOne)}
	if got := high.Wait(1); got <= 1249*time.Millisecond || got > 1250*time.Millisecond {
		t.Errorf("Wait(1) with random just below 1: got %v, want within (1.249s, 1.25s]", got)
	}
}

func TestBackoffWaitDefaultRandStaysInBand(t *testing.T) {
	// A nil Rand draws from math/rand/v2.
	var b middleware.Backoff
	for i := 0; i < 1000; i++ {
		got := b.Wait(2)
		if got < 1500*time.Millisecond || got > 2500*time.Millisecond {
			t.Fatalf("Wait(2): got %v, want within [1.5s, 2.5s]", got)
		}
	}
}

func TestBackoffWaitClampsFaultyRand(t *testing.T) {
	// A Rand outside [0, 1) must not push a wait outside the jitter band.
	for _, random := range []float64{-1, 1, 2, math.Inf(1), math.Inf(-1), math.NaN()} {
		b := middleware.Backoff{Rand: fixedRand(random)}
		got := b.Wait(1)
		if got < 750*time.Millisecond || got > 1250*time.Millisecond {
			t.Errorf("Wait(1) with random %v: got %v, want within [750ms, 1.25s]", random, got)
		}
	}
}

func TestFullJitter(t *testing.T) {
	tests := []struct {
		name   string
		random float64
		want   time.Duration
	}{
		{"random 0 gives the nominal wait", 0, 8 * time.Second},
		{"random 0.5 gives half", 0.5, 4 * time.Second},
		{"random 0.75 gives a quarter", 0.75, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := middleware.Backoff{Jitter: middleware.FullJitter{}, Rand: fixedRand(tt.random)}
			if got := b.Wait(4); got != tt.want {
				t.Errorf("Wait(4): got %v, want %v", got, tt.want)
			}
		})
	}

	// The top of the random range gives a very short, but positive, wait.
	b := middleware.Backoff{Base: time.Nanosecond, Jitter: middleware.FullJitter{}, Rand: fixedRand(justBelowOne)}
	if got := b.Wait(1); got != time.Nanosecond {
		t.Errorf("Wait(1) of 1ns with random just below 1: got %v, want 1ns", got)
	}
}

func TestNoJitter(t *testing.T) {
	for _, random := range []float64{0, 0.5, justBelowOne} {
		b := middleware.Backoff{Jitter: middleware.NoJitter{}, Rand: fixedRand(random)}
		for retry := 1; retry <= 6; retry++ {
			if got, want := b.Wait(retry), b.Nominal(retry); got != want {
				t.Errorf("Wait(%d) with random %v: got %v, want %v", retry, random, got, want)
			}
		}
	}
}

func TestBackoffWaitNeverOverflows(t *testing.T) {
	backoffs := []struct {
		name    string
		backoff middleware.Backoff
	}{
		{"base 1ns default max", middleware.Backoff{Base: time.Nanosecond}},
		{"base 1ns max 1ns", middleware.Backoff{Base: time.Nanosecond, Max: time.Nanosecond}},
		{"base 1ns max MaxInt64", middleware.Backoff{Base: time.Nanosecond, Max: math.MaxInt64}},
		{"base 1s max MaxInt64", middleware.Backoff{Base: time.Second, Max: math.MaxInt64}},
		{"base MaxInt64", middleware.Backoff{Base: math.MaxInt64}},
		{"defaults", middleware.Backoff{}},
	}
	retries := []int{1, 62, 63, 64, math.MaxInt}
	jitters := []struct {
		name     string
		jitter   middleware.Jitter
		fraction float64 // how far above the nominal wait the jitter may go
	}{
		{"proportional", middleware.ProportionalJitter(0.25), 0.25},
		{"full", middleware.FullJitter{}, 0},
		{"none", middleware.NoJitter{}, 0},
	}
	for _, bt := range backoffs {
		for _, jt := range jitters {
			t.Run(bt.name+" "+jt.name, func(t *testing.T) {
				for _, random := range []float64{0, 0.5, justBelowOne} {
					b := bt.backoff
					b.Jitter, b.Rand = jt.jitter, fixedRand(random)
					limit := b.Nominal(math.MaxInt)
					for _, retry := range retries {
						got := b.Wait(retry)
						if got <= 0 {
							t.Errorf("Wait(%d) with random %v: got %v, want a positive wait", retry, random, got)
						}
						if float64(got) > float64(limit)*(1+jt.fraction) {
							t.Errorf("Wait(%d) with random %v: got %v, want at most %v × %v",
								retry, random, got, limit, 1+jt.fraction)
						}
					}
				}
			})
		}
	}
}

func TestBackoffNominalReachesMax(t *testing.T) {
	// Nominal of a huge retry number is the cap, which the overflow test
	// above relies on.
	tests := []struct {
		backoff middleware.Backoff
		want    time.Duration
	}{
		{middleware.Backoff{}, middleware.DefaultMaxWait},
		{middleware.Backoff{Base: time.Nanosecond, Max: math.MaxInt64}, math.MaxInt64},
		{middleware.Backoff{Base: time.Minute}, time.Minute},
	}
	for _, tt := range tests {
		if got := tt.backoff.Nominal(math.MaxInt); got != tt.want {
			t.Errorf("Backoff{Base: %v, Max: %v}.Nominal(MaxInt): got %v, want %v",
				tt.backoff.Base, tt.backoff.Max, got, tt.want)
		}
	}
}

func TestBackoffValidate(t *testing.T) {
	tests := []struct {
		name    string
		backoff middleware.Backoff
		mention []string // nil means valid
	}{
		{"zero value uses defaults", middleware.Backoff{}, nil},
		{"zero base uses default", middleware.Backoff{Max: 5 * time.Second}, nil},
		{"max equals base", middleware.Backoff{Base: time.Second, Max: time.Second}, nil},
		{"base above default max", middleware.Backoff{Base: time.Minute}, nil},
		{"jitter zero", middleware.Backoff{Jitter: middleware.ProportionalJitter(0)}, nil},
		{"jitter just below one", middleware.Backoff{Jitter: middleware.ProportionalJitter(0.99)}, nil},
		{"full jitter", middleware.Backoff{Jitter: middleware.FullJitter{}}, nil},
		{"no jitter", middleware.Backoff{Jitter: middleware.NoJitter{}}, nil},
		{
			"negative base",
			middleware.Backoff{Base: -time.Second},
			[]string{"base wait -1s is negative", "use a positive duration such as 1s"},
		},
		{
			"negative max",
			middleware.Backoff{Max: -time.Millisecond},
			[]string{"maximum wait -1ms is negative", "use a positive duration such as 30s"},
		},
		{
			"max below base",
			middleware.Backoff{Base: 2 * time.Second, Max: time.Second},
			[]string{"maximum wait 1s is below the base wait 2s", "raise the maximum or lower the base"},
		},
		{
			"max below default base",
			middleware.Backoff{Max: 500 * time.Millisecond},
			[]string{"maximum wait 500ms is below the base wait 1s"},
		},
		{
			"negative jitter",
			middleware.Backoff{Jitter: middleware.ProportionalJitter(-0.1)},
			[]string{"jitter fraction -0.1 is outside [0, 1)", "use a value such as 0.25"},
		},
		{
			"jitter one",
			middleware.Backoff{Jitter: middleware.ProportionalJitter(1)},
			[]string{"jitter fraction 1 is outside [0, 1)", "use a value such as 0.25"},
		},
		{
			"jitter above one",
			middleware.Backoff{Jitter: middleware.ProportionalJitter(1.5)},
			[]string{"jitter fraction 1.5 is outside"},
		},
		{
			"jitter NaN",
			middleware.Backoff{Jitter: middleware.ProportionalJitter(math.NaN())},
			[]string{"jitter fraction NaN is outside"},
		},
		{
			"jitter infinite",
			middleware.Backoff{Jitter: middleware.ProportionalJitter(math.Inf(1))},
			[]string{"jitter fraction +Inf is outside"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.backoff.Validate()
			if tt.mention == nil {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			requireErrorMentions(t, err, tt.mention...)
		})
	}
}

func TestLockedRandConcurrentUse(t *testing.T) {
	random := middleware.LockedRand(rand.New(rand.NewPCG(1, 2)))
	b := middleware.Backoff{Rand: random}

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if x := random(); x < 0 || x >= 1 {
					t.Errorf("random: got %v, want within [0, 1)", x)
					return
				}
				if w := b.Wait(1); w < 750*time.Millisecond || w > 1250*time.Millisecond {
					t.Errorf("Wait(1): got %v, want within [750ms, 1.25s]", w)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLockedRandSeededIsReproducible(t *testing.T) {
	first := middleware.Backoff{Rand: middleware.LockedRand(rand.New(rand.NewPCG(7, 7)))}
	second := middleware.Backoff{Rand: middleware.LockedRand(rand.New(rand.NewPCG(7, 7)))}
	for retry := 1; retry <= 6; retry++ {
		if a, b := first.Wait(retry), second.Wait(retry); a != b {
			t.Errorf("Wait(%d) with equal seeds: got %v and %v, want equal waits", retry, a, b)
		}
	}
}

// FuzzBackoffWait checks that Wait never panics and always returns a
// positive wait, and, for a valid backoff, a wait no longer than the cap
// spread by the jitter.
func FuzzBackoffWait(f *testing.F) {
	f.Add(int64(0), int64(0), 1, uint8(0), 0.25, 0.5)
	f.Add(int64(1), int64(0), 64, uint8(0), 0.25, 0.999)
	f.Add(int64(1), int64(math.MaxInt64), 63, uint8(0), 0.99, 0.999)
	f.Add(int64(time.Second), int64(time.Second), math.MaxInt, uint8(1), 0.0, 0.0)
	f.Add(int64(math.MaxInt64), int64(0), -5, uint8(2), 0.0, 0.3)
	f.Add(int64(-1), int64(-1), 0, uint8(0), -0.5, -1.0)
	f.Add(int64(time.Millisecond), int64(time.Minute), 20, uint8(0), math.NaN(), math.NaN())
	f.Add(int64(time.Millisecond), int64(time.Minute), 20, uint8(0), 0.5, math.Inf(1))

	f.Fuzz(func(t *testing.T, baseNanos, maxNanos int64, retry int, kind uint8, fraction, random float64) {
		b := middleware.Backoff{
			Base: time.Duration(baseNanos),
			Max:  time.Duration(maxNanos),
			Rand: fixedRand(random),
		}
		spread := 0.0
		switch kind % 3 {
		case 0:
			b.Jitter = middleware.ProportionalJitter(fraction)
			spread = fraction
		case 1:
			b.Jitter = middleware.FullJitter{}
		case 2:
			b.Jitter = middleware.NoJitter{}
		}

		got := b.Wait(retry)

		if got <= 0 {
			t.Fatalf("Wait(%d) of %+v: got %v, want a positive wait", retry, b, got)
		}
		if b.Validate() != nil {
			return
		}
		limit := b.Max
		if limit == 0 {
			limit = capWithoutMax(b.Base)
		}
		// The factor allows for rounding in the jitter's float arithmetic.
		if float64(got) > float64(limit)*(1+spread)*(1+1e-12) {
			t.Fatalf("Wait(%d) of %+v: got %v, want at most %v × %v", retry, b, got, limit, 1+spread)
		}
	})
}

// capWithoutMax returns the cap of a backoff whose Max is zero: its base
// wait, or DefaultMaxWait when that is larger.
func capWithoutMax(base time.Duration) time.Duration {
	if base == 0 {
		base = middleware.DefaultBaseWait
	}
	return max(base, middleware.DefaultMaxWait)
}
