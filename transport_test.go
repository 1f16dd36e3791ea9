package sturdy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// loopback is an HTTP server on 127.0.0.1 that counts the requests it
// receives and the TCP connections it accepts.
type loopback struct {
	*httptest.Server
	requests atomic.Int64
	conns    atomic.Int64
}

// newLoopback starts a server whose handler serves request n (from 1).
func newLoopback(t *testing.T, handle func(n int64, w http.ResponseWriter, r *http.Request)) *loopback {
	t.Helper()
	lb := &loopback{}
	lb.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(lb.requests.Add(1), w, r)
	}))
	lb.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			lb.conns.Add(1)
		}
	}
	lb.Start()
	t.Cleanup(lb.Close)
	return lb
}

// failFirst returns a handler that returns 503 with a body of bodySize
// bytes for the first n requests and 200 "ok" for the rest.
func failFirst(n int64, bodySize int) func(int64, http.ResponseWriter, *http.Request) {
	body := strings.Repeat("x", bodySize)
	return func(i int64, w http.ResponseWriter, _ *http.Request) {
		if i <= n {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, body)
			return
		}
		io.WriteString(w, "ok")
	}
}

// newFastClient returns a client for tests against a loopback server:
// millisecond waits, no logging, no retry budget.
func newFastClient(t *testing.T, opts ...sturdy.Option) *sturdy.Client {
	t.Helper()
	all := append([]sturdy.Option{
		sturdy.WithBackoff(time.Millisecond, 10*time.Millisecond),
		sturdy.WithoutLogging(),
		sturdy.WithoutRetryBudget(),
	}, opts...)
	c, err := sturdy.New(all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// bodyRecorder records the body and Content-Length of every request that
// its handler receives.
type bodyRecorder struct {
	mu      sync.Mutex
	bodies  []string
	lengths []int64
}

// failTwice records the request, then returns 503 for the first two
// requests and 200 for the rest.
func (b *bodyRecorder) failTwice(n int64, w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.bodies = append(b.bodies, string(data))
	b.lengths = append(b.lengths, r.ContentLength)
	b.mu.Unlock()
	failFirst(2, 0)(n, w, r)
}

func (b *bodyRecorder) get() ([]string, []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.bodies), slices.Clone(b.lengths)
}

// onlyReader hides every method of its reader but Read, so that neither
// net/http nor resty can learn its length or rewind it.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestTransportReplaysBodyOnEveryAttempt(t *testing.T) {
	const payload = `{"sku":"A-1","qty":3}`
	cases := []struct {
		name string
		body func() any
	}{
		{"bytes", func() any { return []byte(payload) }},
		{"string", func() any { return payload }},
		{"struct", func() any {
			return struct {
				SKU string `json:"sku"`
				Qty int    `json:"qty"`
			}{"A-1", 3}
		}},
		{"seekable reader", func() any { return strings.NewReader(payload) }},
		{"plain reader", func() any { return onlyReader{strings.NewReader(payload)} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &bodyRecorder{}
			srv := newLoopback(t, rec.failTwice)
			c := newFastClient(t)

			resp, err := c.R().SetHeader("Content-Type", "application/json").
				SetBody(tc.body()).Put(srv.URL)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if resp.StatusCode() != http.StatusOK {
				t.Fatalf("status: got %d, want 200", resp.StatusCode())
			}
			bodies, lengths := rec.get()
			if len(bodies) != 3 {
				t.Fatalf("attempts: got %d, want 3", len(bodies))
			}
			// resty streams a reader of unknown length with chunked
			// encoding (Content-Length -1); every retry must frame the
			// body as the first attempt did.
			wantLen := int64(len(payload))
			if tc.name == "plain reader" {
				wantLen = -1
			}
			for i, b := range bodies {
				if b != payload {
					t.Errorf("attempt %d body: got %q, want %q", i+1, b, payload)
				}
				if lengths[i] != wantLen {
					t.Errorf("attempt %d Content-Length: got %d, want %d", i+1, lengths[i], wantLen)
				}
			}
		})
	}
}

func TestTransportBodyOverReplayLimitFailsBeforeFirstAttempt(t *testing.T) {
	srv := newLoopback(t, failFirst(0, 0))
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &sturdy.Transport{Chain: chain, MaxReplayBytes: 8}}

	req, _ := http.NewRequest(http.MethodPost, srv.URL, onlyReader{strings.NewReader("nine byte")})
	resp, err := hc.Do(req)
	if resp != nil {
		resp.Body.Close()
	}

	if err == nil || !strings.Contains(err.Error(), "replay limit of 8 bytes") {
		t.Fatalf("error: got %v, want one naming the replay limit", err)
	}
	if !strings.Contains(err.Error(), "MaxReplayBytes") {
		t.Errorf("error %q does not name the fix", err)
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("server requests: got %d, want 0", n)
	}
}

func TestTransportSendsUnbufferedBodyWithoutRetry(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	// No retry middleware: nothing will resend the body, so it is streamed
	// whatever its size.
	hc := &http.Client{Transport: &sturdy.Transport{Chain: &sturdy.Chain{}, MaxReplayBytes: 4}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, onlyReader{strings.NewReader("longer than four")})
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if string(got) != "longer than four" {
		t.Errorf("echo: got %q", got)
	}
}

func mustRetry(t *testing.T) middleware.Middleware {
	t.Helper()
	mw, err := middleware.Retry(middleware.RetryConfig{
		Backoff: middleware.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

func TestTransportRetriesTimedOutAttempt(t *testing.T) {
	srv := newLoopback(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		io.WriteString(w, "ok")
	})
	c := newFastClient(t, sturdy.WithTimeout(50*time.Millisecond))

	resp, err := c.R().Get(srv.URL)

	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got := resp.String(); got != "ok" {
		t.Errorf("body: got %q, want ok", got)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server requests: got %d, want 2", n)
	}
}

func TestTransportAttemptTimeoutCoversBodyRead(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "start")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finish the body
	})
	chain := &sturdy.Chain{}
	hc := &http.Client{Transport: &sturdy.Transport{Chain: chain, AttemptTimeout: 50 * time.Millisecond}}

	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reading body: got %v, want the attempt deadline", err)
	}
}

func TestTransportCancelEndsWaitAtOnce(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newFastClient(t,
		sturdy.WithBackoff(time.Hour, time.Hour),
		sturdy.WithMiddleware(middleware.Middleware{
			Name:    "cancel-on-retry",
			OnRetry: func(middleware.RetryEvent) { cancel() },
		}),
	)

	start := time.Now()
	_, err := c.R().SetContext(ctx).Get(srv.URL)

	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %v after cancel, want it to end at once", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server requests: got %d, want 1", n)
	}
}

func TestTransportStopsWhenWaitPassesDeadline(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newFastClient(t, sturdy.WithBackoff(time.Hour, time.Hour))

	start := time.Now()
	resp, err := c.R().SetContext(ctx).Get(srv.URL)

	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %v, want it to return without waiting", elapsed)
	}
	if !errors.Is(err, sturdy.ErrDeadlineTooClose) {
		t.Fatalf("error: got %v, want ErrDeadlineTooClose", err)
	}
	var se *sturdy.Error
	if !errors.As(err, &se) || len(se.Attempts) != 1 {
		t.Fatalf("error: got %#v, want *sturdy.Error with 1 attempt", err)
	}
	if resp.StatusCode() != http.StatusServiceUnavailable {
		t.Errorf("status: got %d, want the last response's 503", resp.StatusCode())
	}
}

func TestTransportCancelledContextMakesNoAttempt(t *testing.T) {
	srv := newLoopback(t, failFirst(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newFastClient(t)

	_, err := c.R().SetContext(ctx).SetBody("payload").Post(srv.URL)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	var se *sturdy.Error
	if errors.As(err, &se) && len(se.Attempts) != 0 {
		t.Errorf("attempt records: got %d, want 0", len(se.Attempts))
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("server requests: got %d, want 0", n)
	}
}

func TestTransportHookErrorsAreNotRetried(t *testing.T) {
	boom := errors.New("signing key unavailable")
	cases := []struct {
		name     string
		mw       middleware.Middleware
		requests int64
	}{
		{"before attempt", middleware.Middleware{
			Name:          "failing",
			BeforeAttempt: func(*middleware.Attempt) error { return boom },
		}, 0},
		{"after attempt", middleware.Middleware{
			Name:         "failing",
			AfterAttempt: func(*middleware.Attempt) error { return boom },
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLoopback(t, failFirst(100, 0))
			c := newFastClient(t, sturdy.WithMiddleware(tc.mw))

			_, err := c.R().Get(srv.URL)

			if !errors.Is(err, boom) {
				t.Errorf("error: got %v, want the hook's error", err)
			}
			if !strings.Contains(err.Error(), `middleware "failing"`) {
				t.Errorf("error %q does not name the middleware", err)
			}
			if n := srv.requests.Load(); n != tc.requests {
				t.Errorf("server requests: got %d, want %d", n, tc.requests)
			}
		})
	}
}

func TestTransportConnectionRefusedOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	c := newFastClient(t, sturdy.WithMaxRetries(2))
	_, err = c.R().Get("http://" + addr + "/items")

	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error: got %v, want ECONNREFUSED", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error: got %v, want a *net.OpError inside", err)
	}
	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Fatalf("error: got %T, want *sturdy.Error", err)
	}
	if len(se.Attempts) != 3 {
		t.Errorf("attempts: got %d, want 3", len(se.Attempts))
	}
	if !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Errorf("error: got %v, want ErrRetriesExhausted", err)
	}
	for _, a := range se.Attempts {
		if a.Err == nil || a.Status != 0 {
			t.Errorf("attempt %d: got status %d err %v, want a network error", a.Number, a.Status, a.Err)
		}
	}
}

func TestTransportReusesConnectionAcrossRetries(t *testing.T) {
	// Bodies of failed attempts are drained, so the connection goes back
	// to the pool and the next attempt reuses it.
	srv := newLoopback(t, failFirst(3, 16<<10))
	c := newFastClient(t)

	resp, err := c.R().Get(srv.URL)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if resp.String() != "ok" {
		t.Errorf("body: got %q, want ok", resp.String())
	}
	if n := srv.requests.Load(); n != 4 {
		t.Errorf("server requests: got %d, want 4", n)
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("TCP connections: got %d, want 1", n)
	}
}

func TestTransportExhaustedResponseKeepsBody(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 100<<10))
	c := newFastClient(t, sturdy.WithMaxRetries(1))

	resp, err := c.R().Get(srv.URL)

	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Fatalf("error: got %v, want *sturdy.Error", err)
	}
	if got := len(resp.Body()); got != 100<<10 {
		t.Errorf("response body: got %d bytes, want %d", got, 100<<10)
	}
	if got := len(se.Body); got != sturdy.MaxErrorBodyBytes {
		t.Errorf("error body: got %d bytes, want %d", got, sturdy.MaxErrorBodyBytes)
	}
	if se.Response == nil || se.Response.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("error response: got %v, want the 503", se.Response)
	}
}

func TestTransportRawResponseStaysReadable(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 10))
	c := newFastClient(t, sturdy.WithMaxRetries(1))

	resp, err := c.R().SetDoNotParseResponse(true).Get(srv.URL)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	raw := resp.RawBody()
	defer raw.Close()
	body, err := io.ReadAll(raw)
	if err != nil || len(body) != 10 {
		t.Errorf("raw body: got %d bytes, %v; want 10 bytes", len(body), err)
	}
	if !errors.Is(sturdy.ResponseError(resp.RawResponse), sturdy.ErrRetriesExhausted) {
		t.Errorf("ResponseError: want ErrRetriesExhausted")
	}
}

func TestTransportLeavesCallerRequestAlone(t *testing.T) {
	srv := newLoopback(t, failFirst(1, 0))
	auth, err := middleware.HeaderAuth("id-1", "sig-1")
	if err != nil {
		t.Fatal(err)
	}
	chain, err := sturdy.NewChain(auth, mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &sturdy.Transport{Chain: chain}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, bytes.NewReader([]byte("data")))

	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if len(req.Header) != 0 {
		t.Errorf("caller's request headers changed: %v", req.Header)
	}
}

func TestTransportBuffersReaderWithoutGetBody(t *testing.T) {
	const payload = "unseekable payload"
	rec := &bodyRecorder{}
	srv := newLoopback(t, rec.failTwice)
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &sturdy.Transport{Chain: chain}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, onlyReader{strings.NewReader(payload)})

	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	bodies, lengths := rec.get()
	if len(bodies) != 3 {
		t.Fatalf("attempts: got %d, want 3", len(bodies))
	}
	for i := range bodies {
		if bodies[i] != payload || lengths[i] != int64(len(payload)) {
			t.Errorf("attempt %d: got %q with Content-Length %d, want %q with %d",
				i+1, bodies[i], lengths[i], payload, len(payload))
		}
	}
}
