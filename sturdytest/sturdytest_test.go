package sturdytest_test

import (
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/jarcoal/httpmock"
	"go.uber.org/goleak"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

const url = "https://api.test/items"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFailThenSucceed(t *testing.T) {
	c, mock := sturdytest.NewClient(t)
	mock.RegisterResponder("GET", url, sturdytest.FailThenSucceed(3,
		httpmock.NewStringResponder(500, "down"),
		httpmock.NewStringResponder(200, "up")))

	resp, err := c.R().Get(url)

	if err != nil || resp.String() != "up" {
		t.Fatalf("Get: got %q, %v; want up", resp.String(), err)
	}
	if got := mock.GetTotalCallCount(); got != 4 {
		t.Errorf("attempts: got %d, want 4", got)
	}
}

func TestNewClientAppliesOptionsAfterDefaults(t *testing.T) {
	c, mock := sturdytest.NewClient(t, sturdy.WithMaxRetries(1))
	mock.RegisterResponder("GET", url, httpmock.NewStringResponder(503, "busy"))
	c.R().Get(url)
	if got := mock.GetTotalCallCount(); got != 2 {
		t.Errorf("attempts: got %d, want 2", got)
	}
}

func TestNetworkResponders(t *testing.T) {
	cases := []struct {
		name  string
		resp  httpmock.Responder
		errno syscall.Errno
	}{
		{"refused", sturdytest.ConnectionRefused, syscall.ECONNREFUSED},
		{"reset", sturdytest.ConnectionReset, syscall.ECONNRESET},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mock := sturdytest.NewClient(t)
			mock.RegisterResponder("GET", url, sturdytest.FailThenSucceed(2, tc.resp,
				httpmock.NewStringResponder(200, "ok")))

			if _, err := c.R().Get(url); err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got := mock.GetTotalCallCount(); got != 3 {
				t.Errorf("attempts: got %d, want 3 (network errors are retried)", got)
			}

			_, err := tc.resp(nil)
			var opErr *net.OpError
			if !errors.As(err, &opErr) || !errors.Is(err, tc.errno) {
				t.Errorf("error: got %v, want a *net.OpError wrapping %v", err, tc.errno)
			}
		})
	}
}

func TestSwapRestoresOriginal(t *testing.T) {
	c, mock := sturdytest.NewClient(t, sturdy.WithBearerToken("real-token"))
	mock.RegisterResponder("GET", url, func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(200, r.Header.Get("Authorization")), nil
	})
	fake, err := middleware.BearerToken("fake-token")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("swapped", func(t *testing.T) {
		sturdytest.Swap(t, c.Chain(), middleware.AuthName, fake)
		resp, _ := c.R().Get(url)
		if resp.String() != "Bearer fake-token" {
			t.Errorf("Authorization: got %q, want the fake's", resp.String())
		}
	})

	resp, _ := c.R().Get(url)
	if resp.String() != "Bearer real-token" {
		t.Errorf("Authorization after the subtest: got %q, want the original's", resp.String())
	}
}

func TestRecorderSeesEveryAttempt(t *testing.T) {
	rec := sturdytest.NewRecorder("recorder")
	c, mock := sturdytest.NewClient(t, sturdy.WithMiddleware(rec.Middleware()))
	mock.RegisterResponder("GET", url, sturdytest.FailThenSucceed(2,
		httpmock.NewStringResponder(429, "slow down"),
		httpmock.NewStringResponder(200, "ok")))

	c.R().SetHeader("X-Request-Id", "r-1").Get(url)

	if got := rec.Attempts(); got != 3 {
		t.Fatalf("recorded attempts: got %d, want 3", got)
	}
	for i, h := range rec.Headers() {
		if h.Get("X-Request-Id") != "r-1" {
			t.Errorf("attempt %d: X-Request-Id %q, want r-1", i+1, h.Get("X-Request-Id"))
		}
	}
	hs := rec.Headers()
	hs[0].Set("X-Request-Id", "changed")
	if rec.Headers()[0].Get("X-Request-Id") != "r-1" {
		t.Error("Headers returned the recorder's own maps, want copies")
	}
}

func TestSwapKeepsDisabledState(t *testing.T) {
	c, _ := sturdytest.NewClient(t)
	if err := c.Chain().Disable(middleware.LoggingName); err != nil {
		t.Fatal(err)
	}
	t.Run("swapped", func(t *testing.T) {
		sturdytest.Swap(t, c.Chain(), middleware.LoggingName, middleware.Middleware{Name: middleware.LoggingName})
	})
	for _, e := range c.Chain().Entries() {
		if e.Name == middleware.LoggingName && e.Enabled {
			t.Error("logging: enabled after the swap ended, want disabled as before")
		}
	}
}
