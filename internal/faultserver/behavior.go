package faultserver

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Fault is the kind of failure that a failing request gets.
type Fault string

// The faults a Behavior can script.
const (
	// FaultStatus sends a FailStatus response, 503 unless set, with a
	// Retry-After header when RetryAfter is set. It is the zero Fault.
	FaultStatus Fault = ""

	// FaultReset sends the headers of a 200 response and half its body,
	// then resets the TCP connection (RST), so the client reads
	// ECONNRESET in the middle of the body.
	FaultReset Fault = "reset"

	// FaultCut sends the headers of a 200 response with the full
	// Content-Length and half the body, then closes the connection
	// normally (FIN), so the client reads io.ErrUnexpectedEOF.
	FaultCut Fault = "cut"

	// FaultStall sends the headers of a 200 response and the first bytes
	// of its body, then sends nothing more until the client goes away or
	// the server stops.
	FaultStall Fault = "stall"

	// FaultTrickle sends a 200 response whose body arrives
	// TrickleBytes at a time, one slice every Trickle, or every 100 ms
	// when Trickle is zero.
	FaultTrickle Fault = "trickle"

	// FaultHang reads the request and never responds, until the client
	// goes away or the server stops: a black hole behind an open
	// connection.
	FaultHang Fault = "hang"
)

func (f Fault) valid() bool {
	switch f {
	case FaultStatus, FaultReset, FaultCut, FaultStall, FaultTrickle, FaultHang:
		return true
	}
	return false
}

// Behavior is a script of the server's responses to the requests of one
// path. The zero Behavior sends 200 with a small JSON body at once.
type Behavior struct {
	// Status is the status of a successful response. Zero means 200.
	Status int

	// Bytes is the size of the JSON body of a successful response. Zero,
	// or a size below the shortest body the server writes (about 20
	// bytes), gives that shortest body.
	Bytes int

	// Delay is the wait before a successful response's headers.
	Delay time.Duration

	// Trickle, when positive, writes the body of a successful response,
	// and of a FaultTrickle failure, TrickleBytes at a time with a pause
	// of Trickle between slices.
	Trickle time.Duration

	// TrickleBytes is the size of each slice of a trickled body. Zero
	// means 16.
	TrickleBytes int

	// FailFirst is the number of requests with the same path and query
	// that fail before any succeeds.
	FailFirst int

	// FailRate is the probability, from 0 to 1, that a request after the
	// first FailFirst fails. 1 makes every request fail.
	FailRate float64

	// Seed seeds the generator that FailRate draws from, one generator per
	// path and query, so that a run can be repeated.
	Seed uint64

	// Fail is the kind of failure of a failing request. The zero value is
	// FaultStatus.
	Fail Fault

	// FailStatus is the status of a FaultStatus failure. Zero means 503.
	FailStatus int

	// RetryAfter, when set, is sent as the Retry-After header of a
	// FaultStatus failure, for example "1" or an HTTP date.
	RetryAfter string
}

// Validate reports whether b is usable, naming the invalid field.
func (b Behavior) Validate() error {
	switch {
	case b.Status != 0 && (b.Status < 200 || b.Status > 599):
		return fmt.Errorf("faultserver: Status %d is not a final HTTP status; use 200 to 599", b.Status)
	case b.FailStatus != 0 && (b.FailStatus < 200 || b.FailStatus > 599):
		return fmt.Errorf("faultserver: FailStatus %d is not a final HTTP status; use 200 to 599", b.FailStatus)
	case b.Bytes < 0:
		return fmt.Errorf("faultserver: Bytes %d is negative", b.Bytes)
	case b.Delay < 0 || b.Trickle < 0:
		return fmt.Errorf("faultserver: Delay %v or Trickle %v is negative", b.Delay, b.Trickle)
	case b.TrickleBytes < 0:
		return fmt.Errorf("faultserver: TrickleBytes %d is negative", b.TrickleBytes)
	case b.FailFirst < 0:
		return fmt.Errorf("faultserver: FailFirst %d is negative", b.FailFirst)
	case !(b.FailRate >= 0 && b.FailRate <= 1):
		return fmt.Errorf("faultserver: FailRate %v is outside [0, 1]", b.FailRate)
	case !b.Fail.valid():
		return fmt.Errorf("faultserver: Fail %q is not a fault; use one of reset, cut, stall, trickle, hang or leave it empty for a status", b.Fail)
	}
	return nil
}

func (b Behavior) status() int {
	if b.Status == 0 {
		return 200
	}
	return b.Status
}

func (b Behavior) failStatus() int {
	if b.FailStatus == 0 {
		return 503
	}
	return b.FailStatus
}

func (b Behavior) trickleBytes() int {
	if b.TrickleBytes == 0 {
		return 16
	}
	return b.TrickleBytes
}

func (b Behavior) trickle() time.Duration {
	if b.Trickle == 0 {
		return 100 * time.Millisecond
	}
	return b.Trickle
}

// ParseBehavior reads a Behavior from query parameters, one per field:
//
//	status        Status, such as 201
//	bytes         Bytes
//	delay         Delay, a Go duration such as 50ms
//	trickle       Trickle, a Go duration
//	trickle_bytes TrickleBytes
//	fail_first    FailFirst
//	fail_rate     FailRate, such as 0.1
//	seed          Seed
//	fail          Fail: reset, cut, stall, trickle or hang
//	fail_status   FailStatus
//	retry_after   RetryAfter
//
// Other parameters are ignored, so a request can carry its own, such as
// an id that gives it a failure count of its own. It returns an error
// naming the parameter that is invalid.
func ParseBehavior(q url.Values) (Behavior, error) {
	var b Behavior
	ints := []struct {
		name string
		dst  *int
	}{
		{"status", &b.Status},
		{"bytes", &b.Bytes},
		{"trickle_bytes", &b.TrickleBytes},
		{"fail_first", &b.FailFirst},
		{"fail_status", &b.FailStatus},
	}
	for _, p := range ints {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return Behavior{}, fmt.Errorf("faultserver: query parameter %s=%q is not an integer", p.name, v)
			}
			*p.dst = n
		}
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"delay", &b.Delay},
		{"trickle", &b.Trickle},
	}
	for _, p := range durations {
		if v := q.Get(p.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return Behavior{}, fmt.Errorf("faultserver: query parameter %s=%q is not a duration such as 50ms", p.name, v)
			}
			*p.dst = d
		}
	}
	if v := q.Get("fail_rate"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Behavior{}, fmt.Errorf("faultserver: query parameter fail_rate=%q is not a number", v)
		}
		b.FailRate = f
	}
	if v := q.Get("seed"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Behavior{}, fmt.Errorf("faultserver: query parameter seed=%q is not an unsigned integer", v)
		}
		b.Seed = s
	}
	b.Fail = Fault(q.Get("fail"))
	b.RetryAfter = q.Get("retry_after")
	return b, b.Validate()
}

// Query returns the query parameters that ParseBehavior reads back as b,
// leaving out fields at their zero value.
func (b Behavior) Query() url.Values {
	q := url.Values{}

	setInt := func(name string, v int) {
		if v != 0 {
			q.Set(name, strconv.Itoa(v))
		}
	}
	setInt("status", b.Status)
	setInt("bytes", b.Bytes)
	setInt("trickle_bytes", b.TrickleBytes)
	setInt("fail_first", b.FailFirst)
	setInt("fail_status", b.FailStatus)

	if b.Delay != 0 {
		q.Set("delay", b.Delay.String())
	}
	if b.Trickle != 0 {
		q.Set("trickle", b.Trickle.String())
	}

	if b.FailRate != 0 {
		q.Set("fail_rate", strconv.FormatFloat(b.FailRate, 'g', -1, 64))
	}
	if b.Seed != 0 {
		q.Set("seed", strconv.FormatUint(b.Seed, 10))
	}
	if b.Fail != FaultStatus {
		q.Set("fail", string(b.Fail))
	}
	if b.RetryAfter != "" {
		q.Set("retry_after", b.RetryAfter)
	}
	return q
}
