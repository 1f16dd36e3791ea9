package sturdy_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	noSign := func(*http.Request) (map[string]string, error) { return nil, nil }
	cases := []struct {
		name string
		opts []sturdy.Option
		// want are substrings of the error: the bad value and the fix.
		want []string
	}{
		{"relative base URL", []sturdy.Option{sturdy.WithBaseURL("/v1")}, []string{`"/v1"`, "absolute"}},
		{"base URL scheme", []sturdy.Option{sturdy.WithBaseURL("ftp://host")}, []string{"ftp://host", "http or https"}},
		{"base URL parse", []sturdy.Option{sturdy.WithBaseURL("http://[::1")}, []string{"http://[::1", "absolute URL"}},
		{"zero timeout", []sturdy.Option{sturdy.WithTimeout(0)}, []string{"timeout 0s", "such as 30s"}},
		{"negative timeout", []sturdy.Option{sturdy.WithTimeout(-time.Second)}, []string{"-1s", "not positive"}},
		{"negative retries", []sturdy.Option{sturdy.WithMaxRetries(-2)}, []string{"-2", "pass 0"}},
		{"zero base wait", []sturdy.Option{sturdy.WithBackoff(0, time.Second)}, []string{"base wait 0s", "such as 1s"}},
		{"negative base wait", []sturdy.Option{sturdy.WithBackoff(-time.Millisecond, time.Second)}, []string{"-1ms"}},
		{"max below base", []sturdy.Option{sturdy.WithBackoff(2*time.Second, time.Second)}, []string{"1s is below the base wait 2s", "at least the base"}},
		{"nil jitter", []sturdy.Option{sturdy.WithJitter(nil)}, []string{"jitter is nil", "NoJitter"}},
		{"jitter of one", []sturdy.Option{sturdy.WithJitter(middleware.ProportionalJitter(1))}, []string{"1"}},
		{"negative jitter", []sturdy.Option{sturdy.WithJitter(middleware.ProportionalJitter(-0.1))}, []string{"-0.1"}},
		{"nil random", []sturdy.Option{sturdy.WithRandom(nil)}, []string{"random source is nil"}},
		{"bad status", []sturdy.Option{sturdy.WithRetryStatuses(503, 99)}, []string{"99"}},
		{"nil retry condition", []sturdy.Option{sturdy.WithRetryIf(nil)}, []string{"retry condition is nil"}},
		{"empty auth id", []sturdy.Option{sturdy.WithHeaderAuth("", "sig")}, []string{"api-auth-id"}},
		{"empty signature", []sturdy.Option{sturdy.WithHeaderAuth("id", "")}, []string{"api-auth-signature"}},
		{"empty token", []sturdy.Option{sturdy.WithBearerToken("")}, []string{"token"}},
		{"empty user", []sturdy.Option{sturdy.WithBasicAuth("", "pw")}, []string{"user"}},
		{"signer without headers", []sturdy.Option{sturdy.WithSigner(nil, noSign)}, []string{"header"}},
		{"two auth options", []sturdy.Option{sturdy.WithBearerToken("t"), sturdy.WithHeaderAuth("i", "s")}, []string{"more than one auth option"}},
		{"nil transport", []sturdy.Option{sturdy.WithTransport(nil)}, []string{"transport is nil"}},
		{"negative pool", []sturdy.Option{sturdy.WithConnectionPool(sturdy.PoolConfig{MaxIdleConnsPerHost: -1})}, []string{"MaxIdleConnsPerHost:-1", "positive"}},
		{"pool with transport", []sturdy.Option{sturdy.WithTransport(httpmock.NewMockTransport()), sturdy.WithConnectionPool(sturdy.DefaultPool)}, []string{"WithConnectionPool and WithTransport"}},
		{"duplicate middleware", []sturdy.Option{sturdy.WithMiddleware(middleware.Middleware{Name: "retry"})}, []string{`"retry"`}},
		{"unnamed middleware", []sturdy.Option{sturdy.WithMiddleware(middleware.Middleware{})}, []string{"name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sturdy.New(tc.opts...)
			if err == nil {
				t.Fatalf("New: got a client, want an error")
			}
			if c != nil {
				t.Errorf("New: got a client along with error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewRejectsControlCharactersWithoutEchoingThem(t *testing.T) {
	const secret = "s3cr3t\r\nX-Injected: 1"
	_, err := sturdy.New(sturdy.WithHeaderAuth("id", secret))
	if err == nil {
		t.Fatal("New: want an error for a signature with CR LF")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q echoes the secret", err)
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := sturdy.New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if got, want := c.Chain().Names(), []string{middleware.LoggingName, middleware.RetryName}; !slices.Equal(got, want) {
		t.Errorf("chain: got %v, want %v", got, want)
	}
	hc := c.Resty().GetClient()
	tr, ok := hc.Transport.(*sturdy.Transport)
	if !ok {
		t.Fatalf("transport: got %T, want *sturdy.Transport", hc.Transport)
	}
	if tr.AttemptTimeout != sturdy.DefaultTimeout {
		t.Errorf("attempt timeout: got %v, want %v", tr.AttemptTimeout, sturdy.DefaultTimeout)
	}
	base, ok := tr.Next.(*http.Transport)
	if !ok {
		t.Fatalf("base transport: got %T, want *http.Transport", tr.Next)
	}
	if base.MaxIdleConnsPerHost != sturdy.DefaultPool.MaxIdleConnsPerHost ||
		base.MaxIdleConns != sturdy.DefaultPool.MaxIdleConns ||
		base.MaxConnsPerHost != 0 ||
		base.IdleConnTimeout != sturdy.DefaultPool.IdleConnTimeout {
		t.Errorf("pool: got idle %d, idle per host %d, per host %d, idle timeout %v; want DefaultPool",
			base.MaxIdleConns, base.MaxIdleConnsPerHost, base.MaxConnsPerHost, base.IdleConnTimeout)
	}
	if !base.ForceAttemptHTTP2 {
		t.Error("HTTP/2: want ForceAttemptHTTP2 on the base transport")
	}
	if hc.Jar != nil {
		t.Error("cookie jar: want none")
	}
}

func TestNewStackOrder(t *testing.T) {
	extra := middleware.Middleware{Name: "trace"}
	c, err := sturdy.New(sturdy.WithHeaderAuth("id", "sig"), sturdy.WithMiddleware(extra))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{middleware.AuthName, "trace", middleware.LoggingName, middleware.RetryName}
	if got := c.Chain().Names(); !slices.Equal(got, want) {
		t.Errorf("chain: got %v, want %v", got, want)
	}

	c, err = sturdy.New(sturdy.WithoutLogging(), sturdy.WithoutRetry())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Chain().Names(); len(got) != 0 {
		t.Errorf("chain: got %v, want empty", got)
	}
}

func TestNewConnectionPool(t *testing.T) {
	c, err := sturdy.New(sturdy.WithConnectionPool(sturdy.PoolConfig{MaxIdleConnsPerHost: 8, MaxConnsPerHost: 16}))
	if err != nil {
		t.Fatal(err)
	}
	base := c.Resty().GetClient().Transport.(*sturdy.Transport).Next.(*http.Transport)
	if base.MaxIdleConnsPerHost != 8 || base.MaxConnsPerHost != 16 {
		t.Errorf("pool: got idle per host %d, per host %d; want 8, 16", base.MaxIdleConnsPerHost, base.MaxConnsPerHost)
	}
	if base.MaxIdleConns != sturdy.DefaultPool.MaxIdleConns {
		t.Errorf("MaxIdleConns: got %d, want the default %d", base.MaxIdleConns, sturdy.DefaultPool.MaxIdleConns)
	}
}

func TestWithMaxRetriesZeroMakesOneAttempt(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, "busy"))
	c, err := sturdy.New(sturdy.WithTransport(mock), sturdy.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.R().Get(apiURL)
	if !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Errorf("error: got %v, want ErrRetriesExhausted", err)
	}
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts: got %d, want 1", got)
	}
}
