package reliability_test

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/internal/faultserver"
	"github.com/sturdyhttp/sturdy/middleware"
)

// attemptTimeout is the per-attempt timeout of the clients under test:
// long enough for any healthy attempt on loopback under the race
// detector, short enough that a run of timed-out attempts stays fast.
const attemptTimeout = 200 * time.Millisecond

// settleTime bounds how long a test waits for connections, descriptors
// and goroutines to return to their baseline once its calls are done.
const settleTime = 2 * time.Second

// checkLeaks records the open file descriptors and running goroutines
// now, and when the test ends, after every cleanup registered later,
// fails it if either did not return to that baseline. Call it first, so
// that the servers and clients of the test are stopped before the check.
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	fds, countable := openFDs()
	t.Cleanup(func() {
		if countable {
			var now int
			if !eventually(func() bool { now, _ = openFDs(); return now <= fds }) {
				t.Errorf("open file descriptors: got %d, want at most %d as before the test", now, fds)
			}
		}
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines left running after the test: %v", err)
		}
	})
}

// openFDs returns the number of open file descriptors of the process, and
// false where /proc/self/fd does not exist, as outside Linux.
func openFDs() (int, bool) {
	if runtime.GOOS != "linux" {
		return 0, false
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(entries), true
}

// checkConnsReleased closes the client's idle connections and fails the
// test unless the server then sees every connection closed. A connection
// still open means a response body that was never closed, or a
// connection that left the pool without being closed.
func checkConnsReleased(t *testing.T, client *sturdy.Client, srv *faultserver.Server) {
	t.Helper()
	client.CloseIdleConnections()
	var open int64
	if !eventually(func() bool { open = srv.Stats().ConnsOpen; return open == 0 }) {
		t.Errorf("server connections open after CloseIdleConnections: got %d, want 0", open)
	}
}

// eventually polls cond every millisecond until it holds or settleTime
// passes, and reports whether it held.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(settleTime)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// attemptCounter is a middleware that counts the attempts a client makes
// and runs a test's hook on every retry.
type attemptCounter struct {
	attempts atomic.Int64
	onRetry  func(middleware.RetryEvent)
}

func (c *attemptCounter) middleware() middleware.Middleware {
	return middleware.Middleware{
		Name: "attempt-counter",
		BeforeAttempt: func(*middleware.Attempt) error {
			c.attempts.Add(1)
			return nil
		},
		OnRetry: func(ev middleware.RetryEvent) {
			if c.onRetry != nil {
				c.onRetry(ev)
			}
		},
	}
}

// newClient returns a client of baseURL that times each attempt out
// after attemptTimeout, waits 1 to 10 ms between attempts, honours
// Retry-After up to 10 ms, has no retry budget and counts its attempts.
// extra options are applied last. The client's idle connections are
// closed when the test ends.
func newClient(t testing.TB, baseURL string, extra ...sturdy.Option) (*sturdy.Client, *attemptCounter) {
	t.Helper()
	counter := &attemptCounter{}
	opts := append([]sturdy.Option{
		sturdy.WithBaseURL(baseURL),
		sturdy.WithTimeout(attemptTimeout),
		sturdy.WithBackoff(time.Millisecond, 10*time.Millisecond),
		sturdy.WithMaxRetryAfter(10 * time.Millisecond),
		sturdy.WithoutRetryBudget(),
		sturdy.WithoutLogging(),
		sturdy.WithMiddleware(counter.middleware()),
	}, extra...)
	client, err := sturdy.New(opts...)
	if err != nil {
		t.Fatalf("sturdy.New: %v", err)
	}
	t.Cleanup(client.CloseIdleConnections)
	return client, counter
}
