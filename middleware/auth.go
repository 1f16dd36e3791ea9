package middleware

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/sturdyhttp/sturdy/internal/ascii"
)

// AuthName is the name of every middleware built by the constructors in
// this file, so that one auth form can replace another by name.
const AuthName = "auth"

// The header pair of custom-header authentication, as the StockTrim API
// uses it.
const (
	HeaderAuthID        = "api-auth-id"
	HeaderAuthSignature = "api-auth-signature"
)

// HeaderAuth returns a middleware that sets the headers api-auth-id and
// api-auth-signature on every attempt. It sets each header, replacing any
// value already present, so every attempt carries exactly one value of
// each. Both headers are reported as sensitive.
func HeaderAuth(id, signature string) (Middleware, error) {
	if err := checkCredential("api-auth-id value", id); err != nil {
		return Middleware{}, err
	}
	if err := checkCredential("api-auth-signature value", signature); err != nil {
		return Middleware{}, err
	}
	return setHeaders(map[string]string{
		HeaderAuthID:        id,
		HeaderAuthSignature: signature,
	}), nil
}

// BearerToken returns a middleware that sets "Authorization: Bearer
// token" on every attempt.
func BearerToken(token string) (Middleware, error) {
	if err := checkCredential("bearer token", token); err != nil {
		return Middleware{}, err
	}
	return setHeaders(map[string]string{"Authorization": "Bearer " + token}), nil
}

// BasicAuth returns a middleware that sets HTTP basic authentication on
// every attempt. The password may be empty; the user name may not.
func BasicAuth(user, password string) (Middleware, error) {
	if err := checkCredential("basic auth user name", user); err != nil {
		return Middleware{}, err
	}
	if i := strings.IndexByte(user, ':'); i >= 0 {
		return Middleware{}, fmt.Errorf("middleware: basic auth user name contains a colon at byte %d, which basic authentication (RFC 7617) forbids because the colon separates user and password; remove it", i)
	}
	if err := checkHeaderValue("basic auth password", password); err != nil {
		return Middleware{}, err
	}
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return setHeaders(map[string]string{"Authorization": "Basic " + token}), nil
}

// SignFunc computes authentication headers for one attempt of req, for
// example an HMAC over a timestamp and the request line. It must not
// modify req. It returns the value of each header to set.
type SignFunc func(req *http.Request) (map[string]string, error)

// Signer returns a middleware that calls sign before every attempt and
// sets the headers it returns. Because it runs per attempt, a signature
// is computed after each backoff wait, never reused from an earlier
// attempt. headers names every header sign may return; they are reported
// as sensitive, and a header sign returns outside that list is an error,
// so no credential can escape redaction.
//
// An error from sign ends the call and is never retried.
func Signer(headers []string, sign SignFunc) (Middleware, error) {
	if sign == nil {
		return Middleware{}, errors.New("middleware: signer function is nil; pass a SignFunc that returns the headers to set")
	}
	if len(headers) == 0 {
		return Middleware{}, errors.New("middleware: signer declares no headers; list every header name the SignFunc returns")
	}
	declared := make([]string, len(headers))
	for i, h := range headers {
		if h == "" {
			return Middleware{}, errors.New("middleware: signer header name is empty; list the header names the SignFunc returns")
		}
		if !validHeaderName(h) {
			return Middleware{}, fmt.Errorf("middleware: signer header name %q is not a valid header name; use letters, digits and hyphens, such as X-Signature", h)
		}
		declared[i] = http.CanonicalHeaderKey(h)
	}

	return Middleware{
		Name:             AuthName,
		SensitiveHeaders: declared,
		BeforeAttempt: func(a *Attempt) error {
			values, err := sign(a.Request)
			if err != nil {
				return fmt.Errorf("signer: %w", err)
			}
			return setSigned(a.Request.Header, declared, values)
		},
	}, nil
}

// setSigned checks the headers that a SignFunc returned and sets them
// on h. It checks the names in sorted order, so that a SignFunc that
// makes several mistakes always gets the same error, and it sets nothing
// unless every header is valid.
func setSigned(h http.Header, declared []string, values map[string]string) error {
	names := slices.Sorted(maps.Keys(values))
	// returned records the name under which each declared header came
	// back, so that two spellings of one header fail the call instead of
	// one of them being sent at random.
	returned := make([]string, len(declared))
	for _, name := range names {
		key := http.CanonicalHeaderKey(name)
		i := slices.Index(declared, key)
		if i < 0 {
			return fmt.Errorf("signer returned header %q, which is not in its declared list %q; declare it so that it is redacted", name, declared)
		}
		if returned[i] != "" {
			return fmt.Errorf("signer returned header %s twice, as %q and %q; return each header under one name", key, returned[i], name)
		}
		returned[i] = name
		if values[name] == "" {
			return fmt.Errorf("signer returned an empty value for %s; return the computed value, or leave the header out", key)
		}
		if err := checkHeaderValue("signer value for "+key, values[name]); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(names))
	signed := make([]string, 0, len(names))
	for i, key := range declared {
		if returned[i] != "" {
			keys = append(keys, key)
			signed = append(signed, values[returned[i]])
		}
	}
	replaceHeaders(h, keys, signed)
	return nil
}

// setHeaders returns the auth middleware that sets the given headers.
func setHeaders(headers map[string]string) Middleware {
	keys := make([]string, 0, len(headers))
	values := make([]string, 0, len(headers))
	for name, value := range headers {
		keys = append(keys, http.CanonicalHeaderKey(name))
		values = append(values, value)
	}
	return Middleware{
		Name:             AuthName,
		SensitiveHeaders: slices.Clone(keys),
		BeforeAttempt: func(a *Attempt) error {
			replaceHeaders(a.Request.Header, keys, values)
			return nil
		},
	}
}

// replaceHeaders sets h[keys[i]] to values[i] for each i and removes
// every other spelling of those keys in one pass over h, such as one the
// caller set verbatim in lower case, so that the server receives exactly
// the values given. It copies the values, so that each attempt owns the
// values in its header.
func replaceHeaders(h http.Header, keys, values []string) {
	for name := range h {
		for _, key := range keys {
			if name != key && ascii.EqualFold(name, key) {
				delete(h, name)
				break
			}
		}
	}
	fresh := slices.Clone(values)
	for i, key := range keys {
		// The capacity ends at the value, so that Header.Add on one
		// header never writes into the next.
		h[key] = fresh[i : i+1 : i+1]
	}
}

func checkCredential(what, value string) error {
	if value == "" {
		return fmt.Errorf("middleware: %s is empty; pass the credential issued by the API", what)
	}
	return checkHeaderValue(what, value)
}

// checkHeaderValue rejects control characters, which would corrupt the
// request or split it in two.
func checkHeaderValue(what, value string) error {
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("middleware: %s contains control character %#x at byte %d; remove it (a trailing newline from a file or environment variable is a common cause)", what, c, i)
		}
	}
	return nil
}

// validHeaderName reports whether name is a header field name: one or
// more token characters as RFC 9110 section 5.6.2 defines them.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
