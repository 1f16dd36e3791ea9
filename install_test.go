package sturdy_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

func TestInstallOnOwnRestyClient(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, sturdytest.FailThenSucceed(2,
		httpmock.NewStringResponder(503, "busy"),
		httpmock.NewStringResponder(200, "ok")))
	rc := resty.New().SetTransport(mock)
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}

	if err := chain.Install(rc); err != nil {
		t.Fatalf("Install: %v", err)
	}
	resp, err := rc.R().Get(apiURL)

	if err != nil || resp.String() != "ok" {
		t.Fatalf("Get: got %q, %v; want ok", resp.String(), err)
	}
	if got := mock.GetTotalCallCount(); got != 3 {
		t.Errorf("attempts: got %d, want 3", got)
	}
}

func TestInstallReportsExhaustedRetriesAsError(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(502, "bad gateway"))
	rc := resty.New().SetTransport(mock)
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Install(rc); err != nil {
		t.Fatal(err)
	}

	resp, err := rc.R().Get(apiURL)

	if !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Fatalf("error: got %v, want ErrRetriesExhausted", err)
	}
	if resp.StatusCode() != 502 || resp.String() != "bad gateway" {
		t.Errorf("response: got %d %q, want the last 502 with its body", resp.StatusCode(), resp.String())
	}
}

// TestInstallHooksOnExhaustedRetries pins what the docs say about resty's
// hooks when retries run out. An OnAfterResponse hook added before
// Install runs. One added after it does not, because resty stops at the
// chain's hook, which returns the failure. OnError receives the response.
func TestInstallHooksOnExhaustedRetries(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, "busy"))
	rc := resty.New().SetTransport(mock)
	var before, after int
	rc.OnAfterResponse(func(*resty.Client, *resty.Response) error { before++; return nil })
	chain, err := sturdy.NewChain(mustRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Install(rc); err != nil {
		t.Fatal(err)
	}
	rc.OnAfterResponse(func(*resty.Client, *resty.Response) error { after++; return nil })
	var failedStatus int
	rc.OnError(func(_ *resty.Request, err error) {
		var re *resty.ResponseError
		if errors.As(err, &re) {
			failedStatus = re.Response.StatusCode()
		}
	})

	_, err = rc.R().Get(apiURL)

	if !errors.Is(err, sturdy.ErrRetriesExhausted) {
		t.Fatalf("error: got %v, want ErrRetriesExhausted", err)
	}
	if before != 1 {
		t.Errorf("hook added before Install ran %d times, want 1", before)
	}
	if after != 0 {
		t.Errorf("hook added after Install ran %d times; the docs say it does not run, so update them", after)
	}
	if failedStatus != 503 {
		t.Errorf("OnError saw status %d, want the response's 503", failedStatus)
	}
}

func TestInstallMovesClientTimeoutToAttempts(t *testing.T) {
	rc := resty.New().SetTimeout(250 * time.Millisecond)
	if err := (&sturdy.Chain{}).Install(rc); err != nil {
		t.Fatal(err)
	}
	hc := rc.GetClient()
	if hc.Timeout != 0 {
		t.Errorf("http.Client.Timeout: got %v, want 0", hc.Timeout)
	}
	tr, ok := hc.Transport.(*sturdy.Transport)
	if !ok {
		t.Fatalf("transport: got %T, want *sturdy.Transport", hc.Transport)
	}
	if tr.AttemptTimeout != 250*time.Millisecond {
		t.Errorf("AttemptTimeout: got %v, want 250ms", tr.AttemptTimeout)
	}
}

func TestInstallRejects(t *testing.T) {
	installed := resty.New()
	if err := (&sturdy.Chain{}).Install(installed); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		rc   *resty.Client
		want string
	}{
		{"nil client", nil, "resty client is nil"},
		{"resty retries on", resty.New().SetRetryCount(3), "SetRetryCount(0)"},
		{"already installed", installed, "already installed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := (&sturdy.Chain{}).Install(tc.rc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Install: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestInstallKeepsExistingTransport(t *testing.T) {
	var seen int
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen++
		return httpmock.NewStringResponse(200, "ok"), nil
	})
	rc := resty.New().SetTransport(base)
	if err := (&sturdy.Chain{}).Install(rc); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.R().Get(apiURL); err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Errorf("requests through the original transport: got %d, want 1", seen)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
