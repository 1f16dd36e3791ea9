package sturdy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// cutBody responds to its first n requests with a Content-Length of 1000
// and 5 bytes of body, then closes the connection. Later requests get "ok".
func cutBody(n int64) func(int64, http.ResponseWriter, *http.Request) {
	return func(i int64, w http.ResponseWriter, r *http.Request) {
		if i > n {
			io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "short")
		w.(http.Flusher).Flush()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func TestBodyCutShortIsRetried(t *testing.T) {
	// A body limit that the body stays within changes nothing: the body
	// is still read within the attempt, and retried when cut short.
	for _, limit := range []int{0, 4096} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			srv := newLoopback(t, cutBody(2))
			c := newFastClient(t)

			resp, err := c.R().SetResponseBodyLimit(limit).Get(srv.URL)

			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if resp.String() != "ok" {
				t.Errorf("body: got %q, want ok", resp.String())
			}
			if n := srv.requests.Load(); n != 3 {
				t.Errorf("server requests: got %d, want 3", n)
			}
		})
	}
}

func TestBodyCutShortExhaustsAsSturdyError(t *testing.T) {
	srv := newLoopback(t, cutBody(100))
	c := newFastClient(t, sturdy.WithMaxRetries(2))

	_, err := c.R().Get(srv.URL)

	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Fatalf("error: got %v (%T), want *sturdy.Error", err, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Errorf("error: got %v, want unexpected EOF and ErrRetriesExhausted", err)
	}
	if len(se.Attempts) != 3 {
		t.Errorf("attempts: got %d, want 3", len(se.Attempts))
	}
}

func TestBodyCutShortOnPostIsNotRetried(t *testing.T) {
	srv := newLoopback(t, cutBody(100))
	c := newFastClient(t)

	_, err := c.R().SetBody("order").Post(srv.URL)

	if !errors.Is(err, sturdy.ErrNotIdempotent) {
		t.Errorf("error: got %v, want ErrNotIdempotent", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server requests: got %d, want 1", n)
	}
}

// trickleBody writes a 200 with a body of one byte every 20 ms for two
// seconds, or until the client goes away.
func trickleBody(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	for i := 0; i < 100; i++ {
		if _, err := io.WriteString(w, "."); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestSlowBodyIsRetriedWithinAttemptTimeout(t *testing.T) {
	srv := newLoopback(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			io.WriteString(w, "ok")
			return
		}
		trickleBody(w, r)
	})
	c := newFastClient(t, sturdy.WithTimeout(150*time.Millisecond))

	resp, err := c.R().Get(srv.URL)

	if err != nil || resp.String() != "ok" {
		t.Fatalf("Get: got %q, %v; want ok after a retry", resp.String(), err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server requests: got %d, want 2", n)
	}
}

func TestSlowBodyWithBodyLoggingTimesOut(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		trickleBody(w, r)
	})
	logger := zerolog.New(io.Discard).Level(zerolog.DebugLevel)
	c, err := sturdy.New(
		sturdy.WithTimeout(60*time.Millisecond),
		sturdy.WithMaxRetries(1),
		sturdy.WithBackoff(time.Millisecond, time.Millisecond),
		sturdy.WithoutRetryBudget(),
		sturdy.WithLogger(logger),
		sturdy.WithLogBodies(512))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)

	_, err = c.R().Get(srv.URL)

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get: got %v, want an error matching context.DeadlineExceeded", err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server requests: got %d, want 2", n)
	}
}

func TestRawResponseIsStreamed(t *testing.T) {
	release := make(chan struct{})
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first part;")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "second part")
	})
	c := newFastClient(t)

	resp, err := c.R().SetDoNotParseResponse(true).Get(srv.URL)
	if err != nil {
		close(release)
		t.Fatalf("Get: %v", err)
	}
	// The call returned while the server still holds back the rest, so
	// nothing buffered the body.
	close(release)
	defer resp.RawBody().Close()
	body, err := io.ReadAll(resp.RawBody())
	if err != nil || string(body) != "first part;second part" {
		t.Errorf("raw body: got %q, %v", body, err)
	}
}

func TestStatusAfterCallEndsIsAnError(t *testing.T) {
	srv := newLoopback(t, failFirst(100, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newFastClient(t, sturdy.WithMiddleware(middleware.Middleware{
		Name: "cancel-after-attempt",
		AfterAttempt: func(*middleware.Attempt) error {
			cancel()
			return nil
		},
	}))

	resp, err := c.R().SetContext(ctx).Get(srv.URL)

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error: got %v with status %d, want context.Canceled", err, resp.StatusCode())
	}
	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Errorf("error: got %T, want *sturdy.Error", err)
	}
}

func TestClientCloseIdleConnections(t *testing.T) {
	var closed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := sturdy.New(sturdy.WithoutLogging())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.R().Get(srv.URL); err != nil {
		t.Fatal(err)
	}

	c.CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if closed.Load() == 0 {
		t.Error("the idle connection is still open after CloseIdleConnections")
	}
}

func TestTransportWithoutResponseOrError(t *testing.T) {
	c, err := sturdy.New(sturdy.WithoutRetry(), sturdy.WithoutLogging(),
		sturdy.WithTransport(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })))
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.R().Get(apiURL)

	if err == nil || !strings.Contains(err.Error(), "neither a response nor an error") {
		t.Errorf("error: got %v, want one naming the broken transport", err)
	}
}

func TestTransportNilBodyIsEmpty(t *testing.T) {
	nilBody := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req}, nil
	})
	for _, opts := range [][]sturdy.Option{
		{sturdy.WithoutLogging()},
		{sturdy.WithLogger(zerolog.New(io.Discard).Level(zerolog.DebugLevel)), sturdy.WithLogBodies(64)},
	} {
		c, err := sturdy.New(append(opts, sturdy.WithTransport(nilBody))...)
		if err != nil {
			t.Fatal(err)
		}

		resp, err := c.R().Get(apiURL)

		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if len(resp.Body()) != 0 {
			t.Errorf("body: got %q, want empty", resp.Body())
		}
	}
}

func TestTypedNilValuesAreRejected(t *testing.T) {
	var jitter *middleware.ProportionalJitter
	var transport *http.Transport
	cases := map[string]sturdy.Option{
		"jitter":    sturdy.WithJitter(jitter),
		"transport": sturdy.WithTransport(transport),
	}
	for name, opt := range cases {
		if _, err := sturdy.New(opt); err == nil || !strings.Contains(err.Error(), "nil") {
			t.Errorf("%s: got %v, want an error saying it is nil", name, err)
		}
	}
	if d := (middleware.Backoff{Jitter: (*middleware.FullJitter)(nil)}).Wait(1); d <= 0 {
		t.Errorf("Backoff.Wait with a nil jitter: got %v, want a positive wait", d)
	}
	var chain *sturdy.Chain
	if names := chain.Names(); len(names) != 0 {
		t.Errorf("nil chain names: got %v", names)
	}
	if err := chain.Append(middleware.Middleware{Name: "x"}); err == nil {
		t.Error("Append on a nil chain: got nil, want an error")
	}
}

func TestMockTransportWithoutResponseRequest(t *testing.T) {
	// A responder that leaves Response.Request unset must not hide a
	// redirect's previous hop from the credential check.
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "http://127.0.0.1:1/start", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(http.StatusFound, "")
		resp.Header.Set("Location", "http://127.0.0.2:1/final")
		return resp, nil
	})
	var got string
	mock.RegisterResponder("GET", "http://127.0.0.2:1/final", func(r *http.Request) (*http.Response, error) {
		got = r.Header.Get("Authorization")
		return httpmock.NewStringResponse(200, "ok"), nil
	})
	c, err := sturdy.New(sturdy.WithBearerToken("token-value"), sturdy.WithTransport(mock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.R().Get("http://127.0.0.1:1/start"); err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("Authorization at the other host: got %q, want none", got)
	}
}

// endlessBody writes a body of 32 KiB chunks until a write fails or stop
// is closed, and counts the bytes it wrote.
func endlessBody(written *atomic.Int64, stop <-chan struct{}) func(int64, http.ResponseWriter, *http.Request) {
	return func(_ int64, w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

func TestBodyLimitEndsEndlessBody(t *testing.T) {
	cases := []struct {
		name  string
		limit func(*sturdy.Client, *resty.Request) *resty.Request
	}{
		{"request limit", func(_ *sturdy.Client, r *resty.Request) *resty.Request {
			return r.SetResponseBodyLimit(1024)
		}},
		{"client limit", func(c *sturdy.Client, r *resty.Request) *resty.Request {
			c.Resty().SetResponseBodyLimit(1024)
			return c.R()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var written atomic.Int64
			stop := make(chan struct{})
			srv := newLoopback(t, endlessBody(&written, stop))
			defer close(stop)
			// Short attempts, so that a client that reads past the limit
			// fails within seconds instead of reading until the default
			// timeout.
			c := newFastClient(t, sturdy.WithTimeout(2*time.Second), sturdy.WithMaxRetries(1))

			start := time.Now()
			_, err := tc.limit(c, c.R()).Get(srv.URL)

			if !errors.Is(err, resty.ErrResponseBodyTooLarge) {
				t.Fatalf("Get: got %v, want resty.ErrResponseBodyTooLarge", err)
			}
			if n := srv.requests.Load(); n != 1 {
				t.Errorf("server requests: got %d, want 1", n)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Get took %v, want it to stop at the limit", d)
			}
			// The client stops reading at the limit; what the server wrote
			// beyond it sits in the loopback socket buffers, a few MiB at
			// most.
			if w := written.Load(); w > 16<<20 {
				t.Errorf("server wrote %d bytes for a 1 KiB limit", w)
			}
		})
	}
}

func TestBodyAtLimitIsRead(t *testing.T) {
	body := strings.Repeat("b", 1024)
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, body)
	})
	c := newFastClient(t)

	resp, err := c.R().SetResponseBodyLimit(1024).Get(srv.URL)
	if err != nil {
		t.Fatalf("Get at the limit: %v", err)
	}
	if resp.String() != body {
		t.Errorf("body at the limit: got %d bytes, want %d", len(resp.Body()), len(body))
	}

	_, err = c.R().SetResponseBodyLimit(1023).Get(srv.URL)
	if !errors.Is(err, resty.ErrResponseBodyTooLarge) {
		t.Errorf("Get one byte over the limit: got %v, want resty.ErrResponseBodyTooLarge", err)
	}
}

func TestBodyLimitOnExhaustedStatus(t *testing.T) {
	body := strings.Repeat("e", 8192)
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, body)
	})
	c := newFastClient(t, sturdy.WithMaxRetries(1))

	resp, err := c.R().SetResponseBodyLimit(100 << 10).Get(srv.URL)
	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Fatalf("Get under the limit: got %v, want a *sturdy.Error", err)
	}
	if resp.String() != body {
		t.Errorf("body under the limit: got %d bytes, want %d", len(resp.Body()), len(body))
	}

	_, err = c.R().SetResponseBodyLimit(1024).Get(srv.URL)
	if !errors.Is(err, resty.ErrResponseBodyTooLarge) {
		t.Errorf("Get over the limit: got %v, want resty.ErrResponseBodyTooLarge", err)
	}
}

func TestBodyLimitMaxIntReadsWholeBody(t *testing.T) {
	srv := newLoopback(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})
	c := newFastClient(t)

	resp, err := c.R().SetResponseBodyLimit(math.MaxInt).Get(srv.URL)

	if err != nil {
		t.Fatalf("Get with limit math.MaxInt: %v", err)
	}
	if resp.String() != "ok" {
		t.Errorf("body: got %q, want ok", resp.String())
	}
}
