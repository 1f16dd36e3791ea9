package ascii

import "testing"

func TestEqualFold(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"Api-Auth-Id", "api-auth-id", true},
		{"API-AUTH-ID", "Api-Auth-Id", true},
		{"", "", true},
		{"Api-Auth-Id", "Api-Auth-Ids", false},
		{"Api-Auth-Signature", "Api-Auth-ſignature", false}, // U+017F folds to s in Unicode
		{"K", "\u212a", false},                              // Kelvin sign folds to k in Unicode
		{"σ", "ς", false},
		{"a-b", "a_b", false},
	}
	for _, c := range cases {
		if got := EqualFold(c.a, c.b); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
