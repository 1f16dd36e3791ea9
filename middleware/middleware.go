package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Middleware is a named unit of behaviour that a chain runs around every
// attempt of a request. Each field other than Name is optional: a
// middleware contributes only the hooks it sets.
//
// A Middleware is a plain value. The chain copies it when it is added, so
// changing a Middleware after adding it has no effect on the chain. Hooks
// run on the goroutine that makes the request and must be safe for
// concurrent use, because one chain serves every request of a client.
type Middleware struct {
	// Name identifies the middleware within a chain. It must be non-empty
	// and unique within the chain.
	Name string

	// BeforeAttempt runs before every attempt, in chain order. It may set
	// headers on the attempt's own copy of the request, which is made
	// afresh for each attempt, so a header set here is set exactly once
	// per attempt. An error ends the call at once and is never retried.
	BeforeAttempt func(*Attempt) error

	// AfterAttempt runs after every attempt, in reverse chain order, with
	// the attempt's response or error filled in. An error ends the call at
	// once and is never retried; the attempt's response body is closed.
	AfterAttempt func(*Attempt) error

	// RetryIf reports whether a failed attempt may be retried. The
	// conditions of all enabled middleware are combined with OR: an
	// attempt is retried when any of them returns true and the chain has
	// a Schedule that allows another attempt.
	RetryIf func(*Attempt) bool

	// Schedule times retries. The chain calls it after an attempt that a
	// RetryIf condition marked retryable; it returns the wait before the
	// next attempt, or an error that stops retrying and becomes the reason
	// in the call's error. At most one enabled middleware in a chain may
	// set it; without one, no request is retried.
	Schedule func(*Attempt) (time.Duration, error)

	// OnRetry runs once for every retry, after the wait is known and
	// before it starts.
	OnRetry func(RetryEvent)

	// OnSuccess runs once when a call ends with a response and no error,
	// whatever its status: a 404 that no condition retries is a success
	// for the chain.
	OnSuccess func(Result)

	// OnError runs once when a call ends with an error, including a
	// retryable status that ran out of retries.
	OnError func(Result)

	// SensitiveHeaders names the request headers whose values are
	// credentials. Logging redacts them, and a chain reports them through
	// its SensitiveHeaders method.
	SensitiveHeaders []string
}

// Validate reports whether m can be added to a chain.
func (m Middleware) Validate() error {
	if m.Name == "" {
		return errors.New("middleware: Name is empty; give the middleware a name that is unique in its chain")
	}
	return nil
}

// Attempt is one try of a request. The chain passes the same *Attempt to
// every hook of that try.
type Attempt struct {
	// Number counts attempts from 1.
	Number int

	// Request is this attempt's own copy of the caller's request, with
	// its own header map: hooks may change its headers, and the caller's
	// request is never modified. The copy shares the caller's URL, so a
	// hook that changes the URL must assign a new *url.URL rather than
	// modify the one in place.
	Request *http.Request

	// Response and Err are the outcome of the attempt. Both are nil until
	// the attempt has been sent. The chain closes the body of a response
	// that it does not return to the caller.
	Response *http.Response
	Err      error

	// Start is the time the attempt was sent and Duration how long it took
	// until response headers or an error arrived.
	Start    time.Time
	Duration time.Duration

	// CallStart is the time the call began, before its first attempt.
	CallStart time.Time

	// CallContext is the caller's context, which bounds the whole call,
	// waits included. Request.Context() is the attempt's own context,
	// which the per-attempt timeout bounds as well.
	//
	// NOTE: when the caller's context ends, the attempt's context ends
	// a moment later, from another goroutine. A hook that must know
	// whether the caller ended the call checks CallContext.
	CallContext context.Context

	// SensitiveHeaders lists, in canonical form, the headers that the
	// chain's middleware declared as credentials. Hooks that print headers
	// must redact them; RedactHeader does.
	SensitiveHeaders []string

	// RetryAfter is the wait that the response's Retry-After header
	// requested, set by the retry schedule when it used the header to time
	// the next attempt, and zero otherwise.
	RetryAfter time.Duration

	// RetryAfterIgnored holds the Retry-After values of the response,
	// each quoted and joined by ", ". The retry schedule sets it when the
	// values request no usable wait (a date in the past, 0, an empty
	// value, or one it cannot parse) and it uses the backoff instead.
	RetryAfterIgnored string
}

// Outcome describes the result of the attempt in a few words: "status
// 503" for a response, the error text for an error.
func (a *Attempt) Outcome() string {
	if a.Err != nil {
		return a.Err.Error()
	}
	if a.Response != nil {
		return fmt.Sprintf("status %d", a.Response.StatusCode)
	}
	return "not sent"
}

// RetryEvent describes a scheduled retry.
type RetryEvent struct {
	// Attempt is the attempt that failed.
	Attempt *Attempt
	// Wait is the time the chain waits before the next attempt.
	Wait time.Duration
}

// Result describes how a call ended.
type Result struct {
	// Request is the caller's request.
	Request *http.Request
	// Response is the last response, or nil when the last attempt failed
	// without one.
	Response *http.Response
	// Err is the call's error, or nil on success.
	Err error
	// Attempts is the number of attempts made.
	Attempts int
	// Duration is the time from the start of the first attempt to the end
	// of the last, waits included.
	Duration time.Duration
	// SensitiveHeaders lists, in canonical form, the headers that the
	// chain's middleware declared as credentials.
	SensitiveHeaders []string
}
