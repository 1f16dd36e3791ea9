package middleware_test

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy/middleware"
)

var now = time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   time.Duration
		ok     bool
	}{
		{"absent", nil, 0, false},
		{"seconds", []string{"120"}, 120 * time.Second, true},
		{"seconds with spaces", []string{" 7 "}, 7 * time.Second, true},
		{"leading zeros", []string{"007"}, 7 * time.Second, true},
		{"IMF-fixdate", []string{"Mon, 02 Mar 2026 10:00:30 GMT"}, 30 * time.Second, true},
		{"RFC 850", []string{"Monday, 02-Mar-26 10:01:00 GMT"}, time.Minute, true},
		{"asctime", []string{"Mon Mar  2 10:00:05 2026"}, 5 * time.Second, true},
		{"unix timestamp as seconds", []string{"1772445600"}, 1772445600 * time.Second, true},
		{"overflowing seconds", []string{"99999999999999999999999"}, math.MaxInt64, true},
		{"seconds beyond Duration", []string{"9300000000000"}, math.MaxInt64, true},
		{"same value twice", []string{"3", "3"}, 3 * time.Second, true},
		{"zero", []string{"0"}, 0, false},
		{"negative", []string{"-5"}, 0, false},
		{"plus sign", []string{"+5"}, 0, false},
		{"fractional", []string{"1.5"}, 0, false},
		{"empty", []string{""}, 0, false},
		{"blank", []string{"   "}, 0, false},
		{"garbage", []string{"soon"}, 0, false},
		{"list in one header", []string{"5, 10"}, 0, false},
		{"conflicting headers", []string{"5", "10"}, 0, false},
		{"date in the past", []string{"Mon, 02 Mar 2026 09:59:00 GMT"}, 0, false},
		{"date now", []string{"Mon, 02 Mar 2026 10:00:00 GMT"}, 0, false},
		{"date with zone other than GMT", []string{"Mon, 02 Mar 2026 10:00:30 PST"}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := middleware.ParseRetryAfter(tc.values, now)
			if ok != tc.ok {
				t.Errorf("ok: got %v, want %v", ok, tc.ok)
			}
			if got != tc.want {
				t.Errorf("wait: got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{
		"0", "1", "120", "-1", "1.5", "", "Mon, 02 Mar 2026 10:00:30 GMT",
		"Monday, 02-Mar-26 10:01:00 GMT", "Mon Mar  2 10:00:05 2026",
		"99999999999999999999", "1772445600", "\x00", "5, 10",
	} {
		f.Add(seed, int64(0))
	}
	f.Fuzz(func(t *testing.T, value string, offset int64) {
		at := now.Add(time.Duration(offset))
		wait, ok := middleware.ParseRetryAfter([]string{value}, at)
		if ok && wait <= 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, true; want a positive wait", value, wait)
		}
		if !ok && wait != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, false; want 0 when not ok", value, wait)
		}

		// The wait the schedule derives from it stays within the cap plus
		// the upward jitter, and never below what the server requested.
		const limit = time.Minute
		a := attemptWithRetryAfter(http.StatusServiceUnavailable, value)
		mw, err := middleware.Retry(middleware.RetryConfig{
			MaxRetryAfter: limit,
			NoBudget:      true,
			Backoff:       middleware.Backoff{Rand: func() float64 { return 0.999 }},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := mw.Schedule(a)
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		if got <= 0 || got > limit+time.Second {
			t.Fatalf("Retry-After %q: wait %v, want within (0, %v]", value, got, limit+time.Second)
		}
		if ok && a.RetryAfter > 0 && got < min(a.RetryAfter, limit) {
			t.Fatalf("Retry-After %q: wait %v is below the requested %v", value, got, a.RetryAfter)
		}
	})
}

// attemptWithRetryAfter returns a first attempt of a GET whose response
// has status and, unless value is empty, one Retry-After header.
func attemptWithRetryAfter(status int, values ...string) *middleware.Attempt {
	req, _ := http.NewRequest(http.MethodGet, "https://api.test/items", nil)
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
	for _, v := range values {
		resp.Header.Add(middleware.HeaderRetryAfter, v)
	}
	return &middleware.Attempt{Number: 1, Request: req, Response: resp, CallContext: req.Context()}
}

func retryMiddleware(t *testing.T, c middleware.RetryConfig) middleware.Middleware {
	t.Helper()
	c.NoBudget = c.NoBudget || c.Budget == nil
	mw, err := middleware.Retry(c)
	if err != nil {
		t.Fatalf("Retry: %v", err)
	}
	return mw
}

func TestRetryAfterTimesRetry(t *testing.T) {
	lowest := middleware.Backoff{Rand: func() float64 { return 0 }}
	highest := middleware.Backoff{Rand: func() float64 { return 0.999999 }}
	cases := []struct {
		name      string
		status    int
		value     string
		backoff   middleware.Backoff
		min, max  time.Duration
		requested time.Duration
	}{
		{"429 seconds", 429, "3", lowest, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		{"503 seconds, upward jitter", 503, "3", highest, 3 * time.Second, 3300 * time.Millisecond, 3 * time.Second},
		{"jitter at most a second", 503, "50", highest, 50 * time.Second, 51 * time.Second, 50 * time.Second},
		{"above cap is clamped", 429, "3600", lowest, time.Minute, time.Minute, time.Hour},
		{"unix timestamp is clamped", 429, "1772445600", lowest, time.Minute, time.Minute, 1772445600 * time.Second},
		{"shorter than backoff still honoured", 503, "1", lowest, time.Second, time.Second, time.Second},
		{"500 ignores it", 500, "30", lowest, 750 * time.Millisecond, 750 * time.Millisecond, 0},
		{"502 ignores it", 502, "30", lowest, 750 * time.Millisecond, 750 * time.Millisecond, 0},
		{"zero falls back to backoff", 503, "0", lowest, 750 * time.Millisecond, 750 * time.Millisecond, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mw := retryMiddleware(t, middleware.RetryConfig{Backoff: tc.backoff})
			a := attemptWithRetryAfter(tc.status, tc.value)

			wait, err := mw.Schedule(a)

			if err != nil {
				t.Fatalf("Schedule: %v", err)
			}
			if wait < tc.min || wait > tc.max {
				t.Errorf("wait: got %v, want within [%v, %v]", wait, tc.min, tc.max)
			}
			if a.RetryAfter != tc.requested {
				t.Errorf("Attempt.RetryAfter: got %v, want %v", a.RetryAfter, tc.requested)
			}
		})
	}
}

func TestRetryAfterIgnoredValueIsRecorded(t *testing.T) {
	for _, values := range [][]string{{"soon"}, {"-1"}, {"1.5"}, {""}, {"Mon, 02 Mar 2020 10:00:00 GMT"}, {"5", "9"}} {
		t.Run(strings.Join(values, "|"), func(t *testing.T) {
			mw := retryMiddleware(t, middleware.RetryConfig{
				Backoff: middleware.Backoff{Jitter: middleware.NoJitter{}},
			})
			a := attemptWithRetryAfter(429, values...)

			wait, err := mw.Schedule(a)

			if err != nil || wait != time.Second {
				t.Errorf("Schedule: got %v, %v; want the backoff's 1s", wait, err)
			}
			quoted := make([]string, len(values))
			for i, v := range values {
				quoted[i] = strconv.Quote(v)
			}
			if want := strings.Join(quoted, ", "); a.RetryAfterIgnored != want {
				t.Errorf("RetryAfterIgnored: got %q, want %q", a.RetryAfterIgnored, want)
			}
		})
	}
}

func TestRetryAfterFailPolicy(t *testing.T) {
	mw := retryMiddleware(t, middleware.RetryConfig{
		MaxRetryAfter:    10 * time.Second,
		RetryAfterPolicy: middleware.FailRetryAfter,
	})

	_, err := mw.Schedule(attemptWithRetryAfter(503, "120"))

	var rae *middleware.RetryAfterError
	if !errors.As(err, &rae) {
		t.Fatalf("Schedule: got %v, want *RetryAfterError", err)
	}
	if rae.Requested != 2*time.Minute || rae.Max != 10*time.Second {
		t.Errorf("RetryAfterError: got %v and %v, want 2m0s and 10s", rae.Requested, rae.Max)
	}
	if !strings.Contains(err.Error(), "2m0s") || !strings.Contains(err.Error(), "MaxRetryAfter") {
		t.Errorf("error %q does not name the requested wait and the fix", err)
	}

	// A wait within the maximum is honoured under the same policy.
	wait, err := mw.Schedule(attemptWithRetryAfter(503, "4"))
	if err != nil || wait < 4*time.Second {
		t.Errorf("Schedule within the maximum: got %v, %v; want at least 4s", wait, err)
	}
}

func TestRetryAfterIgnorePolicy(t *testing.T) {
	mw := retryMiddleware(t, middleware.RetryConfig{
		RetryAfterPolicy: middleware.IgnoreRetryAfter,
		Backoff:          middleware.Backoff{Jitter: middleware.NoJitter{}},
	})
	a := attemptWithRetryAfter(429, "30")

	wait, err := mw.Schedule(a)

	if err != nil || wait != time.Second {
		t.Errorf("Schedule: got %v, %v; want the backoff's 1s", wait, err)
	}
	if a.RetryAfter != 0 || a.RetryAfterIgnored != "" {
		t.Errorf("attempt: got RetryAfter %v, ignored %q; want neither set", a.RetryAfter, a.RetryAfterIgnored)
	}
}

func TestRetryAfterNeverMakesStatusRetryable(t *testing.T) {
	mw := retryMiddleware(t, middleware.RetryConfig{})
	for _, status := range []int{400, 401, 403, 404, 501} {
		if mw.RetryIf(attemptWithRetryAfter(status, "1")) {
			t.Errorf("status %d with Retry-After: retryable, want final", status)
		}
	}
}

func TestRetryConfigRejectsBadRetryAfterSettings(t *testing.T) {
	cases := []struct {
		name string
		cfg  middleware.RetryConfig
		want string
	}{
		{"negative max", middleware.RetryConfig{MaxRetryAfter: -time.Second}, "MaxRetryAfter -1s"},
		{"unknown policy", middleware.RetryConfig{RetryAfterPolicy: 7}, "RetryAfterPolicy(7)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := middleware.Retry(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Retry: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
