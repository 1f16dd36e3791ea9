package sturdy_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

const apiURL = "https://api.test/v1/items"

// waitRecorder is a middleware that records the wait of every retry.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitRecorder) middleware() middleware.Middleware {
	return middleware.Middleware{
		Name: "waits",
		OnRetry: func(ev middleware.RetryEvent) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.waits = append(w.waits, ev.Wait)
		},
	}
}

func (w *waitRecorder) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

func TestClientRetriesRetryableStatuses(t *testing.T) {
	for _, status := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mock := sturdytest.NewClient(t)
			mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(status, "failing"))

			resp, err := c.R().Get(apiURL)

			if got := mock.GetTotalCallCount(); got != 6 {
				t.Errorf("attempts: got %d, want 6 (5 retries)", got)
			}
			var se *sturdy.Error
			if !errors.As(err, &se) {
				t.Fatalf("error: got %v, want *sturdy.Error", err)
			}
			if !errors.Is(err, sturdy.ErrRetriesExhausted) {
				t.Errorf("error %v does not match ErrRetriesExhausted", err)
			}
			if len(se.Attempts) != 6 {
				t.Errorf("Error.Attempts: got %d records, want 6", len(se.Attempts))
			}
			if resp == nil || resp.StatusCode() != status {
				t.Errorf("response: got %v, want the last response with status %d", resp, status)
			}
			if got := string(se.Body); got != "failing" {
				t.Errorf("Error.Body: got %q, want %q", got, "failing")
			}
			if resp != nil && resp.String() != "failing" {
				t.Errorf("response body: got %q, want %q", resp.String(), "failing")
			}
		})
	}
}

func TestClientDoesNotRetryFinalStatuses(t *testing.T) {
	for _, status := range []int{200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 501, 505} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mock := sturdytest.NewClient(t)
			mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(status, ""))

			resp, err := c.R().Get(apiURL)

			if err != nil {
				t.Fatalf("error: got %v, want nil", err)
			}
			if got := mock.GetTotalCallCount(); got != 1 {
				t.Errorf("attempts: got %d, want 1", got)
			}
			if resp.StatusCode() != status {
				t.Errorf("status: got %d, want %d", resp.StatusCode(), status)
			}
		})
	}
}

func TestClientRetriesNetworkErrorThenSucceeds(t *testing.T) {
	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("GET", apiURL, sturdytest.FailThenSucceed(2,
		sturdytest.ConnectionRefused,
		httpmock.NewStringResponder(200, "ok")))

	resp, err := c.R().Get(apiURL)

	if err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}
	if resp.String() != "ok" {
		t.Errorf("body: got %q, want %q", resp.String(), "ok")
	}
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
}

func TestClientCustomConditionKeepsNetworkRetries(t *testing.T) {
	onlyTeapot := func(a *middleware.Attempt) bool {
		return a.Response != nil && a.Response.StatusCode == http.StatusTeapot
	}
	c, mock := sturdytest.NewClient(t, sturdy.WithRetryIf(onlyTeapot), sturdy.WithMaxRetries(2))
	mock.RegisterResponder("GET", apiURL, sturdytest.ConnectionRefused)
	mock.RegisterResponder("GET", apiURL+"/teapot", httpmock.NewStringResponder(418, ""))

	_, err := c.R().Get(apiURL)
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("network error attempts: got %d, want 3", got)
	}
	if err == nil {
		t.Error("network error: got nil error, want one")
	}

	mock.ZeroCallCounters()
	_, err = c.R().Get(apiURL + "/teapot")
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("418 attempts: got %d, want 3", got)
	}
	if !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Errorf("418 error: got %v, want ErrRetriesExhausted", err)
	}
}

func TestClientSetsHeaderAuthOncePerAttempt(t *testing.T) {
	rec := sturdytest.NewRecorder("recorder")
	c, mock := sturdytest.NewClient(t,
		sturdy.WithHeaderAuth("id-123", "sig-456"),
		sturdy.WithMiddleware(rec.Middleware()))
	var seen []http.Header
	var mu sync.Mutex
	mock.RegisterResponder("GET", apiURL, sturdytest.FailThenSucceed(2,
		func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			seen = append(seen, req.Header.Clone())
			mu.Unlock()
			return httpmock.NewStringResponse(503, ""), nil
		},
		func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			seen = append(seen, req.Header.Clone())
			mu.Unlock()
			return httpmock.NewStringResponse(200, ""), nil
		}))

	// A header set by the caller with the same name is replaced, not
	// joined.
	_, err := c.R().SetHeader("api-auth-id", "caller-value").Get(apiURL)

	if err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}
	if len(seen) != 3 {
		t.Fatalf("attempts seen by server: got %d, want 3", len(seen))
	}
	for i, h := range seen {
		if got := h.Values("api-auth-id"); len(got) != 1 || got[0] != "id-123" {
			t.Errorf("attempt %d api-auth-id: got %q, want exactly [id-123]", i+1, got)
		}
		if got := h.Values("api-auth-signature"); len(got) != 1 || got[0] != "sig-456" {
			t.Errorf("attempt %d api-auth-signature: got %q, want exactly [sig-456]", i+1, got)
		}
	}
	if got := rec.Attempts(); got != 3 {
		t.Errorf("recorder attempts: got %d, want 3", got)
	}
}

func TestClientWaitsStayInJitterBand(t *testing.T) {
	waits := &waitRecorder{}
	base := 2 * time.Millisecond
	c, mock := sturdytest.NewClient(t,
		sturdy.WithBackoff(base, time.Second),
		sturdy.WithMiddleware(waits.middleware()))
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))

	c.R().Get(apiURL)

	got := waits.get()
	if len(got) != 5 {
		t.Fatalf("retry events: got %d, want 5", len(got))
	}
	for i, w := range got {
		nominal := base << i
		low, high := time.Duration(float64(nominal)*0.75), time.Duration(float64(nominal)*1.25)
		if w < low || w > high {
			t.Errorf("wait before retry %d: got %v, want within [%v, %v]", i+1, w, low, high)
		}
	}
}

func TestClientDefaultScheduleWithSeededRandom(t *testing.T) {
	// The waits a default client would sleep, read from the backoff that
	// New builds, without sleeping them.
	b := middleware.Backoff{Jitter: middleware.NoJitter{}}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i, w := range want {
		if got := b.Wait(i + 1); got != w {
			t.Errorf("default wait before retry %d: got %v, want %v", i+1, got, w)
		}
	}
}

func TestClientSwapAuthForFake(t *testing.T) {
	c, mock := sturdytest.NewClient(t, sturdy.WithHeaderAuth("real-id", "real-sig"))
	mock.RegisterResponder("GET", apiURL, func(req *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(200, req.Header.Get("api-auth-id")), nil
	})

	t.Run("swapped", func(t *testing.T) {
		fake, err := middleware.HeaderAuth("fake-id", "fake-sig")
		if err != nil {
			t.Fatal(err)
		}
		sturdytest.Swap(t, c.Chain(), middleware.AuthName, fake)
		resp, err := c.R().Get(apiURL)
		if err != nil {
			t.Fatal(err)
		}
		if resp.String() != "fake-id" {
			t.Errorf("id sent while swapped: got %q, want fake-id", resp.String())
		}
	})

	resp, err := c.R().Get(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.String() != "real-id" {
		t.Errorf("id sent after the swapped test: got %q, want real-id", resp.String())
	}
}

func TestClientDisableAndEnableRetry(t *testing.T) {
	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))

	if err := c.Chain().Disable(middleware.RetryName); err != nil {
		t.Fatal(err)
	}
	resp, err := c.R().Get(apiURL)
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts with retry disabled: got %d, want 1", got)
	}
	if err != nil || resp.StatusCode() != 503 {
		t.Errorf("with retry disabled: got status %d and error %v, want 503 and nil", resp.StatusCode(), err)
	}

	mock.ZeroCallCounters()
	if err := c.Chain().Enable(middleware.RetryName); err != nil {
		t.Fatal(err)
	}
	c.R().Get(apiURL)
	if got := mock.GetTotalCallCount(); got != 6 {
		t.Errorf("attempts with retry enabled again: got %d, want 6", got)
	}
}

func TestClientReorderChangesHookOrder(t *testing.T) {
	var order []string
	var mu sync.Mutex
	mark := func(name string) middleware.Middleware {
		return middleware.Middleware{Name: name, BeforeAttempt: func(*middleware.Attempt) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, name)
			return nil
		}}
	}
	c, mock := sturdytest.NewClient(t, sturdy.WithMiddleware(mark("a"), mark("b")))
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(200, ""))

	c.R().Get(apiURL)
	if got := strings.Join(order, ","); got != "a,b" {
		t.Errorf("order before the move: got %s, want a,b", got)
	}

	// Move a after b.
	a, _ := c.Chain().Get("a")
	if err := c.Chain().Remove("a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Chain().InsertAfter("b", a); err != nil {
		t.Fatal(err)
	}
	order = nil
	c.R().Get(apiURL)
	if got := strings.Join(order, ","); got != "b,a" {
		t.Errorf("order after the move: got %s, want b,a", got)
	}
}

func TestClientConcurrentUseWhileChainChanges(t *testing.T) {
	// Every other call fails its first attempt, so retries run while the
	// chain changes, and every second attempt succeeds.
	numberAttempts := middleware.Middleware{
		Name: "number",
		BeforeAttempt: func(a *middleware.Attempt) error {
			a.Request.Header.Set("X-Attempt", fmt.Sprint(a.Number))
			return nil
		},
	}
	c, mock := sturdytest.NewClient(t, sturdy.WithHeaderAuth("id", "sig"), sturdy.WithMiddleware(numberAttempts), sturdy.WithoutRetryBudget())
	var served atomic.Int64
	mock.RegisterResponder("GET", apiURL, func(req *http.Request) (*http.Response, error) {
		if served.Add(1)%2 == 0 && req.Header.Get("X-Attempt") == "1" {
			return httpmock.NewStringResponse(503, ""), nil
		}
		return httpmock.NewStringResponse(200, ""), nil
	})

	stop := make(chan struct{})
	var toggler sync.WaitGroup
	toggler.Add(1)
	go func() {
		defer toggler.Done()
		noop := middleware.Middleware{Name: "noop", BeforeAttempt: func(*middleware.Attempt) error { return nil }}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Chain().Disable(middleware.LoggingName)
			c.Chain().Enable(middleware.LoggingName)
			if i%2 == 0 {
				c.Chain().Append(noop)
			} else {
				c.Chain().Remove("noop")
			}
			c.Chain().Entries()
		}
	}()

	var callers sync.WaitGroup
	var failures atomic.Int64
	for g := 0; g < 16; g++ {
		callers.Add(1)
		go func() {
			defer callers.Done()
			for i := 0; i < 50; i++ {
				if _, err := c.R().Get(apiURL); err != nil {
					failures.Add(1)
				}
			}
		}()
	}
	callers.Wait()
	close(stop)
	toggler.Wait()

	if n := failures.Load(); n != 0 {
		t.Errorf("failed calls: got %d, want 0", n)
	}
}

func TestClientLogsToGivenLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := zerolog.New(&buf).Level(zerolog.DebugLevel)
	c, mock := sturdytest.NewClient(t,
		sturdy.WithLogger(logger),
		sturdy.WithHeaderAuth("secret-id-1", "secret-sig-2"),
		sturdy.WithLogHeaders())
	mock.RegisterResponder("GET", apiURL, sturdytest.FailThenSucceed(1,
		httpmock.NewStringResponder(503, ""), httpmock.NewStringResponder(200, "")))

	if _, err := c.R().Get(apiURL); err != nil {
		t.Fatal(err)
	}

	out := buf.String()
	for _, want := range []string{middleware.MessageAttempt, middleware.MessageRetry, middleware.MessageCompleted} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"secret-id-1", "secret-sig-2"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output contains credential %q:\n%s", secret, out)
		}
	}
}

func TestClientQuietWithoutLogger(t *testing.T) {
	var buf bytes.Buffer
	saved := zerolog.DefaultContextLogger
	global := zerolog.New(&buf)
	zerolog.DefaultContextLogger = &global
	t.Cleanup(func() { zerolog.DefaultContextLogger = saved })

	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))
	c.R().Get(apiURL)

	if buf.Len() != 0 {
		t.Errorf("a client without a logger wrote to zerolog.DefaultContextLogger:\n%s", buf.String())
	}
}

func TestClientErrorOnceAfterExhaustion(t *testing.T) {
	var buf bytes.Buffer
	c, mock := sturdytest.NewClient(t, sturdy.WithLogger(zerolog.New(&buf)), sturdy.WithMaxRetries(2))
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))

	c.R().Get(apiURL)

	out := buf.String()
	if got := strings.Count(out, `"level":"error"`); got != 1 {
		t.Errorf("error lines: got %d, want 1:\n%s", got, out)
	}
	if got := strings.Count(out, `"level":"warn"`); got != 2 {
		t.Errorf("warn lines: got %d, want 2 (one per retry):\n%s", got, out)
	}
}
