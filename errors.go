package sturdy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy/middleware"
)

// Reasons a call stopped retrying. They appear as Error.Reason and match
// with errors.Is on the call's error.
var (
	// ErrRetriesExhausted means the last allowed attempt failed.
	ErrRetriesExhausted = middleware.ErrRetriesExhausted

	// ErrDeadlineTooClose means the wait before the next retry would end
	// after the deadline of the call, set by the caller's context or the
	// total timeout, so the call stopped at once instead of sleeping into
	// it. It also matches context.DeadlineExceeded, and ErrTotalTimeout
	// when the total timeout set the deadline.
	ErrDeadlineTooClose = middleware.ErrDeadlineTooClose

	// ErrNotIdempotent means a failed attempt of a non-idempotent
	// request, such as a POST, was not retried because the server may
	// already have processed it.
	ErrNotIdempotent = middleware.ErrNotIdempotent

	// ErrRetryBudgetExhausted means the client's retry budget denied a
	// retry: the client throttled itself to spare a failing server.
	ErrRetryBudgetExhausted = middleware.ErrRetryBudgetExhausted

	// ErrTotalTimeout means the call ran past the total timeout set by
	// WithTotalTimeout or Transport.CallTimeout. It also matches
	// context.DeadlineExceeded.
	ErrTotalTimeout error = totalTimeoutError{}
)

type totalTimeoutError struct{}

func (totalTimeoutError) Error() string { return "sturdy: total timeout of the call passed" }

// Is makes the error match context.DeadlineExceeded as well.
func (totalTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// Error is the error of a call that the chain ended without success. Its
// retries ran out, a wait would have passed the caller's deadline, the
// caller's context ended it, or the last attempt failed in a way that is
// not retried. Reach it with errors.As; errors.Is matches both the reason
// and the last attempt's cause, such as context.Canceled or a
// *net.OpError.
type Error struct {
	// Method and URL identify the request. URL is redacted as
	// middleware.RedactURL does.
	Method string
	URL    string

	// Attempts records every attempt, in order.
	Attempts []AttemptRecord

	// Response is a copy of the last response when the call stopped
	// retrying a retryable status, with its sensitive headers, such as
	// Set-Cookie, Redacted and its Request left out. It shares its body
	// with the response the call returned: with net/http that body is
	// whole for the caller to read, while resty reads it into the resty
	// response, whose Body method returns it. Response is nil when the
	// last attempt failed without a response, or a middleware hook failed.
	Response *http.Response

	// Body holds up to MaxErrorBodyBytes of Response's body.
	Body []byte

	// Reason is why the chain stopped retrying: ErrRetriesExhausted,
	// ErrNotIdempotent, ErrRetryBudgetExhausted, ErrDeadlineTooClose, a
	// *middleware.RetryAfterError, the cause of the call's context ending
	// (context.Canceled, context.DeadlineExceeded, or ErrTotalTimeout), or
	// another error of the retry schedule. It is nil when the last attempt
	// failed in a way that no condition retries.
	Reason error

	// Err is the last attempt's error, or nil when it produced a response.
	Err error

	// secrets are the credential values of the request, scrubbed from
	// the text of Error.
	secrets []string
}

// MaxErrorBodyBytes caps the bytes of a failed response's body kept in
// Error.Body.
const MaxErrorBodyBytes = 64 << 10

// AttemptRecord is the outcome of one attempt.
type AttemptRecord struct {
	// Number counts attempts from 1.
	Number int
	// Status is the response status, or 0 when the attempt failed without
	// a response.
	Status int
	// Err is the attempt's error, or nil when it produced a response.
	Err error
	// Duration is how long the attempt took until response headers or an
	// error arrived.
	Duration time.Duration
	// Wait is the wait after this attempt before the next one, or 0 for
	// the last attempt.
	Wait time.Duration
}

// Error returns a one-line description: the request, the number of
// attempts, the last outcome and the reason retrying stopped. Credentials
// of the request are Redacted wherever an underlying error quotes them.
func (e Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sturdy: %s %s: ", e.Method, e.URL)
	switch n := len(e.Attempts); n {
	case 0:
		b.WriteString("no attempt made")
	case 1:
		b.WriteString("1 attempt failed")
	default:
		fmt.Fprintf(&b, "%d attempts failed", n)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	} else if e.Response != nil {
		fmt.Fprintf(&b, ": last status %d %s", e.Response.StatusCode, http.StatusText(e.Response.StatusCode))
	}
	if e.Reason != nil && e.Reason != e.Err {
		fmt.Fprintf(&b, " (%v)", e.Reason)
	}
	return middleware.Redactor{}.Text(b.String(), e.secrets)
}

// Format prints the error's redacted text for every verb, and with %#v
// a redacted Go-syntax summary, so that no verb prints the credentials
// that the error keeps to scrub its text.
func (e Error) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "&sturdy.Error{Method:%q, URL:%q, Attempts:%d, Message:%q}", e.Method, e.URL, len(e.Attempts), e.Error())
		return
	}
	io.WriteString(f, e.Error())
}

// MarshalJSON encodes the error as an object of its redacted parts, so
// that logging it as a value cannot print a credential or a response
// header.
func (e *Error) MarshalJSON() ([]byte, error) {
	type attempt struct {
		Number   int           `json:"number"`
		Status   int           `json:"status,omitempty"`
		Error    string        `json:"error,omitempty"`
		Duration time.Duration `json:"duration"`
		Wait     time.Duration `json:"wait"`
	}
	out := struct {
		Message  string    `json:"message"`
		Method   string    `json:"method"`
		URL      string    `json:"url"`
		Status   int       `json:"status,omitempty"`
		Attempts []attempt `json:"attempts"`
	}{Message: e.Error(), Method: e.Method, URL: e.URL, Attempts: []attempt{}}
	if e.Response != nil {
		out.Status = e.Response.StatusCode
	}
	for _, a := range e.Attempts {
		rec := attempt{Number: a.Number, Status: a.Status, Duration: a.Duration, Wait: a.Wait}
		if a.Err != nil {
			rec.Error = middleware.Redactor{}.Text(a.Err.Error(), e.secrets)
		}
		out.Attempts = append(out.Attempts, rec)
	}
	return json.Marshal(out)
}

// MarshalZerologObject writes the error's redacted parts to a zerolog
// event, for zerolog's Object method.
func (e *Error) MarshalZerologObject(ev *zerolog.Event) {
	ev.Str("message", e.Error()).Str("method", e.Method).Str("url", e.URL).Int("attempts", len(e.Attempts))
	if e.Response != nil {
		ev.Int("status", e.Response.StatusCode)
	}
}

// redactedError is an error whose text quoted a credential. It prints the
// text with the credential Redacted and unwraps to the original, so
// errors.Is and errors.As still reach it.
type redactedError struct {
	err  error
	text string
}

func (e redactedError) Error() string { return e.text }
func (e redactedError) Unwrap() error { return e.err }

// Format prints the redacted text for every verb, %#v included, which
// would otherwise print the original error.
func (e redactedError) Format(f fmt.State, _ rune) { io.WriteString(f, e.text) }

// redactError returns err, or a redactedError when its text quotes one of
// the secrets.
func redactError(err error, r middleware.Redactor, secrets []string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if redacted := r.Text(text, secrets); redacted != text {
		return redactedError{err: err, text: redacted}
	}
	return err
}

// redactResponse returns a copy of resp for an error: its sensitive
// headers Redacted and its Request, which carries the credentials, left
// out. The copy shares resp's body.
func redactResponse(resp *http.Response, r middleware.Redactor) *http.Response {
	c := *resp
	c.Header = r.Header(resp.Header)
	if resp.Trailer != nil {
		c.Trailer = r.Header(resp.Trailer)
	}
	c.Request = nil
	return &c
}

// Unwrap returns the reason and the last attempt's error, leaving out
// those that are nil.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Reason != nil {
		errs = append(errs, e.Reason)
	}
	if e.Err != nil && e.Err != e.Reason {
		errs = append(errs, e.Err)
	}
	return errs
}

// ResponseError returns the chain's error for a response that a Transport
// returned although its call failed: a retryable status whose retries ran
// out. It returns nil for any other response, nil included. A client made
// by New, or one the chain was installed on, returns this error from the
// request itself, so callers need it only when they use a Transport with
// net/http directly.
func ResponseError(resp *http.Response) error {
	if resp == nil {
		return nil
	}
	if b, ok := resp.Body.(*attemptBody); ok && b.failure != nil {
		return b.failure
	}
	return nil
}
