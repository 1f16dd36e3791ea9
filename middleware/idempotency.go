package middleware

import (
	"errors"
	"net"
	"net/http"
	"time"
)

// HeaderIdempotencyKey is the request header by which a client asks the
// server to process a request at most once, so that sending it again is
// safe.
const HeaderIdempotencyKey = "Idempotency-Key"

// ErrNotIdempotent is the reason in a call's error when a failed attempt
// of a non-idempotent request, such as a POST, was not retried because the
// server may already have processed it.
var ErrNotIdempotent = errors.New("sturdy: not retried because the request is not idempotent and the server may have processed it; send an Idempotency-Key header, or opt in with middleware.WithRequestIdempotent or RetryConfig.RetryNonIdempotent")

// IsIdempotent reports whether a request with this method may be sent
// more than once with the same effect as once: GET, HEAD, OPTIONS, TRACE,
// PUT and DELETE, as RFC 9110 section 9.2.2 defines.
func IsIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
		return true
	default:
		return false
	}
}

// SafeToRetry reports whether attempt a may be sent again without risking
// a duplicate effect on the server. It is true for an idempotent method or
// a request with an Idempotency-Key header. For any other request it is
// true only when the server cannot have processed the attempt:
//
//   - the connection failed before the request was written: a DNS lookup,
//     dial or proxy connection error;
//   - the server returned 429 Too Many Requests, which rejects a request
//     without processing it;
//   - the server answered 503 Service Unavailable with a Retry-After
//     header that requests a usable wait, its explicit statement that it
//     is down and when to return.
//
// A 503 without Retry-After may come from a proxy after the request
// reached the application, so it is not safe for a POST. Neither are
// other 5xx statuses, timeouts and resets after the request was sent.
func SafeToRetry(a *Attempt) bool {
	if a.Request != nil && (IsIdempotent(a.Request.Method) || a.Request.Header.Get(HeaderIdempotencyKey) != "") {
		return true
	}
	if a.Err != nil {
		return isNotSent(a.Err)
	}
	if a.Response == nil {
		return false
	}
	switch a.Response.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		_, ok := ParseRetryAfter(a.Response.Header.Values(HeaderRetryAfter), time.Now())
		return ok
	default:
		return false
	}
}

// isNotSent reports whether err shows that a request never left the
// client: the failure happened while resolving or connecting.
func isNotSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op == "dial" || opErr.Op == "proxyconnect"
	}
	return false
}
