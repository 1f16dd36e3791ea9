package middleware_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sturdyhttp/sturdy/middleware"
)

func TestIsSensitiveHeader(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		want  bool
	}{
		{"Authorization", nil, true},
		{"authorization", nil, true},
		{"AUTHORIZATION", nil, true},
		{"proxy-authorization", nil, true},
		{"Cookie", nil, true},
		{"set-cookie", nil, true},
		{"api-auth-id", nil, true},
		{"Api-Auth-Id", nil, true},
		{"API-AUTH-SIGNATURE", nil, true},
		{"Content-Type", nil, false},
		{"X-Request-Id", nil, false},
		{"X-Api-Key", nil, true},
		{"X-Auth-Token", nil, true},
		{"X-Signature", nil, true},
		{"Idempotency-Key", nil, false},
		{"Access-Control-Allow-Credentials", nil, false},
		{"X-Partner-Id", nil, false},
		{"", nil, false},
		{"x-api-key", []string{"X-Api-Key"}, true},
		{"X-API-KEY", []string{"X-Api-Key"}, true},
		{"X-Other", []string{"X-Api-Key"}, false},
		{"X-Partner-Id", []string{"x-partner-id"}, true},
		{"Authorization", []string{"X-Api-Key"}, true},
	}
	for _, tt := range tests {
		if got := middleware.IsSensitiveHeader(tt.name, tt.extra); got != tt.want {
			t.Errorf("IsSensitiveHeader(%q, %q): got %v, want %v", tt.name, tt.extra, got, tt.want)
		}
	}
}

func TestIsSensitiveHeaderExtraAnyCase(t *testing.T) {
	for _, extra := range [][]string{{"x-tenant"}, {"X-TENANT"}} {
		if !middleware.IsSensitiveHeader("X-Tenant", extra) {
			t.Errorf("IsSensitiveHeader(%q, %q): got false, want true", "X-Tenant", extra)
		}
		h := http.Header{"X-Tenant": {"tenant-secret"}}
		if got := middleware.RedactHeader(h, extra).Get("X-Tenant"); got != middleware.Redacted {
			t.Errorf("RedactHeader with extra %q: X-Tenant got %q, want %q", extra, got, middleware.Redacted)
		}
	}
}

func TestRedactHeader(t *testing.T) {
	in := http.Header{
		"Authorization":      {"Bearer tok"},
		"Cookie":             {"a=1", "b=2"},
		"Api-Auth-Signature": {"sig"},
		"X-Api-Key":          {"key"},
		"Content-Type":       {"application/json"},
		"Accept":             {"text/plain", "application/json"},
		"authorization":      {"non-canonical key"},
	}
	original := in.Clone()

	out := middleware.RedactHeader(in, []string{"X-Api-Key"})

	want := http.Header{
		"Authorization":      {middleware.Redacted},
		"Cookie":             {middleware.Redacted, middleware.Redacted},
		"Api-Auth-Signature": {middleware.Redacted},
		"X-Api-Key":          {middleware.Redacted},
		"Content-Type":       {"application/json"},
		"Accept":             {"text/plain", "application/json"},
		"authorization":      {middleware.Redacted},
	}
	if len(out) != len(want) {
		t.Errorf("header count: got %d, want %d: %v", len(out), len(want), out)
	}
	for name, values := range want {
		if got := out[name]; !slices.Equal(got, values) {
			t.Errorf("%s: got %q, want %q", name, got, values)
		}
	}
	for name, values := range original {
		if got := in[name]; !slices.Equal(got, values) {
			t.Errorf("input %s changed: got %q, want %q", name, got, values)
		}
	}

	// The copy shares no slice with the input.
	out["Accept"][0] = "changed"
	if got := in.Get("Accept"); got != "text/plain" {
		t.Errorf("input Accept after changing the copy: got %q, want %q", got, "text/plain")
	}
}

func TestRedactHeaderEmpty(t *testing.T) {
	for _, h := range []http.Header{nil, {}} {
		out := middleware.RedactHeader(h, nil)
		if out == nil || len(out) != 0 {
			t.Errorf("RedactHeader(%#v): got %#v, want an empty, non-nil header", h, out)
		}
	}
}

func TestRedactURL(t *testing.T) {
	redacted := middleware.Redacted
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "https://api.test/v1/items", "https://api.test/v1/items"},
		{"plain query", "https://api.test/v1/items?page=2&size=10", "https://api.test/v1/items?page=2&size=10"},
		{"password", "https://alice:hunter2@api.test/x", "https://" + redacted + "@api.test/x"},
		{"empty password", "https://alice:@api.test/x", "https://" + redacted + "@api.test/x"},
		{"user without password, often a token", "https://alice@api.test/x", "https://REDACTED@api.test/x"},
		{"token", "https://api.test/x?token=abc", "https://api.test/x?token=" + redacted},
		{"access token", "https://api.test/x?access_token=abc", "https://api.test/x?access_token=" + redacted},
		{"api key", "https://api.test/x?api_key=abc&page=2", "https://api.test/x?api_key=" + redacted + "&page=2"},
		{"apikey any case", "https://api.test/x?ApiKey=abc", "https://api.test/x?ApiKey=" + redacted},
		{"signature", "https://api.test/x?X-Amz-Signature=abc", "https://api.test/x?X-Amz-Signature=" + redacted},
		{"sig", "https://api.test/x?sig=abc", "https://api.test/x?sig=" + redacted},
		{"secret", "https://api.test/x?client_secret=abc", "https://api.test/x?client_secret=" + redacted},
		{"password parameter", "https://api.test/x?password=abc", "https://api.test/x?password=" + redacted},
		{"passwd", "https://api.test/x?passwd=abc", "https://api.test/x?passwd=" + redacted},
		{"auth", "https://api.test/x?auth=abc", "https://api.test/x?auth=" + redacted},
		{"credential", "https://api.test/x?X-Amz-Credential=abc", "https://api.test/x?X-Amz-Credential=" + redacted},
		{"empty secret value", "https://api.test/x?token=", "https://api.test/x?token=" + redacted},
		{"value with equals", "https://api.test/x?token=a=b", "https://api.test/x?token=" + redacted},
		{"repeated", "https://api.test/x?token=a&token=b", "https://api.test/x?token=" + redacted + "&token=" + redacted},
		{"order kept", "https://api.test/x?z=1&token=a&a=2", "https://api.test/x?z=1&token=" + redacted + "&a=2"},
		{"encoding kept", "https://api.test/x?q=a%20b&token=a", "https://api.test/x?q=a%20b&token=" + redacted},
		{"encoded name", "https://api.test/x?api%5Fkey=abc", "https://api.test/x?api%5Fkey=" + redacted},
		{"name without value", "https://api.test/x?token&page=2", "https://api.test/x?token&page=2"},
		{"bad escape kept", "https://api.test/x?%zz=1&token=a", "https://api.test/x?%zz=1&token=" + redacted},
		{"fragment kept", "https://api.test/x?token=a#part", "https://api.test/x?token=" + redacted + "#part"},
		{
			"password and query",
			"https://alice:hunter2@api.test/x?token=abc",
			"https://" + redacted + "@api.test/x?token=" + redacted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.in, err)
			}
			before := u.String()

			got := middleware.RedactURL(u)

			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if after := u.String(); after != before {
				t.Errorf("input changed: got %q, want %q", after, before)
			}
		})
	}
}

func TestRedactURLNil(t *testing.T) {
	if got := middleware.RedactURL(nil); got != "" {
		t.Errorf("got %q, want empty", got)
	}
}

func TestRedactURLOddInput(t *testing.T) {
	// Each URL is built by hand, because url.Parse would reject or
	// normalize some of them. RedactURL must not panic on any.
	urls := []*url.URL{
		{},
		{RawQuery: "&&&"},
		{RawQuery: "="},
		{RawQuery: "=token"},
		{RawQuery: "%"},
		{RawQuery: "token=%"},
		{RawQuery: "%74oken=abc"},
		{User: url.User("")},
		{User: url.UserPassword("", "")},
		{User: url.UserPassword("", "pw"), RawQuery: "token=a"},
		{Scheme: "mailto", Opaque: "alice@example.test", RawQuery: "token=a"},
		{Host: "[::1]:8080", Path: "/\x00", RawQuery: "token=\x00&x=\xff"},
		{ForceQuery: true},
	}
	for _, u := range urls {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("RedactURL(%#v) panicked: %v", u, p)
				}
			}()
			got := middleware.RedactURL(u)
			if strings.Contains(got, "pw") {
				t.Errorf("RedactURL(%#v): got %q, which contains the password", u, got)
			}
		}()
	}

	// A percent-encoded parameter name is decoded before it is checked.
	if got := middleware.RedactURL(&url.URL{RawQuery: "%74oken=abc"}); !strings.Contains(got, middleware.Redacted) {
		t.Errorf("encoded token name: got %q, want its value redacted", got)
	}
}

// FuzzRedactURL checks that RedactURL never panics, and that it redacts
// a password that the URL carries.
func FuzzRedactURL(f *testing.F) {
	for _, seed := range []string{
		"https://api.test/x",
		"https://alice:hunter2@api.test/x?token=abc&page=2",
		"https://api.test/x?api%5Fkey=abc&%zz=1",
		"http://[::1]:80/?&&=&token",
		"mailto:alice@example.test?secret=1",
		"//user:@host?#",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		got := middleware.RedactURL(u)
		if u.User == nil {
			return
		}
		redacted, err := url.Parse(got)
		if err != nil {
			t.Fatalf("RedactURL(%q): got %q, which does not parse: %v", raw, got, err)
		}
		if redacted.User == nil || redacted.User.String() != middleware.Redacted {
			t.Fatalf("RedactURL(%q): got %q, want the user information replaced by %s", raw, got, middleware.Redacted)
		}
	})
}

func TestAppendPlainURL(t *testing.T) {
	cases := []struct {
		raw   string
		plain bool
	}{
		{"https://api.test/api/products/4711", true},
		{"http://127.0.0.1:8080/v1/items", true},
		{"http://[::1]:80/x", true},
		{"https://api.test", true},
		{"https://api.test/a-b_c.d~e/", true},
		{"https://api.test/x?page=2", false},
		{"https://api.test/x?", false},
		{"https://alice:hunter2@api.test/x", false},
		{"https://api.test/x#frag", false},
		{"https://api.test/a%20b", false},
		{"https://api.test/caf\u00e9", false},
		{"http://[fe80::1%25eth0]/x", false},
		{"mailto:alice@example.test", false},
		{"/relative/path", false},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.raw, err)
		}
		got, ok := middleware.AppendPlainURL([]byte("prefix "), u)
		if ok != tc.plain {
			t.Errorf("%q: plain got %v, want %v", tc.raw, ok, tc.plain)
		}
		want := "prefix "
		if ok {
			want += u.String()
		}
		if string(got) != want {
			t.Errorf("%q: got %q, want %q", tc.raw, got, want)
		}
	}
}

// FuzzAppendPlainURL checks that every URL that appendPlainURL accepts
// comes out as url.URL.String writes it, and as Redactor.URL does, since
// such a URL holds nothing to redact.
func FuzzAppendPlainURL(f *testing.F) {
	for _, seed := range []string{
		"https://api.test/api/products/4711",
		"http://[::1]:80/x",
		"https://api.test",
		"HTTP://API.test/A/",
		"https://api.test/x?page=2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		got, ok := middleware.AppendPlainURL(nil, u)
		if !ok {
			if len(got) != 0 {
				t.Fatalf("%q: appended %q to a URL it rejected", raw, got)
			}
			return
		}
		if want := u.String(); string(got) != want {
			t.Fatalf("%q: got %q, want %q as url.URL.String writes it", raw, got, want)
		}
		if want := (middleware.Redactor{}).URL(u); string(got) != want {
			t.Fatalf("%q: got %q, want %q as Redactor.URL writes it", raw, got, want)
		}
	})
}
