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
	"strconv"
	"strings"
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

	// MaxRetryAfter is the longest wait that a Retry-After header may
	// request before RetryAfterPolicy applies. Zero means
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration

	// RetryAfterPolicy sets how Retry-After headers time retries. The
	// zero value is ClampRetryAfter.
	RetryAfterPolicy RetryAfterPolicy

	// RetryNonIdempotent retries POST, PATCH and other non-idempotent
	// requests on every condition, as if each carried an Idempotency-Key.
	// Set it only when the server deduplicates such requests.
	RetryNonIdempotent bool

	// Budget limits retries across every request that the middleware
	// serves. Nil means a new budget with the BudgetConfig defaults, owned
	// by this middleware, unless NoBudget is set.
	Budget *Budget

	// NoBudget turns the retry budget off: every retry that the other
	// settings allow is sent, however many calls are failing.
	NoBudget bool
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
	if c.MaxRetryAfter < 0 {
		return fmt.Errorf("middleware: MaxRetryAfter %v is negative; use 0 for the default of %v or a positive duration", c.MaxRetryAfter, DefaultMaxRetryAfter)
	}
	if c.RetryAfterPolicy < ClampRetryAfter || c.RetryAfterPolicy > IgnoreRetryAfter {
		return fmt.Errorf("middleware: %v is not a Retry-After policy; use ClampRetryAfter, FailRetryAfter or IgnoreRetryAfter", c.RetryAfterPolicy)
	}
	if c.Budget != nil && c.NoBudget {
		return errors.New("middleware: both Budget and NoBudget are set; set Budget to share a budget, or NoBudget to turn budgeting off")
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
// errors, per-attempt timeouts and the configured statuses as retryable,
// and before each retry checks, in order:
//
//   - that the request may be sent again (see IsIdempotent and
//     SafeToRetry), else the call ends with ErrNotIdempotent;
//   - the retry count: MaxRetries, or the request's own count from
//     WithRequestMaxRetries;
//   - the wait: the server's Retry-After on 429 and 503, as
//     RetryAfterPolicy sets, else the Backoff;
//   - that the wait ends before the deadline of the call's context, else
//     the call ends with ErrDeadlineTooClose;
//   - the retry budget, else the call ends with ErrRetryBudgetExhausted.
//
// It never retries an attempt that failed because the caller's context was
// cancelled or its deadline passed, nor one that failed certificate
// verification.
func Retry(c RetryConfig) (Middleware, error) {
	if err := c.Validate(); err != nil {
		return Middleware{}, err
	}
	r := &retrier{config: c, max: c.maxRetries(), budget: c.Budget}
	r.statuses = c.Statuses
	if r.statuses == nil {
		r.statuses = DefaultRetryStatuses()
	}
	r.statuses = slices.Clone(r.statuses)
	if r.config.MaxRetryAfter == 0 {
		r.config.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if r.budget == nil && !c.NoBudget {
		b, err := NewBudget(BudgetConfig{})
		if err != nil {
			return Middleware{}, err
		}
		r.budget = b
	}

	return Middleware{
		Name:          RetryName,
		BeforeAttempt: r.beforeAttempt,
		RetryIf:       r.retryIf,
		Schedule:      r.schedule,
	}, nil
}

// retrier holds the hooks of one Retry middleware.
type retrier struct {
	config   RetryConfig
	statuses []int
	max      int
	budget   *Budget // nil when budgeting is off
}

func (r *retrier) beforeAttempt(a *Attempt) error {
	if a.Number != 1 {
		return nil
	}
	if err := settingsFrom(a.CallContext).validate(); err != nil {
		return err
	}
	if r.budget != nil {
		r.budget.Deposit()
	}
	return nil
}

func (r *retrier) retryIf(a *Attempt) bool {
	if IsRetryable(a, r.statuses) {
		return true
	}
	return r.config.RetryIf != nil && r.config.RetryIf(a)
}

func (r *retrier) schedule(a *Attempt) (time.Duration, error) {
	settings := settingsFrom(a.CallContext)
	limit := r.max
	if settings.hasMaxRetries {
		limit = settings.maxRetries
	}
	// Check safety first, so that a request that may have been processed
	// reports it even when it had no retry left.
	if !r.config.RetryNonIdempotent && !settings.idempotent && !SafeToRetry(a) {
		return 0, ErrNotIdempotent
	}
	if a.Number > limit {
		return 0, ErrRetriesExhausted
	}
	wait, err := r.wait(a)
	if err != nil {
		return 0, err
	}
	// Check the deadline before the budget, so that a retry that cannot
	// happen spends no token.
	if err := CheckDeadline(a.CallContext, wait); err != nil {
		return 0, err
	}
	if r.budget != nil && !r.budget.Withdraw() {
		return 0, ErrRetryBudgetExhausted
	}
	return wait, nil
}

// wait returns the wait before retrying a, from the response's
// Retry-After header where one applies, else from the backoff.
func (r *retrier) wait(a *Attempt) (time.Duration, error) {
	backoff := r.config.Backoff
	if a.Response == nil || r.config.RetryAfterPolicy == IgnoreRetryAfter ||
		!honoursRetryAfter(a.Response.StatusCode) {
		return backoff.Wait(a.Number), nil
	}
	values := a.Response.Header.Values(HeaderRetryAfter)
	if len(values) == 0 {
		return backoff.Wait(a.Number), nil
	}
	requested, ok := ParseRetryAfter(values, time.Now())
	if !ok {
		a.RetryAfterIgnored = quoteValues(values)
		return backoff.Wait(a.Number), nil
	}

	a.RetryAfter = requested
	limit := r.config.MaxRetryAfter
	if requested > limit {
		if r.config.RetryAfterPolicy == FailRetryAfter {
			return 0, &RetryAfterError{Requested: requested, Max: limit}
		}
		requested = limit
	}
	return retryAfterJitter(requested, backoff.random()), nil
}

// quoteValues joins header values, each quoted, so that an empty value
// still shows.
func quoteValues(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return strings.Join(quoted, ", ")
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
//
// Transient are: the attempt's own timeout, any timeout error, DNS
// failures, a connection that broke mid-response (io.EOF,
// io.ErrUnexpectedEOF), and dial, read and write failures whose system
// error is one that a later attempt may not meet (connection refused,
// reset or aborted, broken pipe, timed out, host or network unreachable
// or down). Certificate errors and TLS alerts from the server are never
// transient, and neither are other system errors, such as a permission
// error, because a retry cannot fix them.
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
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return false
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		// crypto/tls reports an alert from the server, such as
		// "certificate required", as an *net.OpError with this Op
		// around an unexported alert type.
		return false
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return slices.Contains(transientErrnos, errno)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	if errors.As(err, &opErr) {
		return true // a dial, read or write failure without a system error
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// transientErrnos are the system errors of a connection that a later
// attempt, on a new connection, may not meet.
var transientErrnos = []syscall.Errno{
	syscall.ECONNREFUSED,
	syscall.ECONNRESET,
	syscall.ECONNABORTED,
	syscall.EPIPE,
	syscall.ETIMEDOUT,
	syscall.EHOSTUNREACH,
	syscall.ENETUNREACH,
	syscall.ENETDOWN,
	syscall.EHOSTDOWN,
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
