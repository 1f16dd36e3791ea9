package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/internal/faultserver"
	"github.com/sturdyhttp/sturdy/middleware"
)

// matrixPath is the path every call of the fault matrix requests.
const matrixPath = "/matrix"

// callDeadline bounds each call of the matrix, all attempts and waits
// included.
const callDeadline = 5 * time.Second

// outcome is what one call of a matrix row must end with.
type outcome struct {
	// ok means the call returns status 200 and no error.
	ok bool
	// status is the status of the response that comes with the error,
	// or 0 when the call ends without a response.
	status int
	// errIs lists errors that the call's error must match.
	errIs []error
	// attempts is the number of attempts the client makes.
	attempts int64
	// seen is the number of requests that reach the server's handler.
	seen int64
	// within bounds the time the call takes.
	within time.Duration
}

// fixture is what one call of a matrix row runs against.
type fixture struct {
	srv     *faultserver.Server
	proxy   *faultserver.Proxy // nil unless the row uses one
	client  *sturdy.Client
	counter *attemptCounter
	toxic   string // the toxic that onRetry removes
	hookErr error
}

// matrixRow is one fault, with the outcome of a GET, of a POST and of a
// POST with an Idempotency-Key.
type matrixRow struct {
	name   string
	proxy  bool
	script faultserver.Behavior
	// rejects means the script's failures tell the client that the
	// server did not process the request: 429, or 503 with Retry-After.
	rejects bool
	opts    []sturdy.Option
	setup   func(t *testing.T, f *fixture)
	onRetry func(f *fixture, ev middleware.RetryEvent)

	get, post outcome
	// keyed is the outcome of a POST with an Idempotency-Key. Nil means
	// the same as get: such a POST is retried like a GET.
	keyed *outcome
}

// notIdempotent is the outcome of a POST that fails, after the request
// was sent, in a way that is retried for a GET: one attempt, which the
// server may have processed, and ErrNotIdempotent.
func notIdempotent(seen int64, within time.Duration) outcome {
	return outcome{errIs: []error{sturdy.ErrNotIdempotent}, attempts: 1, seen: seen, within: within}
}

func matrixRows() []matrixRow {
	return []matrixRow{
		{
			name:   "reset in the middle of the body",
			script: faultserver.Behavior{FailFirst: 2, Fail: faultserver.FaultReset, Bytes: 4096},
			get:    outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
			post:   notIdempotent(1, time.Second),
		},
		{
			name:  "reset before the response",
			proxy: true,
			setup: func(t *testing.T, f *fixture) {
				f.toxic = f.proxy.ResetPeer(faultserver.Downstream, 0)
			},
			onRetry: removeToxic,
			get:     outcome{ok: true, attempts: 2, seen: 2, within: time.Second},
			post:    notIdempotent(1, time.Second),
		},
		{
			name:  "black hole past every attempt",
			proxy: true,
			opts:  []sturdy.Option{sturdy.WithMaxRetries(2)},
			setup: func(t *testing.T, f *fixture) {
				f.proxy.BlackHole(faultserver.Upstream)
			},
			get: outcome{
				errIs:    []error{sturdy.ErrRetriesExhausted, context.DeadlineExceeded},
				attempts: 3, seen: 0, within: 3*attemptTimeout + time.Second,
			},
			post: withErrs(notIdempotent(0, attemptTimeout+time.Second), context.DeadlineExceeded),
		},
		{
			name:   "server hangs once",
			script: faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultHang},
			get:    outcome{ok: true, attempts: 2, seen: 2, within: attemptTimeout + time.Second},
			post:   withErrs(notIdempotent(1, attemptTimeout+time.Second), context.DeadlineExceeded),
		},
		{
			name:  "latency above the attempt timeout, then normal",
			proxy: true,
			setup: func(t *testing.T, f *fixture) {
				f.toxic = f.proxy.Latency(faultserver.Downstream, 2*attemptTimeout, 0)
			},
			onRetry: removeToxic,
			get:     outcome{ok: true, attempts: 2, seen: 2, within: attemptTimeout + time.Second},
			post:    withErrs(notIdempotent(1, attemptTimeout+time.Second), context.DeadlineExceeded),
		},
		{
			name:   "body stalls after the headers",
			script: faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultStall, Bytes: 4096},
			get:    outcome{ok: true, attempts: 2, seen: 2, within: attemptTimeout + time.Second},
			post:   notIdempotent(1, attemptTimeout+time.Second),
		},
		{
			name: "body trickles past the attempt timeout",
			// 64 bytes every 100 ms: the 4 KiB body would take 6.4 s.
			script: faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultTrickle, Bytes: 4096, TrickleBytes: 64},
			get:    outcome{ok: true, attempts: 2, seen: 2, within: attemptTimeout + time.Second},
			post:   notIdempotent(1, attemptTimeout+time.Second),
		},
		{
			name:  "body sliced within the attempt timeout",
			proxy: true,
			setup: func(t *testing.T, f *fixture) {
				f.proxy.Slicer(faultserver.Downstream, 256, 64, time.Millisecond)
			},
			script: faultserver.Behavior{Bytes: 4 << 10},
			get:    outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
			post:   outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
		},
		{
			name:   "body cut short of its Content-Length",
			script: faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultCut, Bytes: 4096},
			get:    outcome{ok: true, attempts: 2, seen: 2, within: time.Second},
			post:   notIdempotent(1, time.Second),
		},
		{
			name: "server down, then up while the client backs off",
			setup: func(t *testing.T, f *fixture) {
				f.srv.Down()
			},
			onRetry: func(f *fixture, ev middleware.RetryEvent) {
				if ev.Attempt.Number == 2 {
					f.hookErr = f.srv.Up()
				}
			},
			get:  outcome{ok: true, attempts: 3, seen: 1, within: time.Second},
			post: outcome{ok: true, attempts: 3, seen: 1, within: time.Second},
		},
		{
			name:  "kept-alive connection closed by the server while idle",
			setup: closeIdleAfterWarmUp,
			get:   outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
			post:  outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
		},
		{
			name:  "kept-alive connection closed, the client not yet told",
			proxy: true,
			setup: func(t *testing.T, f *fixture) {
				// The proxy passes the server's close on to the client
				// only after 100 ms, well within the attempt timeout, so
				// the client reuses a connection whose server side is
				// already gone.
				f.proxy.Add("slow_close", faultserver.Downstream, 1, map[string]any{"delay": 100})
				closeIdleAfterWarmUp(t, f)
			},
			get:   outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
			post:  notIdempotent(0, time.Second),
			keyed: &outcome{ok: true, attempts: 1, seen: 1, within: time.Second},
		},
		{
			name:    "503 with Retry-After",
			script:  faultserver.Behavior{FailFirst: 2, RetryAfter: "1"},
			rejects: true,
			get:     outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
			post:    outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
		},
		{
			name:   "503 without Retry-After",
			script: faultserver.Behavior{FailFirst: 2},
			get:    outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
			post: outcome{
				status: http.StatusServiceUnavailable, errIs: []error{sturdy.ErrNotIdempotent},
				attempts: 1, seen: 1, within: time.Second,
			},
		},
		{
			name:    "429",
			script:  faultserver.Behavior{FailFirst: 2, FailStatus: http.StatusTooManyRequests},
			rejects: true,
			get:     outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
			post:    outcome{ok: true, attempts: 3, seen: 3, within: time.Second},
		},
	}
}

func withErrs(o outcome, errs ...error) outcome {
	o.errIs = append(o.errIs, errs...)
	return o
}

func removeToxic(f *fixture, ev middleware.RetryEvent) {
	if f.toxic != "" {
		f.proxy.Remove(f.toxic)
		f.toxic = ""
	}
}

// closeIdleAfterWarmUp makes one call, so that the client pools a
// kept-alive connection, and closes that connection on the server side.
func closeIdleAfterWarmUp(t *testing.T, f *fixture) {
	t.Helper()
	if _, err := f.client.R().Get("/warm-up"); err != nil {
		t.Fatalf("warm-up call: %v", err)
	}
	if !eventually(func() bool { return f.srv.CloseIdleConns() > 0 }) {
		t.Fatal("the server has no idle connection to close after the warm-up call")
	}
	if !eventually(func() bool { return f.srv.Stats().ConnsOpen == 0 }) {
		t.Fatal("the server did not close its idle connection")
	}
}

// TestFaultMatrix makes one call for each fault and each kind of request,
// over real TCP connections. It checks the outcome, the attempts the
// client made and the server saw, and the time taken. It also checks that
// the server processes a POST at most once unless it carries an
// Idempotency-Key, and that no connection, descriptor or goroutine is
// left behind.
func TestFaultMatrix(t *testing.T) {
	kinds := []struct {
		name   string
		method string
		keyed  bool
	}{
		{"GET", http.MethodGet, false},
		{"POST", http.MethodPost, false},
		{"POST with Idempotency-Key", http.MethodPost, true},
	}
	for _, row := range matrixRows() {
		for _, kind := range kinds {
			want := row.get
			switch {
			case kind.keyed && row.keyed != nil:
				want = *row.keyed
			case kind.method == http.MethodPost && !kind.keyed:
				want = row.post
			}
			t.Run(row.name+"/"+kind.name, func(t *testing.T) {
				runMatrixCell(t, row, kind.method, kind.keyed, want)
			})
		}
	}
}

func runMatrixCell(t *testing.T, row matrixRow, method string, keyed bool, want outcome) {
	checkLeaks(t)
	f := &fixture{srv: faultserver.Start(t)}
	f.srv.Script(matrixPath, row.script)
	base := f.srv.URL
	if row.proxy {
		f.proxy = faultserver.StartProxy(t, f.srv.Addr)
		base = f.proxy.URL
	}
	f.client, f.counter = newClient(t, base, row.opts...)
	f.counter.onRetry = func(ev middleware.RetryEvent) {
		if row.onRetry != nil {
			row.onRetry(f, ev)
		}
	}
	if row.setup != nil {
		row.setup(t, f)
	}
	f.counter.attempts.Store(0)

	start := time.Now()
	resp, err := send(f.client, method, keyed)
	elapsed := time.Since(start)
	got := measured{
		status:   resp.StatusCode(),
		err:      err,
		attempts: f.counter.attempts.Load(),
		seen:     f.srv.PathRequests(matrixPath),
		elapsed:  elapsed,
	}
	t.Logf("measured: %s", got)

	if f.hookErr != nil {
		t.Fatalf("retry hook: %v", f.hookErr)
	}
	processed := got.seen
	if row.rejects {
		processed -= f.srv.Stats().Failed
	}
	if method == http.MethodPost && !keyed && processed > 1 {
		t.Errorf("POST processed by the server %d times, want at most once", processed)
	}
	if elapsed > want.within {
		t.Errorf("call took %v, want at most %v", elapsed, want.within)
	}
	checkConnsReleased(t, f.client, f.srv)

	for _, problem := range got.compare(want) {
		t.Error(problem)
	}
}

// send makes one call of the matrix with a unique request ID.
func send(client *sturdy.Client, method string, keyed bool) (*resty.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
	defer cancel()
	req := client.R().SetContext(ctx).SetHeader(faultserver.HeaderRequestID, "matrix")
	if keyed {
		req.SetHeader(middleware.HeaderIdempotencyKey, "matrix-key")
	}
	if method == http.MethodPost {
		req.SetBody(map[string]string{"item": "widget"})
	}
	return req.Execute(method, matrixPath)
}

// measured is what one call of the matrix ended with.
type measured struct {
	status   int
	err      error
	attempts int64
	seen     int64
	elapsed  time.Duration
}

func (m measured) String() string {
	result := fmt.Sprintf("status %d", m.status)
	if m.err != nil {
		result = describeError(m.err)
	}
	return fmt.Sprintf("%s; client attempts %d; server saw %d; %v",
		result, m.attempts, m.seen, m.elapsed.Round(time.Millisecond))
}

// compare returns a description of each way m differs from want.
func (m measured) compare(want outcome) []string {
	var out []string
	if want.ok {
		if m.err != nil || m.status != http.StatusOK {
			out = append(out, fmt.Sprintf("outcome: got %s, want status 200 and no error", describeError(m.err)))
		}
	} else {
		var se *sturdy.Error
		if !errors.As(m.err, &se) {
			out = append(out, fmt.Sprintf("error: got %v, want a *sturdy.Error", m.err))
		}
		for _, target := range want.errIs {
			if !errors.Is(m.err, target) {
				out = append(out, fmt.Sprintf("error: got %v, want one matching %v", m.err, target))
			}
		}
		if m.status != want.status {
			out = append(out, fmt.Sprintf("status with the error: got %d, want %d", m.status, want.status))
		}
	}
	if m.attempts != want.attempts {
		out = append(out, fmt.Sprintf("client attempts: got %d, want %d", m.attempts, want.attempts))
	}
	if m.seen != want.seen {
		out = append(out, fmt.Sprintf("requests the server saw: got %d, want %d", m.seen, want.seen))
	}
	return out
}

// describeError names what an error matches, for the measured outcomes:
// the reason of a *sturdy.Error and the network error underneath.
func describeError(err error) string {
	if err == nil {
		return "no error"
	}
	var parts []string
	var se *sturdy.Error
	if errors.As(err, &se) {
		parts = append(parts, "*sturdy.Error")
		if se.Reason != nil {
			parts = append(parts, "reason: "+firstClause(se.Reason.Error()))
		}
		if se.Err != nil {
			parts = append(parts, fmt.Sprintf("last error %q", lastClause(se.Err.Error())))
		}
	}
	for _, known := range []struct {
		target error
		name   string
	}{
		{syscall.ECONNRESET, "ECONNRESET"},
		{syscall.ECONNREFUSED, "ECONNREFUSED"},
		{context.DeadlineExceeded, "deadline exceeded"},
	} {
		if errors.Is(err, known.target) {
			parts = append(parts, known.name)
		}
	}
	if se == nil && !errors.Is(err, context.DeadlineExceeded) {
		parts = append(parts, fmt.Sprintf("%q", lastClause(err.Error())))
	}
	return "error (" + strings.Join(parts, ", ") + ")"
}

func firstClause(s string) string {
	s = strings.TrimPrefix(s, "sturdy: ")
	if i := strings.Index(s, ";"); i >= 0 {
		return s[:i]
	}
	return s
}

func lastClause(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
