package reliability_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/internal/faultserver"
	"github.com/sturdyhttp/sturdy/middleware"
)

// TestConcurrentCallsWhileChainChanges shares one client between 200
// goroutines while another goroutine disables, enables, replaces, inserts
// and removes middleware. Each call fails a scripted 0, 1 or 2 times
// before it succeeds, so the server must see each call exactly that many
// times plus one: a call seen less often was lost, more often duplicated.
func TestConcurrentCallsWhileChainChanges(t *testing.T) {
	const (
		goroutines = 200
		callsEach  = 10
	)
	checkLeaks(t)
	srv := faultserver.Start(t)
	counter := &attemptCounter{}
	client, err := sturdy.New(
		sturdy.WithBaseURL(srv.URL),
		// A burst of 200 first calls under the race detector can take
		// longer than attemptTimeout, and a timed-out GET is retried
		// after the server handled it. This test counts scripted
		// failures only, so its attempts never time out.
		sturdy.WithTimeout(concurrentAttemptTimeout),
		sturdy.WithBackoff(time.Millisecond, 10*time.Millisecond),
		sturdy.WithMaxRetryAfter(10*time.Millisecond),
		sturdy.WithoutRetryBudget(),
		sturdy.WithBearerToken("token-a"),
		sturdy.WithLogger(zerolog.New(io.Discard).Level(zerolog.DebugLevel)),
		sturdy.WithMiddleware(counter.middleware()),
	)
	if err != nil {
		t.Fatalf("sturdy.New: %v", err)
	}
	t.Cleanup(client.CloseIdleConnections)

	stop := make(chan struct{})
	edits := make(chan int, 1)
	go func() { edits <- editChainUntil(t, client.Chain(), stop) }()

	var (
		wg       sync.WaitGroup
		failures atomic.Int64
		firstErr sync.Once
	)
	want := map[string]int64{}
	for g := range goroutines {
		for c := range callsEach {
			want[callID(g, c)] = int64((g+c)%3) + 1
		}
	}
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range callsEach {
				if err := concurrentCall(client, g, c); err != nil {
					failures.Add(1)
					firstErr.Do(func() { t.Errorf("call %s: %v", callID(g, c), err) })
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	editCount := <-edits

	if n := failures.Load(); n > 0 {
		t.Errorf("failed calls: got %d of %d, want 0", n, goroutines*callsEach)
	}
	if editCount == 0 {
		t.Error("the chain was not edited while calls ran")
	}
	seen := srv.RequestIDs()
	var lost, duplicated, total int64
	for id, n := range want {
		total += n
		switch got := seen[id]; {
		case got < n:
			lost++
		case got > n:
			duplicated++
		}
	}
	if lost > 0 || duplicated > 0 {
		t.Errorf("calls seen by the server less often than scripted: %d; more often: %d; want 0 and 0", lost, duplicated)
	}
	if got := srv.Stats().Requests; got != total {
		t.Errorf("requests the server handled: got %d, want %d", got, total)
	}
	if got := counter.attempts.Load(); got != total {
		t.Errorf("attempts the client made: got %d, want %d", got, total)
	}
	t.Logf("%d calls, %d requests, %d chain edits", goroutines*callsEach, total, editCount)
	checkConnsReleased(t, client, srv)
}

// concurrentAttemptTimeout is the per-attempt timeout of the concurrency
// test, far above the time any attempt takes.
const concurrentAttemptTimeout = 10 * time.Second

func callID(g, c int) string { return fmt.Sprintf("g%d-c%d", g, c) }

// concurrentCall makes call c of goroutine g: a GET whose first failures
// are 503s, or a POST whose first failures are 429s, which a POST may
// retry.
func concurrentCall(client *sturdy.Client, g, c int) error {
	id := callID(g, c)
	b := faultserver.Behavior{FailFirst: (g + c) % 3}
	method := http.MethodGet
	if c%2 == 1 {
		method = http.MethodPost
		b.FailStatus = http.StatusTooManyRequests
	}
	q := b.Query()
	q.Set("id", id)
	req := client.R().SetHeader(faultserver.HeaderRequestID, id).SetQueryParamsFromValues(q)
	if method == http.MethodPost {
		req.SetBody(map[string]string{"call": id})
	}
	resp, err := req.Execute(method, "/concurrent")
	if err != nil {
		return err
	}
	if resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("status %d, want 200", resp.StatusCode())
	}
	return nil
}

// editChainUntil edits chain in a loop until stop is closed, and returns
// the number of edits made. Every edit keeps the chain able to serve the
// calls: the retry middleware is replaced by an equal one, never removed.
func editChainUntil(t *testing.T, chain *sturdy.Chain, stop <-chan struct{}) int {
	marker := middleware.Middleware{
		Name: "marker",
		BeforeAttempt: func(a *middleware.Attempt) error {
			a.Request.Header.Set("X-Marker", "1")
			return nil
		},
	}
	tokens := []string{"token-a", "token-b"}
	editCount := 0
	for i := 0; ; i++ {
		select {
		case <-stop:
			return editCount
		default:
		}
		auth, err := middleware.BearerToken(tokens[i%2])
		if err != nil {
			t.Errorf("BearerToken: %v", err)
			return editCount
		}
		retry, err := middleware.Retry(middleware.RetryConfig{
			Backoff:       middleware.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond},
			MaxRetryAfter: 10 * time.Millisecond,
			NoBudget:      true,
		})
		if err != nil {
			t.Errorf("Retry: %v", err)
			return editCount
		}
		steps := []func() error{
			func() error { return chain.Disable(middleware.LoggingName) },
			func() error { return chain.Replace(middleware.AuthName, auth) },
			func() error { return chain.InsertAfter(middleware.AuthName, marker) },
			func() error { return chain.Enable(middleware.LoggingName) },
			func() error { return chain.Replace(middleware.RetryName, retry) },
			func() error { return chain.Remove(marker.Name) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Errorf("chain edit: %v", err)
				return editCount
			}
			editCount++
		}
		time.Sleep(100 * time.Microsecond)
	}
}
