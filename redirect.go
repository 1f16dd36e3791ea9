package sturdy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/sturdyhttp/sturdy/internal/ascii"
)

// leavesOrigin reports whether req is a redirect that takes the request
// away from the origin of the first request in its chain, so that
// credentials must not follow it. An origin is a scheme, host and port: a
// redirect to another host, another port or another scheme leaves it. A
// redirect from https to http always leaves it, even to a host in
// CredentialHosts. Any other change of origin to a host in
// CredentialHosts keeps the credentials.
//
// net/http marks a redirect by setting Request.Response to the response
// that caused it, whose Request is the previous hop.
func (t *Transport) leavesOrigin(req *http.Request) bool {
	if req.Response == nil || req.Response.Request == nil {
		return false
	}
	prev := req.Response.Request
	first := prev
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	to := req.URL
	if isDowngrade(prev.URL, to) || isDowngrade(first.URL, to) {
		return true
	}
	if sameOrigin(first.URL, to) {
		return false
	}
	return !t.isCredentialHost(to)
}

func isDowngrade(from, to *url.URL) bool {
	return ascii.EqualFold(from.Scheme, "https") && ascii.EqualFold(to.Scheme, "http")
}

func sameOrigin(a, b *url.URL) bool {
	return ascii.EqualFold(a.Scheme, b.Scheme) &&
		ascii.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) { // only http and https matter, both ASCII
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

func (t *Transport) isCredentialHost(u *url.URL) bool {
	for _, entry := range t.CredentialHosts {
		host, port, err := net.SplitHostPort(entry)
		if err != nil {
			host, port = entry, ""
		}
		if !ascii.EqualFold(strings.Trim(host, "[]"), u.Hostname()) {
			continue
		}
		if port == "" || port == effectivePort(u) {
			return true
		}
	}
	return false
}

// validateCredentialHost reports whether entry names a host, or a host
// and port, for Transport.CredentialHosts.
func validateCredentialHost(entry string) error {
	if entry == "" || strings.ContainsAny(entry, "/?#@ ") {
		return fmt.Errorf("sturdy: credential host %q is not a host name or host:port; pass one such as api.example.com or api.example.com:8443", entry)
	}
	if _, port, err := net.SplitHostPort(entry); err == nil && port == "" {
		return fmt.Errorf("sturdy: credential host %q has an empty port; leave the colon out to allow every port", entry)
	}
	return nil
}
