package middleware_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sturdyhttp/sturdy/middleware"
)

// FuzzRedactHeader checks that RedactHeader never panics, keeps every
// header name and the number of its values, replaces every value of a
// sensitive header with Redacted, and neither changes its input nor
// shares slices with it.
func FuzzRedactHeader(f *testing.F) {
	for _, seed := range [][5]string{
		{"Authorization", "Bearer abc", "X-Trace", "1", ""},
		{"authorization", "Bearer abc", "api-auth-signature", "sig", ""},
		{"X-Api-Key", "k", "X-Custom-Secret", "s", "x-custom-secret"},
		{"Cookie", "a=b; c=d", "Referer", "https://u:p@host/?token=t", ""},
		{"", "", "\x00", "\r\n", "\xff"},
		{"Api-Auth-Id ", "id", "PROXY-AUTHORIZATION", "Basic Zm9vOmJhcg==", "Authorization"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2, extra string) {
		// Raw map entries keep names that are not canonical, as a header
		// built by hand may have.
		h := http.Header{name1: {value1, value2}}
		h.Add(name2, value2)
		extras := strings.Split(extra, ",")
		before := cloneHeader(h)

		got := middleware.RedactHeader(h, extras)

		if !equalHeader(h, before) {
			t.Fatalf("RedactHeader changed its input: got %q, want %q", h, before)
		}
		if len(got) != len(h) {
			t.Fatalf("RedactHeader(%q): got %d names, want %d", h, len(got), len(h))
		}
		for name, values := range h {
			out, ok := got[name]
			if !ok {
				t.Fatalf("RedactHeader(%q): name %q missing from %q", h, name, got)
			}
			if len(out) != len(values) {
				t.Fatalf("RedactHeader(%q): %q has %d values, want %d", h, name, len(out), len(values))
			}
			if middleware.IsSensitiveHeader(name, extras) {
				for _, v := range out {
					if v != middleware.Redacted {
						t.Fatalf("RedactHeader(%q): sensitive %q has value %q, want %s", h, name, v, middleware.Redacted)
					}
				}
			}
		}

		// The copy shares no slice with the input.
		for name, values := range got {
			for i := range values {
				values[i] = "changed"
			}
			if slices.Contains(h[name], "changed") && !slices.Contains(before[name], "changed") {
				t.Fatalf("RedactHeader(%q): the copy of %q shares its values with the input", before, name)
			}
		}

		// Names are compared without regard to ASCII case.
		if isASCII(name1) {
			lower := middleware.IsSensitiveHeader(strings.ToLower(name1), extras)
			upper := middleware.IsSensitiveHeader(strings.ToUpper(name1), extras)
			if lower != upper {
				t.Fatalf("IsSensitiveHeader: %q in lower case gives %v, in upper case %v", name1, lower, upper)
			}
		}
	})
}

func cloneHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		out[name] = slices.Clone(values)
	}
	return out
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for name, values := range a {
		if !slices.Equal(values, b[name]) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
