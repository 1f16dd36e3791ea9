package middleware

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rs/zerolog"
)

// Redacted replaces every secret value that sturdy prints.
const Redacted = "REDACTED"

// DefaultSensitiveHeaders lists the headers that are redacted even when no
// middleware declares them.
var defaultSensitiveHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"Cookie",
	"Set-Cookie",
	http.CanonicalHeaderKey(HeaderAuthID),
	http.CanonicalHeaderKey(HeaderAuthSignature),
}

// secretQueryWords are the substrings that make a query parameter's value
// secret, matched against the lower-cased parameter name.
var secretQueryWords = []string{
	"token", "signature", "sig", "key", "password", "passwd", "secret", "auth", "credential",
}

// IsSensitiveHeader reports whether the value of header name must not be
// printed: it is one of Authorization, Proxy-Authorization, Cookie,
// Set-Cookie, api-auth-id and api-auth-signature, or listed in extra.
// Names are compared case-insensitively.
func IsSensitiveHeader(name string, extra []string) bool {
	key := http.CanonicalHeaderKey(name)
	return slices.Contains(defaultSensitiveHeaders, key) ||
		slices.ContainsFunc(extra, func(e string) bool { return strings.EqualFold(e, key) })
}

// RedactHeader returns a copy of h in which the value of every sensitive
// header, as IsSensitiveHeader decides with extra, is Redacted.
func RedactHeader(h http.Header, extra []string) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		if IsSensitiveHeader(name, extra) {
			redacted := make([]string, len(values))
			for i := range redacted {
				redacted[i] = Redacted
			}
			out[name] = redacted
			continue
		}
		out[name] = slices.Clone(values)
	}
	return out
}

// RedactURL returns u as a string in which Redacted replaces its
// password, its user name when it has no password, and the values of
// query parameters whose names look secret. A name looks secret when it
// contains token, signature, sig, key, password, passwd, secret, auth or
// credential, in any case. A nil u gives "".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && u.RawQuery == "" {
		return u.String()
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), Redacted)
		} else {
			// A user name alone is often a token, as in
			// https://TOKEN@host.
			c.User = url.User(Redacted)
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	return c.String()
}

// redactQuery redacts secret-looking parameters in a raw query. It works
// on the raw text so that the order and encoding of other parameters stay
// as they were, and it handles text that url.ParseQuery would reject.
func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, hasValue := strings.Cut(part, "=")
		if !hasValue {
			continue
		}
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		if isSecretName(decoded) {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

func isSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, word := range secretQueryWords {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

// headerObject logs a header map as a zerolog object with sensitive
// values redacted, without copying the map.
type headerObject struct {
	header http.Header
	extra  []string
}

func (h headerObject) MarshalZerologObject(e *zerolog.Event) {
	for name, values := range h.header {
		if IsSensitiveHeader(name, h.extra) {
			e.Str(name, Redacted)
			continue
		}
		e.Str(name, strings.Join(values, ", "))
	}
}
