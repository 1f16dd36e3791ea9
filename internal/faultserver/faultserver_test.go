package faultserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sturdyhttp/sturdy/internal/faultserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// get sends one GET with a plain client that does not retry, and returns
// the status, the body read so far and the error of the request or of
// reading the body.
func get(t *testing.T, url string, timeout time.Duration) (int, []byte, error) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func TestServerHealthy(t *testing.T) {
	srv := faultserver.Start(t)
	status, body, err := get(t, srv.URL+"/x?bytes=100", time.Second)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	if status != http.StatusOK {
		t.Errorf("status: got %d, want 200", status)
	}
	if len(body) != 100 {
		t.Errorf("body length: got %d, want 100", len(body))
	}
	stats := srv.Stats()
	if stats.Requests != 1 || stats.Succeeded != 1 || stats.Failed != 0 {
		t.Errorf("stats: got %+v, want 1 request, 1 success, 0 failures", stats)
	}
}

func TestServerFailFirstCountsPerQuery(t *testing.T) {
	srv := faultserver.Start(t)
	srv.Script("/flaky", faultserver.Behavior{FailFirst: 2, RetryAfter: "1"})

	var got []int
	for range 3 {
		status, _, err := get(t, srv.URL+"/flaky", time.Second)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		got = append(got, status)
	}
	if want := []int{503, 503, 200}; !equal(got, want) {
		t.Errorf("statuses: got %v, want %v", got, want)
	}
	// Another query has a count of its own.
	if status, _, _ := get(t, srv.URL+"/flaky?id=2", time.Second); status != 503 {
		t.Errorf("first request with another query: got %d, want 503", status)
	}
	if n := srv.PathRequests("/flaky"); n != 4 {
		t.Errorf("PathRequests: got %d, want 4", n)
	}
}

func TestServerFailRateIsSeeded(t *testing.T) {
	srv := faultserver.Start(t)
	run := func(key string) []int {
		var out []int
		b := faultserver.Behavior{FailRate: 0.5, Seed: 42}
		for range 20 {
			status, _, err := get(t, srv.URLFor("/rate", b)+"&run="+key, time.Second)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			out = append(out, status)
		}
		return out
	}
	first, second := run("a"), run("b")
	if !equal(first, second) {
		t.Errorf("equal seeds: got %v and %v, want the same statuses", first, second)
	}
	failures := 0
	for _, s := range first {
		if s == 503 {
			failures++
		}
	}
	if failures == 0 || failures == 20 {
		t.Errorf("failures at rate 0.5: got %d of 20, want some but not all", failures)
	}
}

func TestServerFaults(t *testing.T) {
	srv := faultserver.Start(t)
	tests := []struct {
		fault faultserver.Fault
		check func(t *testing.T, status int, err error)
	}{
		{faultserver.FaultReset, func(t *testing.T, status int, err error) {
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("got status %d, error %v; want ECONNRESET", status, err)
			}
		}},
		{faultserver.FaultCut, func(t *testing.T, status int, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("got status %d, error %v; want io.ErrUnexpectedEOF", status, err)
			}
		}},
		{faultserver.FaultStall, func(t *testing.T, status int, err error) {
			if status != 200 || !isTimeout(err) {
				t.Errorf("got status %d, error %v; want 200 and a timeout reading the body", status, err)
			}
		}},
		{faultserver.FaultTrickle, func(t *testing.T, status int, err error) {
			if status != 200 || !isTimeout(err) {
				t.Errorf("got status %d, error %v; want 200 and a timeout reading the body", status, err)
			}
		}},
		{faultserver.FaultHang, func(t *testing.T, status int, err error) {
			if status != 0 || !isTimeout(err) {
				t.Errorf("got status %d, error %v; want a timeout before the headers", status, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			b := faultserver.Behavior{FailRate: 1, Fail: tc.fault, Bytes: 1000, Trickle: 50 * time.Millisecond}
			status, _, err := get(t, srv.URLFor("/"+string(tc.fault), b), 200*time.Millisecond)
			tc.check(t, status, err)
		})
	}
}

func TestServerDownAndUp(t *testing.T) {
	srv := faultserver.Start(t)
	srv.Down()
	if _, _, err := get(t, srv.URL, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET while down: got %v, want ECONNREFUSED", err)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	if status, _, err := get(t, srv.URL, time.Second); err != nil || status != 200 {
		t.Fatalf("GET after Up: got %d, %v; want 200", status, err)
	}
}

func TestServerCloseIdleConns(t *testing.T) {
	srv := faultserver.Start(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	waitFor(t, func() bool { return srv.CloseIdleConns() == 1 })
	waitFor(t, func() bool { return srv.Stats().ConnsOpen == 0 })
}

func TestParseBehaviorRoundTrip(t *testing.T) {
	want := faultserver.Behavior{
		Status: 201, Bytes: 512, Delay: 5 * time.Millisecond, Trickle: time.Millisecond,
		TrickleBytes: 4, FailFirst: 2, FailRate: 0.25, Seed: 9, Fail: faultserver.FaultCut,
		FailStatus: 429, RetryAfter: "3",
	}
	got, err := faultserver.ParseBehavior(want.Query())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseBehaviorRejects(t *testing.T) {
	for _, raw := range []string{"status=abc", "delay=5", "fail=melt", "fail_rate=2", "seed=-1", "fail_first=-1"} {
		q, _ := url.ParseQuery(raw)
		if _, err := faultserver.ParseBehavior(q); err == nil {
			t.Errorf("ParseBehavior(%s): got no error, want one", raw)
		}
	}
	srv := faultserver.Start(t)
	if status, body, _ := get(t, srv.URL+"/x?fail=melt", time.Second); status != 400 || !strings.Contains(string(body), "melt") {
		t.Errorf("invalid query: got %d %q, want 400 naming the value", status, body)
	}
}

func TestProxyToxics(t *testing.T) {
	srv := faultserver.Start(t)
	proxy := faultserver.StartProxy(t, srv.Addr)

	if status, _, err := get(t, proxy.URL, time.Second); err != nil || status != 200 {
		t.Fatalf("GET through a clean proxy: got %d, %v", status, err)
	}

	name := proxy.Latency(faultserver.Downstream, 150*time.Millisecond, 0)
	start := time.Now()
	if _, _, err := get(t, proxy.URL, time.Second); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("latency 150ms: request took %v", elapsed)
	}
	proxy.Remove(name)

	proxy.BlackHole(faultserver.Upstream)
	if _, _, err := get(t, proxy.URL, 100*time.Millisecond); !isTimeout(err) {
		t.Errorf("black hole: got %v, want a timeout", err)
	}
	proxy.RemoveAll()

	proxy.Disable()
	if _, _, err := get(t, proxy.URL, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("disabled proxy: got %v, want ECONNREFUSED", err)
	}
	if err := proxy.Enable(); err != nil {
		t.Fatal(err)
	}
	if status, _, err := get(t, proxy.URL, time.Second); err != nil || status != 200 {
		t.Errorf("enabled proxy: got %d, %v", status, err)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
		time.Sleep(time.Millisecond)
	}
}
