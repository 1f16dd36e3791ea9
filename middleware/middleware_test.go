package middleware_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"
	"go.uber.org/goleak"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// TestMain fails the package's tests if any goroutine outlives them, such
// as a retry wait still running or a loopback connection left open.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testURL is the URL of the requests that httpmock serves. It names
// loopback so that a request that missed the mock could reach no other
// host.
const testURL = "http://127.0.0.1/v1/items"

// fastBackoff keeps retries in tests to microseconds.
var fastBackoff = middleware.Backoff{
	Base:   time.Microsecond,
	Max:    10 * time.Microsecond,
	Jitter: middleware.NoJitter{},
}

// newMockClient returns a bare resty client whose requests run through a
// chain of mws and then go to the returned httpmock transport.
func newMockClient(t *testing.T, mws ...middleware.Middleware) (*resty.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	rc := resty.NewWithClient(&http.Client{Transport: mock})
	installChain(t, rc, mws...)
	return rc, mock
}

// newLoopbackClient returns a bare resty client that sends requests
// through a real http.Transport, for tests against httptest servers on
// loopback. The caller installs a chain on it with installChain.
func newLoopbackClient(t *testing.T) *resty.Client {
	t.Helper()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return resty.NewWithClient(&http.Client{Transport: transport})
}

// installChain installs a chain of mws on rc, failing the test if the
// chain or the install is rejected.
func installChain(t *testing.T, rc *resty.Client, mws ...middleware.Middleware) {
	t.Helper()
	chain, err := sturdy.NewChain(mws...)
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	if err := chain.Install(rc); err != nil {
		t.Fatalf("Install: %v", err)
	}
}

// newRetry returns the retry middleware for c with fastBackoff in place of
// c.Backoff.
func newRetry(t *testing.T, c middleware.RetryConfig) middleware.Middleware {
	t.Helper()
	c.Backoff = fastBackoff
	// The budget's floor counts real seconds, which these millisecond
	// waits never reach; the budget has its own tests.
	c.NoBudget = c.Budget == nil
	mw, err := middleware.Retry(c)
	if err != nil {
		t.Fatalf("Retry: %v", err)
	}
	return mw
}

// requireErrorMentions fails the test unless err is non-nil and its text
// contains every string in parts.
func requireErrorMentions(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want one mentioning %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
}

func TestMiddlewareValidate(t *testing.T) {
	tests := []struct {
		name    string
		mw      middleware.Middleware
		wantErr bool
	}{
		{"empty name", middleware.Middleware{}, true},
		{"empty name with hooks", middleware.Middleware{OnRetry: func(middleware.RetryEvent) {}}, true},
		{"plain name", middleware.Middleware{Name: "retry"}, false},
		{"name with spaces", middleware.Middleware{Name: "request id"}, false},
		{"name with punctuation", middleware.Middleware{Name: "auth/v2.signer"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.mw.Validate()
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			requireErrorMentions(t, err, "Name is empty", "give the middleware a name")
		})
	}
}

func TestAttemptOutcome(t *testing.T) {
	errReset := errors.New("connection reset by peer")
	tests := []struct {
		name    string
		attempt middleware.Attempt
		want    string
	}{
		{"not sent", middleware.Attempt{}, "not sent"},
		{"response", middleware.Attempt{Response: &http.Response{StatusCode: 503}}, "status 503"},
		{"success response", middleware.Attempt{Response: &http.Response{StatusCode: 200}}, "status 200"},
		{"error", middleware.Attempt{Err: errReset}, "connection reset by peer"},
		{
			"error wins over response",
			middleware.Attempt{Err: errReset, Response: &http.Response{StatusCode: 502}},
			"connection reset by peer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.attempt.Outcome(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
