package middleware_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/sturdyhttp/sturdy/middleware"
)

func TestIsIdempotent(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"} {
		if !middleware.IsIdempotent(m) {
			t.Errorf("IsIdempotent(%s): got false, want true", m)
		}
	}
	for _, m := range []string{"POST", "PATCH", "CONNECT", "PROPFIND", "get", ""} {
		if middleware.IsIdempotent(m) {
			t.Errorf("IsIdempotent(%q): got true, want false", m)
		}
	}
}

func TestSafeToRetry(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	cases := []struct {
		name       string
		method     string
		key        string
		status     int
		retryAfter bool
		err        error
		want       bool
	}{
		{"GET 500", "GET", "", 500, false, nil, true},
		{"PUT reset", "PUT", "", 0, false, reset, true},
		{"POST 500", "POST", "", 500, false, nil, false},
		{"POST 502", "POST", "", 502, false, nil, false},
		{"POST 504", "POST", "", 504, false, nil, false},
		{"POST 408", "POST", "", 408, false, nil, false},
		{"POST 429", "POST", "", 429, false, nil, true},
		{"POST 503", "POST", "", 503, false, nil, false},
		{"POST 503 with Retry-After", "POST", "", 503, true, nil, true},
		{"POST dial refused", "POST", "", 0, false, refused, true},
		{"POST DNS failure", "POST", "", 0, false, &net.DNSError{Err: "no such host", Name: "api.test", IsNotFound: true}, true},
		{"POST proxy connect", "POST", "", 0, false, &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("refused")}, true},
		{"POST reset", "POST", "", 0, false, reset, false},
		{"POST timeout", "POST", "", 0, false, context.DeadlineExceeded, false},
		{"POST with Idempotency-Key", "POST", "k-1", 500, false, nil, true},
		{"PATCH 500", "PATCH", "", 500, false, nil, false},
		{"PATCH with Idempotency-Key reset", "PATCH", "k-2", 0, false, reset, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "https://api.test/orders", nil)
			if tc.key != "" {
				req.Header.Set(middleware.HeaderIdempotencyKey, tc.key)
			}
			a := &middleware.Attempt{Number: 1, Request: req, Err: tc.err}
			if tc.status != 0 {
				a.Response = &http.Response{StatusCode: tc.status, Header: http.Header{}}
				if tc.retryAfter {
					a.Response.Header.Set(middleware.HeaderRetryAfter, "5")
				}
			}
			if got := middleware.SafeToRetry(a); got != tc.want {
				t.Errorf("SafeToRetry: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryScheduleStopsUnsafeRetry(t *testing.T) {
	mw := retryMiddleware(t, middleware.RetryConfig{})
	req, _ := http.NewRequest(http.MethodPost, "https://api.test/orders", nil)
	a := &middleware.Attempt{Number: 1, Request: req, CallContext: req.Context(),
		Response: &http.Response{StatusCode: 500, Header: http.Header{}}}

	if _, err := mw.Schedule(a); !errors.Is(err, middleware.ErrNotIdempotent) {
		t.Errorf("Schedule: got %v, want ErrNotIdempotent", err)
	}

	a.CallContext = middleware.WithRequestIdempotent(context.Background())
	if _, err := mw.Schedule(a); err != nil {
		t.Errorf("Schedule with the request opted in: got %v, want a wait", err)
	}

	all := retryMiddleware(t, middleware.RetryConfig{RetryNonIdempotent: true})
	a.CallContext = context.Background()
	if _, err := all.Schedule(a); err != nil {
		t.Errorf("Schedule with the client opted in: got %v, want a wait", err)
	}
}
