// Package sturdytest helps test code that uses sturdy: it builds clients
// whose attempts go to an httpmock transport, scripts responders that fail
// a set number of times, and swaps a chain's middleware for a fake for the
// length of a test.
package sturdytest

import (
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// FastBackoff is the base wait NewClient uses, so that retries in tests
// take milliseconds instead of the default seconds.
const FastBackoff = time.Millisecond

// NewClient returns a sturdy client whose attempts go to a new httpmock
// MockTransport, and that transport. Retries wait FastBackoff, doubling up
// to 10 ms, and the retry budget is off, so that a test's scripted
// failures are always retried. opts are applied after those settings, so
// they can override them: pass sturdy.WithRetryBudget to test the budget. NewClient fails the test if an option is invalid.
func NewClient(t testing.TB, opts ...sturdy.Option) (*sturdy.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	all := append([]sturdy.Option{
		sturdy.WithTransport(mock),
		sturdy.WithBackoff(FastBackoff, 10*FastBackoff),
		sturdy.WithoutRetryBudget(),
	}, opts...)
	c, err := sturdy.New(all...)
	if err != nil {
		t.Fatalf("sturdytest: building client: %v", err)
	}
	return c, mock
}

// FailThenSucceed returns a responder that returns failure for its first n
// calls and success for every later call. It is safe for concurrent
// use; the count is shared by all requests that reach it.
//
// For example, a responder that returns 503 twice and then 200:
//
//	sturdytest.FailThenSucceed(2,
//		httpmock.NewStringResponder(503, "busy"),
//		httpmock.NewStringResponder(200, "ok"))
func FailThenSucceed(n int, failure, success httpmock.Responder) httpmock.Responder {
	var calls atomic.Int64
	return func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) <= int64(n) {
			return failure(req)
		}
		return success(req)
	}
}

// Swap replaces the middleware named name in chain with mw, enabled, for
// the rest of the test, and puts the original back when the test ends,
// disabled again if it was disabled. It fails the test if name is not in
// the chain.
func Swap(t testing.TB, chain *sturdy.Chain, name string, mw middleware.Middleware) {
	t.Helper()
	original, ok := chain.Get(name)
	if !ok {
		t.Fatalf("sturdytest: no middleware named %q in chain %q", name, chain.Names())
	}
	wasEnabled := true
	for _, e := range chain.Entries() {
		if e.Name == name {
			wasEnabled = e.Enabled
		}
	}
	if err := chain.Replace(name, mw); err != nil {
		t.Fatalf("sturdytest: swapping %q: %v", name, err)
	}
	t.Cleanup(func() {
		if err := chain.Replace(mw.Name, original); err != nil {
			t.Errorf("sturdytest: restoring %q: %v", name, err)
			return
		}
		if !wasEnabled {
			if err := chain.Disable(name); err != nil {
				t.Errorf("sturdytest: disabling restored %q: %v", name, err)
			}
		}
	})
}

// Recorder is a fake middleware that records the headers of every attempt
// that passes through it. It is safe for concurrent use.
type Recorder struct {
	name    string
	mu      sync.Mutex
	headers []http.Header
}

// NewRecorder returns a Recorder whose middleware is named name.
func NewRecorder(name string) *Recorder {
	return &Recorder{name: name}
}

// Middleware returns the middleware that records into r.
func (r *Recorder) Middleware() middleware.Middleware {
	return middleware.Middleware{
		Name: r.name,
		BeforeAttempt: func(a *middleware.Attempt) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.headers = append(r.headers, a.Request.Header.Clone())
			return nil
		},
	}
}

// Attempts returns the number of attempts recorded.
func (r *Recorder) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.headers)
}

// Headers returns a copy of the request headers of each recorded attempt,
// in order, as they were when the recorder's hook ran.
func (r *Recorder) Headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]http.Header, len(r.headers))
	for i, h := range r.headers {
		out[i] = h.Clone()
	}
	return out
}

// ConnectionRefused is a responder that fails the way a dial to a closed
// port fails, with a *net.OpError wrapping ECONNREFUSED. Unlike
// httpmock.ConnectionFailure, whose error is plain text, it is classified
// as a network error and so is retried.
func ConnectionRefused(req *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// ConnectionReset is a responder that fails the way a connection reset by
// the server fails, with a *net.OpError wrapping ECONNRESET.
func ConnectionReset(req *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}
