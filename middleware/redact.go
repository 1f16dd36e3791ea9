package middleware

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// Redacted replaces every secret value that sturdy prints.
const Redacted = "REDACTED"

// defaultSensitiveHeaders lists, in canonical form, the headers that are
// redacted even when no middleware declares them.
var defaultSensitiveHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"Cookie",
	"Set-Cookie",
	http.CanonicalHeaderKey(HeaderAuthID),
	http.CanonicalHeaderKey(HeaderAuthSignature),
}

// defaultSecretNames are the words that mark a query parameter or JSON
// field as secret when its lower-cased name contains one of them.
var defaultSecretNames = []string{
	"token", "signature", "sig", "key", "password", "passwd", "secret", "auth", "credential",
}

// DefaultSensitiveHeaders returns the headers whose values sturdy always
// redacts: Authorization, Proxy-Authorization, Cookie, Set-Cookie,
// api-auth-id and api-auth-signature. The caller may modify the slice.
func DefaultSensitiveHeaders() []string { return slices.Clone(defaultSensitiveHeaders) }

// DefaultSecretNames returns the words that mark a query parameter or JSON
// field as secret when its name contains one of them, in any case: token,
// signature, sig, key, password, passwd, secret, auth and credential. The
// caller may modify the slice.
func DefaultSecretNames() []string { return slices.Clone(defaultSecretNames) }

// Redactor hides secrets in what sturdy prints: header values, URLs,
// bodies and error text. The zero value applies the defaults; the fields
// add to them and cannot remove any.
type Redactor struct {
	// Headers names further headers whose values are secret, in any case.
	Headers []string

	// Names lists further words that mark a query parameter or JSON field
	// as secret when its name contains one of them, in any case.
	Names []string
}

// IsSensitiveHeader reports whether the value of header name must not be
// printed: it is one of DefaultSensitiveHeaders, listed in extra, or
// named like a secret, as Redactor.IsSensitiveHeader says. Names are
// compared case-insensitively.
func IsSensitiveHeader(name string, extra []string) bool {
	return Redactor{Headers: extra}.IsSensitiveHeader(name)
}

// RedactHeader returns a copy of h in which the value of every sensitive
// header, as IsSensitiveHeader decides with extra, is Redacted.
func RedactHeader(h http.Header, extra []string) http.Header {
	return Redactor{Headers: extra}.Header(h)
}

// RedactURL returns u as a string in which Redacted replaces its user
// information, user name and password together, and the values of query
// parameters whose names look secret. A name looks secret when it
// contains one of DefaultSecretNames, in any case. A nil u gives "".
func RedactURL(u *url.URL) string { return Redactor{}.URL(u) }

// publicHeaders are headers whose names contain a secret word but whose
// values are not credentials.
var publicHeaders = []string{HeaderIdempotencyKey, "Access-Control-Allow-Credentials"}

// IsSensitiveHeader reports whether the value of header name must not be
// printed, comparing names case-insensitively. A header is sensitive when
// it is one of DefaultSensitiveHeaders, listed in r.Headers, or named like
// a secret, as X-Api-Key and X-Auth-Token are (see IsSecretName), except
// Idempotency-Key and Access-Control-Allow-Credentials.
func (r Redactor) IsSensitiveHeader(name string) bool {
	key := http.CanonicalHeaderKey(name)
	if slices.Contains(defaultSensitiveHeaders, key) {
		return true
	}
	if slices.ContainsFunc(r.Headers, func(e string) bool { return strings.EqualFold(e, key) }) {
		return true
	}
	return r.IsSecretName(key) && !slices.Contains(publicHeaders, key)
}

// IsSecretName reports whether a query parameter or JSON field with this
// name holds a secret.
func (r Redactor) IsSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, list := range [][]string{defaultSecretNames, r.Names} {
		for _, word := range list {
			if word != "" && strings.Contains(lower, strings.ToLower(word)) {
				return true
			}
		}
	}
	return false
}

// Header returns a copy of h in which the value of every sensitive header
// is Redacted. The copy is never nil.
func (r Redactor) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		if r.IsSensitiveHeader(name) {
			redacted := make([]string, len(values))
			for i := range redacted {
				redacted[i] = Redacted
			}
			out[name] = redacted
			continue
		}
		cleaned := make([]string, len(values))
		for i, v := range values {
			// Referer, Location and others may quote a URL.
			cleaned[i] = r.Message(v)
		}
		out[name] = cleaned
	}
	return out
}

// Strip deletes every sensitive header from h, in place.
func (r Redactor) Strip(h http.Header) {
	for name := range h {
		if r.IsSensitiveHeader(name) {
			delete(h, name)
		}
	}
}

// URL returns u as a string with its user information and secret query
// values Redacted, as RedactURL does, using r's secret names.
func (r Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && u.RawQuery == "" {
		return u.String()
	}
	c := *u
	if c.User != nil {
		// The user name may be a token, as in https://TOKEN@host, or
		// identify the account, so it goes along with the password.
		c.User = url.User(Redacted)
	}
	if c.RawQuery != "" {
		c.RawQuery = r.query(c.RawQuery)
	}
	return c.String()
}

// query redacts secret-looking parameters in a raw query. It works on the
// raw text so that the order and encoding of other parameters stay as they
// were, and it handles text that url.ParseQuery would reject.
func (r Redactor) query(raw string) string {
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
		if r.IsSecretName(decoded) {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// Secrets returns the secret values that req carries: the values of its
// sensitive headers, its URL's user information, and the values of its
// secret query parameters. Text scrubs them from messages that may quote
// them, such as an error from a custom transport.
func (r Redactor) Secrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	for name, values := range req.Header {
		if r.IsSensitiveHeader(name) {
			out = append(out, values...)
			for _, v := range values {
				// "Bearer abc" may be quoted as "abc" alone.
				if _, token, ok := strings.Cut(v, " "); ok {
					out = append(out, token)
				}
			}
		}
	}
	if u := req.URL; u != nil {
		if u.User != nil {
			out = append(out, u.User.Username())
			if p, ok := u.User.Password(); ok {
				out = append(out, p)
			}
		}
		for name, values := range u.Query() {
			if r.IsSecretName(name) {
				out = append(out, values...)
			}
		}
	}
	return out
}

// minSecretLen is the shortest secret that Text replaces: shorter values
// would match ordinary words and numbers in the text.
const minSecretLen = 4

// Text returns s with every occurrence of each secret, and of its
// URL-encoded form, replaced by Redacted. Secrets shorter than four bytes
// are left alone, because they would match ordinary text.
func (r Redactor) Text(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) < minSecretLen {
			continue
		}
		s = strings.ReplaceAll(s, secret, Redacted)
		if escaped := url.QueryEscape(secret); escaped != secret {
			s = strings.ReplaceAll(s, escaped, Redacted)
		}
	}
	return s
}

var (
	// headerLine matches "Name: value" in a dump or a curl command; the
	// value ends at a quote or the end of the line.
	headerLine = regexp.MustCompile(`([A-Za-z0-9-]+)[ \t]*:[ \t]*([^'"\r\n]*)`)
	// queryPair matches a query parameter in a URL or form.
	queryPair = regexp.MustCompile(`([?&;])([^=&?;\s'"#]+)=([^&;\s'"#]*)`)
	// userInfo matches the user information of a URL.
	userInfo = regexp.MustCompile(`(://)[^/\s@'"]+@`)
	// jsonPair matches a JSON string or number field, as in a curl
	// command's -d argument.
	jsonPair = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`)
)

// Message returns s, a free-form message such as one of resty's debug
// dumps, with the values of sensitive headers in "Name: value" lines,
// the user information of URLs, secret query values and secret JSON
// fields Redacted. It
// recognises only these patterns; use Text for values known in advance.
func (r Redactor) Message(s string) string {
	s = headerLine.ReplaceAllStringFunc(s, func(m string) string {
		sub := headerLine.FindStringSubmatch(m)
		if !r.IsSensitiveHeader(sub[1]) || strings.TrimSpace(sub[2]) == "" {
			return m
		}
		return sub[1] + ": " + Redacted
	})
	s = queryPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := queryPair.FindStringSubmatch(m)
		name, err := url.QueryUnescape(sub[2])
		if err != nil {
			name = sub[2]
		}
		if !r.IsSecretName(name) {
			return m
		}
		return sub[1] + sub[2] + "=" + Redacted
	})
	s = jsonPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := jsonPair.FindStringSubmatch(m)
		if !r.IsSecretName(sub[1]) {
			return m
		}
		return `"` + sub[1] + `"` + sub[2] + `"` + Redacted + `"`
	})
	return userInfo.ReplaceAllString(s, "${1}"+Redacted+"@")
}

// Body returns up to max bytes of body as printable text with secrets
// hidden. A JSON body has the values of its secret fields, at any depth,
// replaced by Redacted; a form body has its secret parameters replaced;
// any other body has the given secret values scrubbed as Text does. A
// body cut at max ends with "…".
func (r Redactor) Body(body []byte, contentType string, max int, secrets []string) string {
	var text string
	switch {
	case strings.Contains(contentType, "json") || json.Valid(body):
		text = r.jsonBody(body)
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		text = r.query(string(body))
	default:
		text = string(body)
	}
	// Message catches what the structured passes above could not parse,
	// such as JSON cut short by a log cap.
	text = r.Text(r.Message(text), secrets)
	if max > 0 && len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}

// jsonBody re-encodes a JSON body with secret fields redacted. Text that
// is not valid JSON is returned as it is, for Text to scrub.
func (r Redactor) jsonBody(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(body)
	}
	out, err := json.Marshal(r.redactJSON(v))
	if err != nil {
		return string(body)
	}
	return string(out)
}

func (r Redactor) redactJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, inner := range t {
			if r.IsSecretName(k) {
				t[k] = Redacted
				continue
			}
			t[k] = r.redactJSON(inner)
		}
	case []any:
		for i := range t {
			t[i] = r.redactJSON(t[i])
		}
	}
	return v
}

// headerObject logs a header map as a zerolog object with sensitive
// values redacted, without copying the map.
type headerObject struct {
	header   http.Header
	redactor Redactor
}

func (h headerObject) MarshalZerologObject(e *zerolog.Event) {
	for name, values := range h.header {
		if h.redactor.IsSensitiveHeader(name) {
			e.Str(name, Redacted)
			continue
		}
		e.Str(name, h.redactor.Message(strings.Join(values, ", ")))
	}
}
