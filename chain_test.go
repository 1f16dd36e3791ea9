package sturdy_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

func named(name string) middleware.Middleware {
	return middleware.Middleware{Name: name}
}

func mustChain(t *testing.T, mws ...middleware.Middleware) *sturdy.Chain {
	t.Helper()
	c, err := sturdy.NewChain(mws...)
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	return c
}

func TestChainEditing(t *testing.T) {
	tests := []struct {
		name string
		edit func(*sturdy.Chain) error
		want []string
	}{
		{"append", func(c *sturdy.Chain) error { return c.Append(named("d")) }, []string{"a", "b", "c", "d"}},
		{"insert before first", func(c *sturdy.Chain) error { return c.InsertBefore("a", named("d")) }, []string{"d", "a", "b", "c"}},
		{"insert before middle", func(c *sturdy.Chain) error { return c.InsertBefore("b", named("d")) }, []string{"a", "d", "b", "c"}},
		{"insert after middle", func(c *sturdy.Chain) error { return c.InsertAfter("b", named("d")) }, []string{"a", "b", "d", "c"}},
		{"insert after last", func(c *sturdy.Chain) error { return c.InsertAfter("c", named("d")) }, []string{"a", "b", "c", "d"}},
		{"replace keeping name", func(c *sturdy.Chain) error { return c.Replace("b", named("b")) }, []string{"a", "b", "c"}},
		{"replace with new name", func(c *sturdy.Chain) error { return c.Replace("b", named("d")) }, []string{"a", "d", "c"}},
		{"remove", func(c *sturdy.Chain) error { return c.Remove("b") }, []string{"a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustChain(t, named("a"), named("b"), named("c"))
			if err := tt.edit(c); err != nil {
				t.Fatalf("edit: %v", err)
			}
			if got := c.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("names: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChainRejectsBadEdits(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*sturdy.Chain) error
		mention string
	}{
		{"duplicate append", func(c *sturdy.Chain) error { return c.Append(named("a")) }, `"a"`},
		{"duplicate insert", func(c *sturdy.Chain) error { return c.InsertAfter("a", named("b")) }, `"b"`},
		{"replace onto other name", func(c *sturdy.Chain) error { return c.Replace("a", named("b")) }, `"b"`},
		{"empty name", func(c *sturdy.Chain) error { return c.Append(named("")) }, "Name is empty"},
		{"unknown replace", func(c *sturdy.Chain) error { return c.Replace("zzz", named("z")) }, `"zzz"`},
		{"unknown remove", func(c *sturdy.Chain) error { return c.Remove("zzz") }, `"zzz"`},
		{"unknown enable", func(c *sturdy.Chain) error { return c.Enable("zzz") }, `"zzz"`},
		{"unknown disable", func(c *sturdy.Chain) error { return c.Disable("zzz") }, `"zzz"`},
		{"unknown insert before", func(c *sturdy.Chain) error { return c.InsertBefore("zzz", named("z")) }, `"zzz"`},
		{"unknown insert after", func(c *sturdy.Chain) error { return c.InsertAfter("zzz", named("z")) }, `"zzz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustChain(t, named("a"), named("b"))
			err := tt.edit(c)
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %s", err, tt.mention)
			}
			if got := c.Names(); !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("names after a rejected edit: got %q, want [a b]", got)
			}
		})
	}
}

func TestNewChainRejectsDuplicateNames(t *testing.T) {
	_, err := sturdy.NewChain(named("x"), named("x"))
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("got %v, want an error naming \"x\"", err)
	}
}

func TestChainRejectsTwoSchedules(t *testing.T) {
	r1, err := middleware.Retry(middleware.RetryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r2 := r1
	r2.Name = "retry2"

	c := mustChain(t, r1)
	if err := c.Append(r2); err == nil {
		t.Error("second enabled schedule: got nil error, want one")
	}

	// A disabled schedule does not count, and enabling it is rejected.
	if err := c.Disable(middleware.RetryName); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(r2); err != nil {
		t.Fatalf("schedule next to a disabled one: %v", err)
	}
	if err := c.Enable(middleware.RetryName); err == nil {
		t.Error("enabling a second schedule: got nil error, want one")
	}
}

func TestChainEntriesShowEnabled(t *testing.T) {
	c := mustChain(t, named("a"), named("b"))
	if err := c.Disable("a"); err != nil {
		t.Fatal(err)
	}
	want := []sturdy.Entry{{Name: "a", Enabled: false}, {Name: "b", Enabled: true}}
	if got := c.Entries(); !slices.Equal(got, want) {
		t.Errorf("entries: got %+v, want %+v", got, want)
	}
	if err := c.Enable("a"); err != nil {
		t.Fatal(err)
	}
	if got := c.Entries(); !got[0].Enabled {
		t.Errorf("entry a after Enable: got disabled, want enabled")
	}
}

func TestChainSensitiveHeaders(t *testing.T) {
	auth, err := middleware.HeaderAuth("id", "sig")
	if err != nil {
		t.Fatal(err)
	}
	extra := middleware.Middleware{Name: "x", SensitiveHeaders: []string{"x-api-key"}}
	c := mustChain(t, auth, extra)

	got := c.SensitiveHeaders()
	for _, want := range []string{"Api-Auth-Id", "Api-Auth-Signature", "X-Api-Key"} {
		if !slices.Contains(got, want) {
			t.Errorf("sensitive headers %q lack %q", got, want)
		}
	}
	c.Disable("x")
	if slices.Contains(c.SensitiveHeaders(), "X-Api-Key") {
		t.Error("a disabled middleware's headers are still listed as sensitive")
	}
}

func TestZeroChainSendsOneAttempt(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))
	rc := resty.NewWithClient(&http.Client{Transport: mock})
	if err := (&sturdy.Chain{}).Install(rc); err != nil {
		t.Fatal(err)
	}

	resp, err := rc.R().Get(apiURL)

	if err != nil || resp.StatusCode() != 503 {
		t.Errorf("got status %d and error %v, want 503 and nil", resp.StatusCode(), err)
	}
	if got := mock.GetTotalCallCount(); got != 1 {
		t.Errorf("attempts: got %d, want 1", got)
	}
}

func TestChainRequestInFlightKeepsItsChain(t *testing.T) {
	// The middleware removes itself from the chain during the first
	// attempt; the request in flight still runs it on every attempt, and
	// the next request does not.
	var mu sync.Mutex
	calls := 0
	var c *sturdy.Chain
	self := middleware.Middleware{Name: "self", BeforeAttempt: func(a *middleware.Attempt) error {
		mu.Lock()
		calls++
		mu.Unlock()
		if a.Number == 1 {
			return c.Remove("self")
		}
		return nil
	}}
	retry, err := middleware.Retry(middleware.RetryConfig{MaxRetries: 2, Backoff: middleware.Backoff{Base: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	c = mustChain(t, self, retry)
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiURL, httpmock.NewStringResponder(503, ""))
	rc := resty.NewWithClient(&http.Client{Transport: mock})
	if err := c.Install(rc); err != nil {
		t.Fatal(err)
	}

	rc.R().Get(apiURL)
	if calls != 3 {
		t.Errorf("hook runs during the request that removed it: got %d, want 3", calls)
	}
	rc.R().Get(apiURL)
	if calls != 3 {
		t.Errorf("hook runs after removal: got %d, want still 3", calls)
	}
}

func TestChainConcurrentEdits(t *testing.T) {
	c := mustChain(t, named("base"))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + g))
			for i := 0; i < 200; i++ {
				c.Append(named(name))
				c.Disable(name)
				c.Names()
				c.Enable(name)
				c.Remove(name)
			}
		}()
	}
	wg.Wait()
	if got := c.Names(); !slices.Equal(got, []string{"base"}) {
		t.Errorf("names after concurrent edits: got %q, want [base]", got)
	}
}
