package sturdy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

func TestNonIdempotentRetryDecisions(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		header   string
		respond  httpmock.Responder
		opts     []sturdy.Option
		ctx      func(context.Context) context.Context
		attempts int
		reason   error
	}{
		{"POST 500", "POST", "", httpmock.NewStringResponder(500, "oops"), nil, nil, 1, sturdy.ErrNotIdempotent},
		{"POST 502", "POST", "", httpmock.NewStringResponder(502, "oops"), nil, nil, 1, sturdy.ErrNotIdempotent},
		{"POST 503 without Retry-After", "POST", "", httpmock.NewStringResponder(503, "oops"), nil, nil, 1, sturdy.ErrNotIdempotent},
		{"POST 504", "POST", "", httpmock.NewStringResponder(504, "oops"), nil, nil, 1, sturdy.ErrNotIdempotent},
		{"PATCH 500", "PATCH", "", httpmock.NewStringResponder(500, "oops"), nil, nil, 1, sturdy.ErrNotIdempotent},
		{"POST reset", "POST", "", sturdytest.ConnectionReset, nil, nil, 1, sturdy.ErrNotIdempotent},
		{"POST 429", "POST", "", httpmock.NewStringResponder(429, "slow"), nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"POST refused", "POST", "", sturdytest.ConnectionRefused, nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"POST with Idempotency-Key", "POST", "key-1", httpmock.NewStringResponder(500, "oops"), nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"POST, client opted in", "POST", "", httpmock.NewStringResponder(500, "oops"),
			[]sturdy.Option{sturdy.WithRetryNonIdempotent()}, nil, 6, sturdy.ErrRetriesExhausted},
		{"POST, request opted in", "POST", "", httpmock.NewStringResponder(500, "oops"),
			nil, middleware.WithRequestIdempotent, 6, sturdy.ErrRetriesExhausted},
		{"PUT 500", "PUT", "", httpmock.NewStringResponder(500, "oops"), nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"DELETE reset", "DELETE", "", sturdytest.ConnectionReset, nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"OPTIONS 503", "OPTIONS", "", httpmock.NewStringResponder(503, "oops"), nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"HEAD 502", "HEAD", "", httpmock.NewStringResponder(502, ""), nil, nil, 6, sturdy.ErrRetriesExhausted},
		{"TRACE 500", "TRACE", "", httpmock.NewStringResponder(500, ""), nil, nil, 6, sturdy.ErrRetriesExhausted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := sturdytest.NewClient(t, append(tc.opts, sturdy.WithoutRetryBudget())...)
			mock.RegisterResponder(tc.method, apiURL, tc.respond)
			req := c.R().SetBody("order")
			if tc.header != "" {
				req.SetHeader(middleware.HeaderIdempotencyKey, tc.header)
			}
			if tc.ctx != nil {
				req.SetContext(tc.ctx(context.Background()))
			}

			_, err := req.Execute(tc.method, apiURL)

			if got := mock.GetTotalCallCount(); got != tc.attempts {
				t.Errorf("attempts: got %d, want %d", got, tc.attempts)
			}
			if !errors.Is(err, tc.reason) {
				t.Errorf("error: got %v, want %v", err, tc.reason)
			}
		})
	}
}

func TestPost503WithRetryAfterIsRetried(t *testing.T) {
	ctx, stop, first := stopAtFirstRetry()
	c, mock := sturdytest.NewClient(t, sturdy.WithMiddleware(stop))
	resp := httpmock.NewStringResponse(503, "down for maintenance")
	resp.Header.Set("Retry-After", "2")
	mock.RegisterResponder("POST", apiURL, httpmock.ResponderFromResponse(resp))

	_, err := c.R().SetContext(ctx).SetBody("order").Post(apiURL)

	if ev := first(); ev.Attempt == nil || ev.Wait < 2*time.Second {
		t.Errorf("retry: got %+v, want one scheduled after at least 2s", ev)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want the cancellation that ended the wait", err)
	}
}

func TestNonIdempotentErrorSaysMayBeProcessed(t *testing.T) {
	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("POST", apiURL, httpmock.NewStringResponder(500, "partial write"))

	resp, err := c.R().SetBody(`{"qty":1}`).Post(apiURL)

	if err == nil || !strings.Contains(err.Error(), "may have processed") {
		t.Fatalf("error: got %v, want one saying the request may have been processed", err)
	}
	if resp.StatusCode() != 500 || resp.String() != "partial write" {
		t.Errorf("response: got %d %q, want the 500 with its body", resp.StatusCode(), resp.String())
	}
}

func TestPostDialErrorOnLoopbackIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	c := newFastClient(t, sturdy.WithMaxRetries(2))
	_, err = c.R().SetBody("order").Post("http://" + addr + "/orders")

	var se *sturdy.Error
	if !errors.As(err, &se) || len(se.Attempts) != 3 {
		t.Fatalf("error: got %v, want *sturdy.Error with 3 attempts", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Errorf("error: got %v, want ECONNREFUSED and ErrRetriesExhausted", err)
	}
}

func TestPostResetAfterWriteOnLoopbackIsNotRetried(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetLinger(0) // close with RST
		}
		conn.Close()
	})
	c := newFastClient(t)

	_, err := c.R().SetBody("order").Post(srv.URL)

	if !errors.Is(err, sturdy.ErrNotIdempotent) {
		t.Fatalf("error: got %v, want ErrNotIdempotent", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server requests: got %d, want 1", n)
	}
}

func TestRequestOverrides(t *testing.T) {
	cases := []struct {
		name     string
		ctx      context.Context
		attempts int
	}{
		{"two retries", middleware.WithRequestMaxRetries(context.Background(), 2), 3},
		{"more than the client's", middleware.WithRequestMaxRetries(context.Background(), 7), 8},
		{"no retry", middleware.WithRequestNoRetry(context.Background()), 1},
		{"client default", context.Background(), 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := sturdytest.NewClient(t, sturdy.WithoutRetryBudget())
			mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, "busy"))

			_, err := c.R().SetContext(tc.ctx).Get(apiURL)

			if got := mock.GetTotalCallCount(); got != tc.attempts {
				t.Errorf("attempts: got %d, want %d", got, tc.attempts)
			}
			if !errors.Is(err, sturdy.ErrRetriesExhausted) {
				t.Errorf("error: got %v, want ErrRetriesExhausted", err)
			}
		})
	}
}

func TestRequestOverrideRejectsNegativeRetries(t *testing.T) {
	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(200, "ok"))

	_, err := c.R().SetContext(middleware.WithRequestMaxRetries(context.Background(), -3)).Get(apiURL)

	if err == nil || !strings.Contains(err.Error(), "-3") {
		t.Errorf("error: got %v, want one naming -3", err)
	}
	if got := mock.GetTotalCallCount(); got != 0 {
		t.Errorf("attempts: got %d, want 0", got)
	}
}

// countingLog counts the lines a zerolog logger writes, by message.
type countingLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *countingLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func (l *countingLog) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func TestAttemptAccounting(t *testing.T) {
	for _, retries := range []int{0, 1, 3, 5} {
		t.Run(fmt.Sprintf("%d retries", retries), func(t *testing.T) {
			var events atomic.Int64
			var log countingLog
			c, mock := sturdytest.NewClient(t,
				sturdy.WithMaxRetries(retries),
				sturdy.WithLogger(zerolog.New(&log)),
				sturdy.WithMiddleware(middleware.Middleware{
					Name:    "count-retries",
					OnRetry: func(middleware.RetryEvent) { events.Add(1) },
				}),
			)
			mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, "busy"))

			_, err := c.R().Get(apiURL)

			var se *sturdy.Error
			if !errors.As(err, &se) {
				t.Fatalf("error: got %v, want *sturdy.Error", err)
			}
			if got := mock.GetTotalCallCount(); got != retries+1 {
				t.Errorf("attempts sent: got %d, want %d", got, retries+1)
			}
			if got := len(se.Attempts); got != retries+1 {
				t.Errorf("attempt records: got %d, want %d", got, retries+1)
			}
			waits := 0
			for _, a := range se.Attempts {
				if a.Wait > 0 {
					waits++
				}
			}
			if waits != retries {
				t.Errorf("waits: got %d, want %d", waits, retries)
			}
			if last := se.Attempts[len(se.Attempts)-1]; last.Wait != 0 {
				t.Errorf("wait after the last attempt: got %v, want 0", last.Wait)
			}
			if got := events.Load(); got != int64(retries) {
				t.Errorf("retry events: got %d, want %d", got, retries)
			}
			if got := log.count(middleware.MessageRetry); got != retries {
				t.Errorf("retry log lines: got %d, want %d", got, retries)
			}
			if got := log.count(middleware.MessageFailed); got != 1 {
				t.Errorf("failure log lines: got %d, want 1", got)
			}
		})
	}
}

// stopAtFirstRetry returns a context, and a middleware that records the
// first retry event and cancels that context, so a test can read a
// scheduled wait without sleeping through it.
func stopAtFirstRetry() (context.Context, middleware.Middleware, func() middleware.RetryEvent) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var first middleware.RetryEvent
	mw := middleware.Middleware{
		Name: "stop-at-first-retry",
		OnRetry: func(ev middleware.RetryEvent) {
			mu.Lock()
			defer mu.Unlock()
			if first.Attempt == nil {
				first = ev
			}
			cancel()
		},
	}
	return ctx, mw, func() middleware.RetryEvent {
		mu.Lock()
		defer mu.Unlock()
		return first
	}
}

func TestRetryAfterOnLoopback(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	var log countingLog
	ctx, stop, first := stopAtFirstRetry()
	c, err := sturdy.New(sturdy.WithMiddleware(stop), sturdy.WithLogger(zerolog.New(&log)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()

	start := time.Now()
	_, err = c.R().SetContext(ctx).Get(srv.URL)

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error: got %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %v, want it to end when cancelled", elapsed)
	}
	ev := first()
	if ev.Wait < 7*time.Second || ev.Wait > 8*time.Second {
		t.Errorf("wait: got %v, want the server's 7s plus at most 1s", ev.Wait)
	}
	if log.count(`"retry_after":7000`) != 1 {
		t.Errorf("retry line lacks retry_after: %q", log.lines)
	}
}

func TestRetryAfterIgnoredIsLoggedOnce(t *testing.T) {
	var log countingLog
	c, mock := sturdytest.NewClient(t, sturdy.WithMaxRetries(1), sturdy.WithLogger(zerolog.New(&log)))
	resp := httpmock.NewStringResponse(503, "busy")
	resp.Header.Set("Retry-After", "in a while")
	mock.RegisterResponder("GET", apiURL, httpmock.ResponderFromResponse(resp))

	c.R().Get(apiURL)

	if got := log.count(middleware.MessageRetryAfterIgnored); got != 1 {
		t.Errorf("ignored Retry-After lines: got %d, want 1", got)
	}
	if got := log.count(`"retry_after":"\"in a while\""`); got != 1 {
		t.Errorf("lines with the ignored value: got %d, want 1", got)
	}
}

func TestRetryAfterAboveMaximumFails(t *testing.T) {
	c, mock := sturdytest.NewClient(t,
		sturdy.WithMaxRetryAfter(30*time.Second),
		sturdy.WithRetryAfterPolicy(middleware.FailRetryAfter))
	resp := httpmock.NewStringResponse(503, "maintenance")
	resp.Header.Set("Retry-After", "3600")
	mock.RegisterResponder("GET", apiURL, httpmock.ResponderFromResponse(resp))

	got, err := c.R().Get(apiURL)

	var rae *middleware.RetryAfterError
	if !errors.As(err, &rae) || rae.Requested != time.Hour {
		t.Fatalf("error: got %v, want *RetryAfterError requesting 1h", err)
	}
	if mock.GetTotalCallCount() != 1 {
		t.Errorf("attempts: got %d, want 1", mock.GetTotalCallCount())
	}
	if got.StatusCode() != 503 || got.String() != "maintenance" {
		t.Errorf("response: got %d %q, want the 503", got.StatusCode(), got.String())
	}
}

func TestTotalTimeoutEndsCall(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	c := newFastClient(t, sturdy.WithTotalTimeout(100*time.Millisecond))

	start := time.Now()
	_, err := c.R().Get(srv.URL)

	if !errors.Is(err, sturdy.ErrTotalTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error: got %v, want ErrTotalTimeout and context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %v, want about 100ms", elapsed)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server requests: got %d, want 1 (the total timeout is final)", n)
	}
}

func TestTotalTimeoutStopsBeforeWait(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	c := newFastClient(t, sturdy.WithTotalTimeout(time.Second), sturdy.WithBackoff(10*time.Second, time.Minute))

	_, err := c.R().Get(srv.URL)

	if !errors.Is(err, sturdy.ErrDeadlineTooClose) {
		t.Errorf("error: got %v, want ErrDeadlineTooClose", err)
	}
	if !errors.Is(err, sturdy.ErrTotalTimeout) {
		t.Errorf("error: got %v, want it to name the total timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error: got %v, want it to match context.DeadlineExceeded", err)
	}
}

func TestCallerDeadlineIsNotTotalTimeout(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	c := newFastClient(t, sturdy.WithTotalTimeout(time.Hour), sturdy.WithBackoff(10*time.Second, time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()

	_, err := c.R().SetContext(ctx).Get(srv.URL)

	if !errors.Is(err, sturdy.ErrDeadlineTooClose) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error: got %v, want ErrDeadlineTooClose", err)
	}
	if errors.Is(err, sturdy.ErrTotalTimeout) {
		t.Errorf("error: got %v, want no mention of the total timeout, which did not bind", err)
	}
}

func TestCustomCancelCauseStillMatchesCanceled(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	ctx, cancel := context.WithCancelCause(context.Background())
	shutdown := errors.New("server shutting down")
	c := newFastClient(t,
		sturdy.WithBackoff(time.Hour, time.Hour),
		sturdy.WithMiddleware(middleware.Middleware{
			Name:    "cancel-on-retry",
			OnRetry: func(middleware.RetryEvent) { cancel(shutdown) },
		}))

	_, err := c.R().SetContext(ctx).Get(srv.URL)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	if !errors.Is(err, shutdown) {
		t.Errorf("error: got %v, want the cancel cause", err)
	}
}

func TestWithRetryIfCombinesConditions(t *testing.T) {
	status := func(code int) func(*middleware.Attempt) bool {
		return func(a *middleware.Attempt) bool { return a.Response != nil && a.Response.StatusCode == code }
	}
	c, mock := sturdytest.NewClient(t, sturdy.WithRetryIf(status(409)), sturdy.WithRetryIf(status(425)))
	var n atomic.Int64
	mock.RegisterResponder("GET", apiURL, func(*http.Request) (*http.Response, error) {
		switch n.Add(1) {
		case 1:
			return httpmock.NewStringResponse(409, "locked"), nil
		case 2:
			return httpmock.NewStringResponse(425, "too early"), nil
		default:
			return httpmock.NewStringResponse(200, "ok"), nil
		}
	})

	resp, err := c.R().Get(apiURL)

	if err != nil || resp.String() != "ok" {
		t.Fatalf("Get: got %q, %v; want ok after both conditions retried", resp.String(), err)
	}
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
}

func TestNoRetryRequestStreamsLargeBody(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &sturdy.Transport{Chain: chain, MaxReplayBytes: 4}}
	ctx := middleware.WithRequestNoRetry(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, onlyReader{strings.NewReader("longer than four")})

	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	if got, _ := io.ReadAll(resp.Body); string(got) != "longer than four" {
		t.Errorf("echo: got %q", got)
	}
}

func TestTotalTimeoutLeavesBodyReadable(t *testing.T) {
	srv := newLoopback(t, failFirst(0, 0))
	c := newFastClient(t, sturdy.WithTotalTimeout(time.Minute))

	resp, err := c.R().SetDoNotParseResponse(true).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.RawBody().Close()
	body, err := io.ReadAll(resp.RawBody())
	if err != nil || string(body) != "ok" {
		t.Errorf("body: got %q, %v; want ok", body, err)
	}
}

func TestRedirectsKeepBody(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.URL.Path] = fmt.Sprintf("%s %d %q", r.Method, r.ContentLength, body)
		mu.Unlock()
		switch r.URL.Path {
		case "/307":
			http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
		case "/308":
			http.Redirect(w, r, "/target", http.StatusPermanentRedirect)
		case "/303":
			http.Redirect(w, r, "/target", http.StatusSeeOther)
		default:
			io.WriteString(w, "done")
		}
	})
	cases := []struct {
		path string
		want string
	}{
		{"/307", `PUT 7 "payload"`},
		{"/308", `PUT 7 "payload"`},
		{"/303", `GET 0 ""`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			c := newFastClient(t)
			resp, err := c.R().SetBody(bytes.NewReader([]byte("payload"))).Put(srv.URL + tc.path)
			if err != nil || resp.String() != "done" {
				t.Fatalf("Put: got %q, %v", resp.String(), err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := seen["/target"]; got != tc.want {
				t.Errorf("redirected request: got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRetryBudgetUnderOutage(t *testing.T) {
	const callers, callsEach = 100, 10
	run := func(t *testing.T, opts ...sturdy.Option) (perCall float64, budgetDenied int64) {
		srv := newLoopback(t, failFirst(1<<40, 0))
		c := newFastClient(t, append([]sturdy.Option{
			sturdy.WithBackoff(time.Millisecond, 4*time.Millisecond),
		}, opts...)...)
		var denied atomic.Int64
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range callsEach {
					_, err := c.R().Get(srv.URL)
					if errors.Is(err, sturdy.ErrRetryBudgetExhausted) {
						denied.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		return float64(srv.requests.Load()) / (callers * callsEach), denied.Load()
	}

	on, denied := run(t, sturdy.WithRetryBudget(middleware.BudgetConfig{}))
	off, _ := run(t, sturdy.WithoutRetryBudget())
	t.Logf("server requests per call under a total outage, %d callers: %.2f with the budget, %.2f without", callers, on, off)

	if on > 1.3 {
		t.Errorf("requests per call with the budget: got %.2f, want at most 1.3", on)
	}
	if denied == 0 {
		t.Error("no call reported ErrRetryBudgetExhausted")
	}
	if off != 6 {
		t.Errorf("requests per call without the budget: got %.2f, want 6", off)
	}
}

func TestRetryBudgetErrorSaysClientThrottled(t *testing.T) {
	budget, err := middleware.NewBudget(middleware.BudgetConfig{MinPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	c, mock := sturdytest.NewClient(t, sturdy.WithSharedRetryBudget(budget))
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, "down"))

	_, err = c.R().Get(apiURL)

	if !errors.Is(err, sturdy.ErrRetryBudgetExhausted) {
		t.Fatalf("error: got %v, want ErrRetryBudgetExhausted", err)
	}
	if !strings.Contains(err.Error(), "client throttled its own retries") {
		t.Errorf("error %q does not say the client throttled itself", err)
	}
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts: got %d, want 1", got)
	}
}

func TestPost503WithUnusableRetryAfterIsNotRetried(t *testing.T) {
	for _, value := range []string{"", "0", "soon", "Mon, 02 Mar 2020 10:00:00 GMT"} {
		t.Run(fmt.Sprintf("%q", value), func(t *testing.T) {
			c, mock := sturdytest.NewClient(t)
			resp := httpmock.NewStringResponse(503, "down")
			resp.Header["Retry-After"] = []string{value}
			mock.RegisterResponder("POST", apiURL, httpmock.ResponderFromResponse(resp))

			_, err := c.R().SetBody("order").Post(apiURL)

			if !errors.Is(err, sturdy.ErrNotIdempotent) {
				t.Errorf("error: got %v, want ErrNotIdempotent", err)
			}
			if got := mock.GetTotalCallCount(); got != 1 {
				t.Errorf("attempts: got %d, want 1", got)
			}
		})
	}
}

func TestPostWithoutRetriesLeftSaysMayBeProcessed(t *testing.T) {
	c, mock := sturdytest.NewClient(t, sturdy.WithMaxRetries(0))
	mock.RegisterResponder("POST", apiURL, sturdytest.ConnectionReset)

	_, err := c.R().SetBody("order").Post(apiURL)

	if !errors.Is(err, sturdy.ErrNotIdempotent) {
		t.Errorf("error: got %v, want ErrNotIdempotent, which says the request may have been processed", err)
	}
}
