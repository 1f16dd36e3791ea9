package middleware_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

func TestDefaultRetryStatuses(t *testing.T) {
	want := []int{408, 429, 500, 502, 503, 504}
	got := middleware.DefaultRetryStatuses()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	// Each call returns a new slice, so a caller's change stays local.
	got[0] = 200
	if again := middleware.DefaultRetryStatuses(); !slices.Equal(again, want) {
		t.Errorf("after changing an earlier result: got %v, want %v", again, want)
	}
}

func TestIsRetryableStatus(t *testing.T) {
	statuses := middleware.DefaultRetryStatuses()
	tests := []struct {
		status int
		want   bool
	}{
		{408, true}, {429, true}, {500, true}, {502, true}, {503, true}, {504, true},
		{200, false}, {204, false}, {301, false}, {400, false}, {401, false}, {403, false},
		{404, false}, {409, false}, {422, false}, {501, false}, {505, false},
	}
	for _, tt := range tests {
		a := &middleware.Attempt{Response: &http.Response{StatusCode: tt.status}}
		if got := middleware.IsRetryable(a, statuses); got != tt.want {
			t.Errorf("IsRetryable(status %d): got %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestIsRetryableAttempt(t *testing.T) {
	tests := []struct {
		name     string
		attempt  middleware.Attempt
		statuses []int
		want     bool
	}{
		{"not sent", middleware.Attempt{}, middleware.DefaultRetryStatuses(), false},
		{"status outside custom list", middleware.Attempt{Response: &http.Response{StatusCode: 503}}, []int{418}, false},
		{"status in custom list", middleware.Attempt{Response: &http.Response{StatusCode: 418}}, []int{418}, true},
		{"no statuses", middleware.Attempt{Response: &http.Response{StatusCode: 503}}, nil, false},
		{"network error without statuses", middleware.Attempt{Err: io.ErrUnexpectedEOF}, nil, true},
		{"final error", middleware.Attempt{Err: errors.New("invalid request")}, middleware.DefaultRetryStatuses(), false},
		{
			"error decides over response",
			middleware.Attempt{Err: context.Canceled, Response: &http.Response{StatusCode: 503}},
			middleware.DefaultRetryStatuses(),
			false,
		},
		{
			"caller context done",
			middleware.Attempt{Err: io.EOF, CallContext: cancelledContext()},
			middleware.DefaultRetryStatuses(),
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := middleware.IsRetryable(&tt.attempt, tt.statuses); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// expiredContext returns a context whose deadline has passed.
func expiredContext(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return ctx
}

func TestIsTransientError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	unknownCA := x509.UnknownAuthorityError{}
	live := context.Background()

	tests := []struct {
		name    string
		callCtx context.Context
		err     error
		want    bool
	}{
		{"nil error", live, nil, false},
		{"dial refused", live, refused, true},
		{"connection reset", live, reset, true},
		{"bare ECONNRESET", live, syscall.ECONNRESET, true},
		{"wrapped ECONNRESET", live, fmt.Errorf("reading response: %w", os.NewSyscallError("read", syscall.ECONNRESET)), true},
		{"broken pipe", live, fmt.Errorf("writing body: %w", syscall.EPIPE), true},
		{"EOF", live, io.EOF, true},
		{"unexpected EOF", live, io.ErrUnexpectedEOF, true},
		{"wrapped EOF", live, fmt.Errorf("reading status line: %w", io.EOF), true},
		{"DNS failure", live, &net.DNSError{Err: "server misbehaving", Name: "api.test", IsTemporary: true}, true},
		{"attempt deadline", live, context.DeadlineExceeded, true},
		{"attempt deadline wrapped", live, fmt.Errorf("attempt 2: %w", context.DeadlineExceeded), true},
		{"nil call context", nil, io.EOF, true},
		{"plain error", live, errors.New("invalid header field name"), false},
		{"cancelled, caller context live", live, context.Canceled, false},
		{"caller cancelled", cancelledContext(), context.Canceled, false},
		{"caller cancelled during network error", cancelledContext(), refused, false},
		{"caller deadline", expiredContext(t), context.DeadlineExceeded, false},
		{"caller deadline during EOF", expiredContext(t), io.EOF, false},
		{"unknown authority", live, unknownCA, false},
		{"hostname mismatch", live, x509.HostnameError{Host: "127.0.0.1"}, false},
		{"expired certificate", live, x509.CertificateInvalidError{Reason: x509.Expired}, false},
		{"certificate verification", live, &tls.CertificateVerificationError{Err: unknownCA}, false},
		{"certificate error in net error", live, &net.OpError{Op: "remote error", Net: "tcp", Err: unknownCA}, false},
		{"certificate error in url error", live, &url.Error{Op: "Get", URL: testURL, Err: unknownCA}, false},
		{"permission denied", live, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EACCES)}, false},
		{"bare EACCES", live, syscall.EACCES, false},
		{"host unreachable", live, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, true},
		{"TLS alert from server", live, &net.OpError{Op: "remote error", Net: "tcp", Err: tls.AlertError(40)}, false},
		{"url error around plain error", live, &url.Error{Op: "Get", URL: testURL, Err: errors.New("unsupported protocol scheme")}, false},
		{"url error around reset", live, &url.Error{Op: "Get", URL: testURL, Err: reset}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := middleware.IsTransientError(tt.callCtx, tt.err); got != tt.want {
				t.Errorf("IsTransientError(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsTransientErrorAttemptTimeout(t *testing.T) {
	// The attempt's context times out while the caller's stays live.
	callCtx := context.Background()
	attemptCtx, cancel := context.WithTimeout(callCtx, time.Millisecond)
	defer cancel()
	<-attemptCtx.Done()

	if !middleware.IsTransientError(callCtx, attemptCtx.Err()) {
		t.Errorf("attempt timeout with a live caller context: got not transient, want transient")
	}
}

func TestIsTransientErrorRealDialRefused(t *testing.T) {
	// Listen and close at once, so that the port refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	req := httptest.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.RequestURI = ""
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	_, err = transport.RoundTrip(req)
	if err == nil {
		t.Fatalf("request to closed port %s: got nil error, want a dial error", addr)
	}

	if !middleware.IsTransientError(context.Background(), err) {
		t.Errorf("IsTransientError(%v): got false, want true", err)
	}
}

func TestIsTransientErrorRealCertificate(t *testing.T) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	server.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	server.StartTLS()
	defer server.Close()

	// A transport that does not trust the test server's certificate.
	req := httptest.NewRequest(http.MethodGet, server.URL, nil)
	req.RequestURI = ""
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	_, err := transport.RoundTrip(req)
	if err == nil {
		t.Fatal("request to an untrusted server: got nil error, want a certificate error")
	}

	if middleware.IsTransientError(context.Background(), err) {
		t.Errorf("IsTransientError(%v): got true, want false", err)
	}
}

func TestRetryConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		config  middleware.RetryConfig
		mention []string // nil means valid
	}{
		{"zero value", middleware.RetryConfig{}, nil},
		{"no retries", middleware.RetryConfig{MaxRetries: middleware.NoRetries}, nil},
		{"positive retries", middleware.RetryConfig{MaxRetries: 10}, nil},
		{"empty statuses", middleware.RetryConfig{Statuses: []int{}}, nil},
		{"edge statuses", middleware.RetryConfig{Statuses: []int{100, 599}}, nil},
		{
			"retries -2",
			middleware.RetryConfig{MaxRetries: -2},
			[]string{"MaxRetries -2 is negative", "use 0 for the default of 5", "NoRetries"},
		},
		{
			"retries far below zero",
			middleware.RetryConfig{MaxRetries: -100},
			[]string{"MaxRetries -100 is negative"},
		},
		{
			"status 99",
			middleware.RetryConfig{Statuses: []int{503, 99}},
			[]string{"retry status 99 is not an HTTP status", "use codes from 100 to 599"},
		},
		{"status 600", middleware.RetryConfig{Statuses: []int{600}}, []string{"retry status 600"}},
		{"status 0", middleware.RetryConfig{Statuses: []int{0}}, []string{"retry status 0"}},
		{"status negative", middleware.RetryConfig{Statuses: []int{-503}}, []string{"retry status -503"}},
		{
			"invalid backoff",
			middleware.RetryConfig{Backoff: middleware.Backoff{Base: -time.Second}},
			[]string{"base wait -1s is negative"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.config.Validate()
			if tt.mention == nil {
				if err != nil {
					t.Errorf("Validate: got %v, want nil", err)
				}
				return
			}
			requireErrorMentions(t, err, tt.mention...)

			// Retry rejects the same config with the same error.
			if _, retryErr := middleware.Retry(tt.config); retryErr == nil || retryErr.Error() != err.Error() {
				t.Errorf("Retry: got %v, want %v", retryErr, err)
			}
		})
	}
}

func TestRetryName(t *testing.T) {
	mw := newRetry(t, middleware.RetryConfig{})
	if mw.Name != middleware.RetryName {
		t.Errorf("got %q, want %q", mw.Name, middleware.RetryName)
	}
}

func TestRetrySchedule(t *testing.T) {
	mw, err := middleware.Retry(middleware.RetryConfig{
		MaxRetries: 3,
		Backoff:    middleware.Backoff{Jitter: middleware.NoJitter{}},
	})
	if err != nil {
		t.Fatal(err)
	}

	// The wait after attempt n is the backoff's wait before retry n.
	req := httptest.NewRequest(http.MethodGet, testURL, nil)
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second} {
		wait, err := mw.Schedule(&middleware.Attempt{Number: n, Request: req})
		if err != nil || wait != want {
			t.Errorf("Schedule after attempt %d: got %v and %v, want %v and nil", n, wait, err, want)
		}
	}
	if _, err := mw.Schedule(&middleware.Attempt{Number: 4, Request: req}); !errors.Is(err, middleware.ErrRetriesExhausted) {
		t.Errorf("Schedule after attempt 4 of 4: got %v, want ErrRetriesExhausted", err)
	}
}

func TestRetryStatusesAreCopied(t *testing.T) {
	statuses := []int{503}
	mw := newRetry(t, middleware.RetryConfig{Statuses: statuses})
	statuses[0] = 418

	if !mw.RetryIf(&middleware.Attempt{Response: &http.Response{StatusCode: 503}}) {
		t.Error("503 after the caller changed its slice: got not retryable, want retryable")
	}
	if mw.RetryIf(&middleware.Attempt{Response: &http.Response{StatusCode: 418}}) {
		t.Error("418 after the caller changed its slice: got retryable, want not retryable")
	}
}

func TestRetryRetriesDefaultStatuses(t *testing.T) {
	for _, status := range middleware.DefaultRetryStatuses() {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(status, "failing"))

			resp, err := rc.R().Get(testURL)

			if got := mock.GetTotalCallCount(); got != 3 {
				t.Errorf("attempts: got %d, want 3", got)
			}
			if !errors.Is(err, middleware.ErrRetriesExhausted) {
				t.Errorf("error: got %v, want ErrRetriesExhausted", err)
			}
			if resp == nil || resp.StatusCode() != status {
				t.Errorf("response: got %v, want status %d", resp, status)
			}
		})
	}
}

func TestRetryLeavesFinalStatuses(t *testing.T) {
	for _, status := range []int{200, 400, 401, 403, 404, 409, 422, 501} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(status, ""))

			resp, err := rc.R().Get(testURL)

			if got := mock.GetTotalCallCount(); got != 1 {
				t.Errorf("attempts: got %d, want 1", got)
			}
			if err != nil {
				t.Errorf("error: got %v, want nil", err)
			}
			if resp.StatusCode() != status {
				t.Errorf("status: got %d, want %d", resp.StatusCode(), status)
			}
		})
	}
}

func TestRetryAttemptCount(t *testing.T) {
	tests := []struct {
		name       string
		maxRetries int
		want       int
	}{
		{"default", 0, middleware.DefaultMaxRetries + 1},
		{"no retries", middleware.NoRetries, 1},
		{"one retry", 1, 2},
		{"seven retries", 7, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: tt.maxRetries}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(503, ""))

			_, err := rc.R().Get(testURL)

			if got := mock.GetTotalCallCount(); got != tt.want {
				t.Errorf("attempts: got %d, want %d", got, tt.want)
			}
			if !errors.Is(err, middleware.ErrRetriesExhausted) {
				t.Errorf("error: got %v, want ErrRetriesExhausted", err)
			}
		})
	}
}

func TestRetryRecoversFromNetworkErrors(t *testing.T) {
	tests := []struct {
		name    string
		failure httpmock.Responder
	}{
		{"dial refused", sturdytest.ConnectionRefused},
		{"connection reset", sturdytest.ConnectionReset},
		{"unexpected EOF", httpmock.NewErrorResponder(io.ErrUnexpectedEOF)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 3}))
			mock.RegisterResponder(http.MethodGet, testURL,
				sturdytest.FailThenSucceed(2, tt.failure, httpmock.NewStringResponder(200, "ok")))

			resp, err := rc.R().Get(testURL)

			if err != nil {
				t.Fatalf("error: got %v, want nil", err)
			}
			if resp.StatusCode() != 200 {
				t.Errorf("status: got %d, want 200", resp.StatusCode())
			}
			if got := mock.GetTotalCallCount(); got != 3 {
				t.Errorf("attempts: got %d, want 3", got)
			}
		})
	}
}

func TestRetryLeavesFinalErrors(t *testing.T) {
	errInvalid := errors.New("invalid request")
	rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 3}))
	mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewErrorResponder(errInvalid))

	_, err := rc.R().Get(testURL)

	if !errors.Is(err, errInvalid) {
		t.Errorf("error: got %v, want one wrapping %v", err, errInvalid)
	}
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts: got %d, want 1", got)
	}
}

func TestRetryCustomStatuses(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		status   int
		want     int // attempts
	}{
		{"listed status", []int{418}, 418, 3},
		{"default status left out", []int{418}, 503, 1},
		{"empty list retries no status", []int{}, 503, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2, Statuses: tt.statuses}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(tt.status, ""))

			rc.R().Get(testURL)

			if got := mock.GetTotalCallCount(); got != tt.want {
				t.Errorf("attempts: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRetryEmptyStatusesKeepNetworkRetries(t *testing.T) {
	rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2, Statuses: []int{}}))
	mock.RegisterResponder(http.MethodGet, testURL, sturdytest.ConnectionRefused)

	_, err := rc.R().Get(testURL)

	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error: got %v, want one wrapping ECONNREFUSED", err)
	}
}

func TestRetryCustomConditionExtends(t *testing.T) {
	var calls atomic.Int64
	teapot := func(a *middleware.Attempt) bool {
		calls.Add(1)
		return a.Response != nil && a.Response.StatusCode == http.StatusTeapot
	}
	tests := []struct {
		name      string
		responder httpmock.Responder
		want      int // attempts
	}{
		{"custom condition", httpmock.NewStringResponder(http.StatusTeapot, ""), 3},
		{"default status", httpmock.NewStringResponder(503, ""), 3},
		{"network error", sturdytest.ConnectionRefused, 3},
		{"final status", httpmock.NewStringResponder(404, ""), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2, RetryIf: teapot}))
			mock.RegisterResponder(http.MethodGet, testURL, tt.responder)

			rc.R().Get(testURL)

			if got := mock.GetTotalCallCount(); got != tt.want {
				t.Errorf("attempts: got %d, want %d", got, tt.want)
			}
		})
	}
	if calls.Load() == 0 {
		t.Error("custom condition: never called, want called for attempts that the built-in conditions do not retry")
	}
}

func TestRetryCustomConditionCannotDisableNetworkRetries(t *testing.T) {
	never := func(*middleware.Attempt) bool { return false }
	rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 2, RetryIf: never}))
	mock.RegisterResponder(http.MethodGet, testURL, sturdytest.FailThenSucceed(2,
		sturdytest.ConnectionReset, httpmock.NewStringResponder(200, "")))

	resp, err := rc.R().Get(testURL)

	if err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}
	if resp.StatusCode() != 200 {
		t.Errorf("status: got %d, want 200", resp.StatusCode())
	}
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
}

func TestRetryCallerCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, mock := newMockClient(t, newRetry(t, middleware.RetryConfig{MaxRetries: 5}))
	mock.RegisterResponder(http.MethodGet, testURL, func(req *http.Request) (*http.Response, error) {
		cancel()
		return nil, context.Canceled
	})

	_, err := rc.R().SetContext(ctx).Get(testURL)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts: got %d, want 1", got)
	}
}

func TestRetryAttemptTimeoutOnLoopback(t *testing.T) {
	// The server holds the first request until the client gives up on it,
	// and responds to later ones at once.
	var requests atomic.Int64
	release := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Write([]byte("ok"))
	}))
	defer server.Close()
	defer close(release)

	// Install reads the client's timeout as the per-attempt timeout.
	rc := newLoopbackClient(t)
	rc.SetTimeout(100 * time.Millisecond)
	installChain(t, rc, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))

	resp, err := rc.R().Get(server.URL)

	if err != nil {
		t.Fatalf("error: got %v, want nil after a retry", err)
	}
	if got := resp.String(); got != "ok" {
		t.Errorf("body: got %q, want %q", got, "ok")
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("requests: got %d, want 2", got)
	}
}
