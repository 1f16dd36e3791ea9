package middleware

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"syscall"
	"time"
)

// RetryName is the name of the middleware returned by Retry.
const RetryName = "retry"

// DefaultMaxRetries is the number of retries after the first attempt, so a
// request makes at most DefaultMaxRetries + 1 attempts.
const DefaultMaxRetries = 5

// NoRetries, as RetryConfig.MaxRetries, allows a single attempt. It exists
// because the zero value of MaxRetries means DefaultMaxRetries.
const NoRetries = -1

// DefaultRetryStatuses returns the statuses retried by default: 408, 429,
// 500, 502, 503 and 504. Every other status, 400, 401 and 403 included, is
// final. The caller may modify the returned slice.
func DefaultRetryStatuses() []int {
	return []int{
		http.StatusRequestTimeout,
		http.StatusTooManyRequests,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout,
	}
}

// ErrRetriesExhausted is the reason in a call's error when the last
// allowed attempt failed.
var ErrRetriesExhausted = errors.New("sturdy: retries exhausted")

// RetryConfig configures the Retry middleware. The zero value retries
// network errors, timeouts and the DefaultRetryStatuses up to
// DefaultMaxRetries times with the default Backoff.
type RetryConfig struct {
	// MaxRetries is the number of retries after the first attempt. Zero
	// means DefaultMaxRetries and NoRetries means a single attempt. Other
	// negative values are invalid.
	MaxRetries int

	// Backoff times the waits between attempts.
	Backoff Backoff

	// Statuses lists the response statuses to retry. Nil means
	// DefaultRetryStatuses; an empty, non-nil slice retries no status.
	// Network errors and timeouts are retried whatever this list holds.
	Statuses []int

	// RetryIf, when set, marks further attempts as retryable. It extends
	// the built-in conditions and cannot switch them off: an attempt is
	// retried when either returns true.
	RetryIf func(*Attempt) bool
}

// Validate reports whether c is usable, naming the invalid value and the
// fix.
func (c RetryConfig) Validate() error {
	if c.MaxRetries < NoRetries {
		return fmt.Errorf("middleware: MaxRetries %d is negative; use 0 for the default of %d, a positive count, or NoRetries for a single attempt", c.MaxRetries, DefaultMaxRetries)
	}
	for _, s := range c.Statuses {
		if s < 100 || s > 599 {
			return fmt.Errorf("middleware: retry status %d is not an HTTP status; use codes from 100 to 599", s)
		}
	}
	return c.Backoff.Validate()
}

func (c RetryConfig) maxRetries() int {
	switch c.MaxRetries {
	case 0:
		return DefaultMaxRetries
	case NoRetries:
		return 0
	default:
		return c.MaxRetries
	}
}

// Retry returns the retry middleware, named RetryName. It marks network
// errors, per-attempt timeouts and the configured statuses as retryable
// and schedules up to MaxRetries retries with Backoff.
//
// It never retries an attempt that failed because the caller's context was
// cancelled or its deadline passed, nor one that failed certificate
// verification.
func Retry(c RetryConfig) (Middleware, error) {
	if err := c.Validate(); err != nil {
		return Middleware{}, err
	}
	statuses := c.Statuses
	if statuses == nil {
		statuses = DefaultRetryStatuses()
	}
	statuses = slices.Clone(statuses)
	max := c.maxRetries()
	backoff := c.Backoff
	custom := c.RetryIf

	return Middleware{
		Name: RetryName,
		RetryIf: func(a *Attempt) bool {
			if IsRetryable(a, statuses) {
				return true
			}
			return custom != nil && custom(a)
		},
		Schedule: func(a *Attempt) (time.Duration, error) {
			if a.Number > max {
				return 0, ErrRetriesExhausted
			}
			return backoff.Wait(a.Number), nil
		},
	}, nil
}

// IsRetryable reports whether attempt a failed in a way that is worth
// another attempt: a network error, a timeout of the attempt, or a
// response whose status is in statuses.
func IsRetryable(a *Attempt, statuses []int) bool {
	if a.Err != nil {
		return IsTransientError(a.CallContext, a.Err)
	}
	return a.Response != nil && slices.Contains(statuses, a.Response.StatusCode)
}

// IsTransientError reports whether err, returned by a transport, is a
// network error or timeout that a retry may overcome. callCtx is the
// caller's context for the whole call: once it is done, the caller
// cancelled the call or its deadline passed, and nothing is transient.
// Certificate errors are never transient, because a retry cannot fix them.
func IsTransientError(callCtx context.Context, err error) bool {
	if err == nil || isCertificateError(err) {
		return false
	}
	if callCtx != nil && callCtx.Err() != nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // the attempt's own timeout: the caller's is ruled out above
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true // dial, DNS, reset, refused and timeout errors
	}
	return errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}

func isCertificateError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknownCA) ||
		errors.As(err, &hostname) || errors.As(err, &invalid)
}
