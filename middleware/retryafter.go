package middleware

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HeaderRetryAfter is the response header in which a server states how
// long a client should wait before its next request.
const HeaderRetryAfter = "Retry-After"

// DefaultMaxRetryAfter is the longest wait that a Retry-After header may
// request before RetryConfig.RetryAfterPolicy applies.
const DefaultMaxRetryAfter = 60 * time.Second

// RetryAfterPolicy sets what the Retry middleware does with a Retry-After
// header.
type RetryAfterPolicy int

const (
	// ClampRetryAfter waits as long as the server requests, up to the
	// maximum, and waits the maximum when the server requests more.
	ClampRetryAfter RetryAfterPolicy = iota

	// FailRetryAfter waits as long as the server requests, up to the
	// maximum, and ends the call with a *RetryAfterError when the server
	// requests more.
	FailRetryAfter

	// IgnoreRetryAfter times every retry with the backoff, whatever the
	// server requests.
	IgnoreRetryAfter
)

// String returns the constant's name.
func (p RetryAfterPolicy) String() string {
	switch p {
	case ClampRetryAfter:
		return "ClampRetryAfter"
	case FailRetryAfter:
		return "FailRetryAfter"
	case IgnoreRetryAfter:
		return "IgnoreRetryAfter"
	default:
		return fmt.Sprintf("RetryAfterPolicy(%d)", int(p))
	}
}

// RetryAfterError is the reason in a call's error when a server requested,
// through Retry-After, a wait longer than the maximum and the policy is
// FailRetryAfter.
type RetryAfterError struct {
	// Requested is the wait the server requested.
	Requested time.Duration
	// Max is the longest wait the client accepts.
	Max time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("sturdy: server requested a wait of %v through Retry-After, above the maximum of %v; raise the maximum (RetryConfig.MaxRetryAfter) or use ClampRetryAfter to wait the maximum instead", e.Requested, e.Max)
}

// honoursRetryAfter reports whether a response with this status may time
// the next retry through Retry-After. RFC 9110 defines the header for 503
// and RFC 6585 for 429; on other statuses it is ignored.
func honoursRetryAfter(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// ParseRetryAfter returns the wait that the Retry-After header values
// request, measured from now. ok is false when they request no usable
// wait:
//
//   - there is no value, or several that differ;
//   - the value is empty, negative, fractional or not a number or date;
//   - the value is 0, or a date at or before now.
//
// A value of digits is a number of seconds, however large: a Unix
// timestamp sent by mistake becomes a wait of decades, which the caller's
// maximum then limits. Waits too long for a time.Duration are returned
// as math.MaxInt64. A date may take any of the three forms that HTTP
// allows: IMF-fixdate, RFC 850 and asctime.
func ParseRetryAfter(values []string, now time.Time) (wait time.Duration, ok bool) {
	if len(values) == 0 {
		return 0, false
	}
	value := strings.TrimSpace(values[0])
	for _, other := range values[1:] {
		if strings.TrimSpace(other) != value {
			return 0, false
		}
	}
	if value == "" {
		return 0, false
	}

	if isDigits(value) {
		secs, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			// Only overflow remains possible for a string of digits.
			return math.MaxInt64, true
		}
		if secs == 0 {
			return 0, false
		}
		if secs > uint64(math.MaxInt64/int64(time.Second)) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}

	date, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	wait = date.Sub(now)
	if wait <= 0 {
		return 0, false
	}
	return wait, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// retryAfterJitter spreads a server-requested wait upward only, by up to
// a tenth of the wait and never more than a second: enough to keep
// clients that received the same value from returning at the same
// instant, and never shorter than the server requested.
func retryAfterJitter(wait time.Duration, random float64) time.Duration {
	spread := min(wait/10, time.Second)
	extra := time.Duration(random * float64(spread))
	if wait > math.MaxInt64-extra {
		return math.MaxInt64
	}
	return wait + extra
}
