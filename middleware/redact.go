package middleware

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
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
// named like a secret, as Redactor.IsSensitiveHeader decides. Names are
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

// appendPlainURL appends u as u.String() writes it, for a URL with
// nothing to redact or escape. Such a URL has a scheme and a host, no
// user information, query or fragment, and a path of letters, digits and
// "-._~/" only. For any other URL it appends nothing and reports false.
// Log lines use it to write the common URL without building a string.
func appendPlainURL(dst []byte, u *url.URL) ([]byte, bool) {
	if u == nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil ||
		u.RawPath != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		u.RawFragment != "" || u.OmitHost {
		return dst, false
	}
	for i := 0; i < len(u.Host); i++ {
		if c := u.Host[i]; !isPlainURLByte(c) && c != ':' && c != '[' && c != ']' {
			return dst, false
		}
	}
	for i := 0; i < len(u.Path); i++ {
		if c := u.Path[i]; !isPlainURLByte(c) && c != '/' {
			return dst, false
		}
	}
	dst = append(dst, u.Scheme...)
	dst = append(dst, "://"...)
	dst = append(dst, u.Host...)
	if u.Path != "" && u.Path[0] != '/' {
		dst = append(dst, '/')
	}
	return append(dst, u.Path...), true
}

// isPlainURLByte reports whether c is a letter, a digit or one of "-._~",
// which net/url never escapes.
func isPlainURLByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// URL returns u as a string with its user information and secret query
// values Redacted, as RedactURL does, using r's secret names.
func (r Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
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
	if c.Fragment != "" && strings.Contains(c.Fragment, "=") {
		// An OAuth implicit grant returns its token in the fragment.
		c.Fragment = r.query(c.Fragment)
		c.RawFragment = ""
	}
	return c.String()
}

// query redacts secret-looking parameters in a raw query. It works on the
// raw text so that the order and encoding of other parameters stay as they
// were, and it handles text that url.ParseQuery would reject.
func (r Redactor) query(raw string) string {
	parts := strings.FieldsFunc(raw, func(c rune) bool { return c == '&' || c == ';' })
	if len(parts) == 0 {
		return raw
	}
	seps := make([]byte, 0, len(parts))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '&' || raw[i] == ';' {
			seps = append(seps, raw[i])
		}
	}
	if len(seps) != len(parts)-1 {
		// Empty parameters, as in "a=1&&b=2": keep the simple split.
		parts = strings.Split(raw, "&")
		seps = nil
	}
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
	if seps == nil {
		return strings.Join(parts, "&")
	}
	var b strings.Builder
	for i, part := range parts {
		if i > 0 {
			b.WriteByte(seps[i-1])
		}
		b.WriteString(part)
	}
	return b.String()
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
				scheme, token, ok := strings.Cut(v, " ")
				if !ok {
					continue
				}
				out = append(out, token)
				if strings.EqualFold(scheme, "Basic") {
					out = append(out, basicCredentials(token)...)
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

// basicCredentials returns the user:password pair of a Basic token, and
// each half.
func basicCredentials(token string) []string {
	decoded, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil
	}
	user, password, _ := strings.Cut(string(decoded), ":")
	return []string{string(decoded), user, password}
}

// minSecretLen is the shortest secret that Text replaces: shorter values
// would match ordinary words and numbers in the text.
const minSecretLen = 4

// Text returns s with every occurrence of each secret replaced by
// Redacted, in the forms in which text commonly quotes it: as it is,
// query- and path-escaped with upper- or lower-case hex, and escaped
// inside a Go or JSON string. Secrets shorter than four bytes are left
// alone, because they would match ordinary text.
func (r Redactor) Text(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) < minSecretLen {
			continue
		}
		for _, form := range encodings(secret) {
			s = strings.ReplaceAll(s, form, Redacted)
		}
	}
	return s
}

// encodings returns secret and the escaped forms of it that differ from
// it, longest first, so that a longer form is replaced before a shorter
// one inside it.
func encodings(secret string) []string {
	quoted := strconv.Quote(secret)
	jsonText, _ := json.Marshal(secret)
	forms := []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		lowerHex(url.QueryEscape(secret)),
		lowerHex(url.PathEscape(secret)),
		quoted[1 : len(quoted)-1],
		string(jsonText[1 : len(jsonText)-1]),
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// lowerHex rewrites the hex digits of percent escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerASCII(b[i+1])
			b[i+2] = lowerASCII(b[i+2])
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

var (
	// headerLine matches "Name: value" in a dump or a curl command; the
	// value ends at a quote or the end of the line.
	headerLine = regexp.MustCompile(`([A-Za-z0-9_-]+)[ \t]*:[ \t]*([^'"\r\n]*)`)
	// queryPair matches a query or form parameter in a URL, a form body
	// or a curl command's -d argument.
	queryPair = regexp.MustCompile(`(^|[?&;#\s'"])([^=&?;#\s'"]+)=([^&;\s'"#]*)`)
	// userInfo matches the user information of a URL.
	userInfo = regexp.MustCompile(`(://)[^/\s@'"]+@`)
	// jsonKey matches a JSON object key and its colon.
	jsonKey = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"\s*:\s*`)
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
	s = r.jsonFields(s)
	return userInfo.ReplaceAllString(s, "${1}"+Redacted+"@")
}

// jsonFields replaces the value of every secret field in text that
// contains JSON, valid or not: a body cut short, or JSON inside a curl
// command. A value runs to its end, or to the end of the text when it is
// cut, whatever its type.
func (r Redactor) jsonFields(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range jsonKey.FindAllStringSubmatchIndex(text, -1) {
		if m[0] < last {
			continue // inside a value already replaced
		}
		name := text[m[2]:m[3]]
		if unquoted, err := strconv.Unquote(`"` + name + `"`); err == nil {
			name = unquoted
		}
		if !r.IsSecretName(name) {
			continue
		}
		end := jsonValueEnd(text, m[1])
		b.WriteString(text[last:m[1]])
		b.WriteString(`"` + Redacted + `"`)
		last = end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// jsonValueEnd returns the index just past the JSON value that starts at
// i, or len(text) when the value is cut short. It follows strings and
// nested arrays and objects.
func jsonValueEnd(text string, i int) int {
	if i >= len(text) {
		return i
	}
	switch text[i] {
	case '"':
		for j := i + 1; j < len(text); j++ {
			switch text[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(text)
	case '[', '{':
		depth := 0
		for j := i; j < len(text); j++ {
			switch text[j] {
			case '"':
				j = jsonValueEnd(text, j) - 1
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(text)
	default:
		j := i
		for j < len(text) && !strings.ContainsRune(",}] \t\r\n'\"", rune(text[j])) {
			j++
		}
		return j
	}
}

// Body returns up to max bytes of body as printable text with secrets
// hidden. A JSON body has the values of its secret fields, at any depth,
// replaced by Redacted; a form body has its secret parameters replaced;
// any other body has the given secret values scrubbed as Text does. A
// body cut at max ends with "…".
func (r Redactor) Body(body []byte, contentType string, max int, secrets []string) string {
	var text string
	switch {
	case strings.Contains(strings.ToLower(contentType), "json") || json.Valid(body):
		text = r.jsonBody(body)
	case strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded"):
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
