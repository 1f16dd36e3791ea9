package sturdy_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// Sentinel credentials. None of them may appear in any log line, error
// or printed configuration.
const (
	secretID        = "sentinel-id-7f3a"
	secretSignature = "sentinel-sig-91bc"
	secretToken     = "sentinel-token-55de"
	secretQuery     = "sentinel-query-2c81"
	secretPassword  = "sentinel-pass-6a0f"
	secretCookie    = "sentinel-cookie-d4e2"
	secretSetCookie = "sentinel-setcookie-8b17"
	secretAPIKey    = "sentinel-apikey-3e9c"
	secretUser      = "sentinel-user-0c5d"
)

var sentinels = []string{
	secretID, secretSignature, secretToken, secretQuery, secretPassword,
	secretCookie, secretSetCookie, secretAPIKey, secretUser,
}

func assertNoSentinel(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range sentinels {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q:\n%s", where, s, text)
		}
	}
}

// headerLog records the headers each server received, by server name.
type headerLog struct {
	mu   sync.Mutex
	seen map[string][]http.Header
}

func (h *headerLog) record(name string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string][]http.Header{}
	}
	h.seen[name] = append(h.seen[name], r.Header.Clone())
}

func (h *headerLog) get(name string) []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[name]
}

// credentialHeaders are the headers whose arrival each redirect test
// checks.
var credentialHeaders = []string{middleware.HeaderAuthID, middleware.HeaderAuthSignature, "Authorization", "X-Api-Key", "X-Signed"}

func hasCredentials(h http.Header) []string {
	var found []string
	for _, name := range credentialHeaders {
		if h.Get(name) != "" {
			found = append(found, name)
		}
	}
	return found
}

func TestRedirectCredentials(t *testing.T) {
	var log headerLog
	// other is a second origin: the same address, another port.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record("other", r)
		if r.URL.Path == "/back" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		io.WriteString(w, "other")
	}))
	defer other.Close()
	var origin *httptest.Server
	origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record("origin", r)
		otherHost := strings.TrimPrefix(other.URL, "http://")
		originPort := origin.Listener.Addr().(*net.TCPAddr).Port
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/other":
			http.Redirect(w, r, other.URL+"/final", http.StatusFound)
		case "/protocol-relative":
			http.Redirect(w, r, "//"+otherHost+"/final", http.StatusFound)
		case "/other-name":
			http.Redirect(w, r, fmt.Sprintf("http://localhost:%d/final", originPort), http.StatusFound)
		case "/round-trip":
			http.Redirect(w, r, other.URL+"/back?to="+url.QueryEscape(origin.URL+"/final"), http.StatusFound)
		case "/temporary":
			http.Redirect(w, r, other.URL+"/final", http.StatusTemporaryRedirect)
		default:
			io.WriteString(w, "origin")
		}
	}))
	defer origin.Close()

	sign := func(*http.Request) (map[string]string, error) {
		return map[string]string{"X-Signed": secretSignature}, nil
	}
	auths := map[string]sturdy.Option{
		"header auth": sturdy.WithHeaderAuth(secretID, secretSignature),
		"bearer":      sturdy.WithBearerToken(secretToken),
		"basic":       sturdy.WithBasicAuth(secretUser, secretPassword),
		"signer":      sturdy.WithSigner([]string{"X-Signed"}, sign),
	}
	cases := []struct {
		path        string
		allow       bool
		wantAtOther bool // credentials expected at the other origin
		wantFinal   bool // credentials expected on the origin's last hop
	}{
		{"/same", false, false, true},
		{"/other", false, false, false},
		{"/temporary", false, false, false},
		{"/protocol-relative", false, false, false},
		{"/other-name", false, false, false},
		{"/round-trip", false, false, true},
		{"/other", true, true, false},
	}
	for authName, auth := range auths {
		for _, tc := range cases {
			name := fmt.Sprintf("%s %s allowed=%v", authName, tc.path, tc.allow)
			t.Run(name, func(t *testing.T) {
				log = headerLog{}
				opts := []sturdy.Option{auth, sturdy.WithSensitiveHeaders("X-Api-Key")}
				if tc.allow {
					opts = append(opts, sturdy.WithCredentialHosts(strings.TrimPrefix(other.URL, "http://")))
				}
				c := newFastClient(t, opts...)

				_, err := c.R().SetHeader("X-Api-Key", secretAPIKey).SetBody("data").Put(origin.URL + tc.path)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}

				first := log.get("origin")
				if len(first) == 0 || len(hasCredentials(first[0])) == 0 {
					t.Fatalf("origin's first request carried no credentials: %v", first)
				}
				for i, h := range log.get("other") {
					got := hasCredentials(h)
					if tc.wantAtOther && len(got) == 0 {
						t.Errorf("other origin, request %d: no credentials, want them (host allowed)", i+1)
					}
					if !tc.wantAtOther && len(got) > 0 {
						t.Errorf("other origin, request %d: received %v", i+1, got)
					}
				}
				if hops := log.get("origin"); len(hops) > 1 {
					got := hasCredentials(hops[len(hops)-1])
					if tc.wantFinal && len(got) == 0 {
						t.Errorf("origin's last hop: no credentials, want them")
					}
					if !tc.wantFinal && len(got) > 0 {
						t.Errorf("origin's last hop, another host name: received %v", got)
					}
				}
			})
		}
	}
}

func TestRedirectDowngradeAlwaysStrips(t *testing.T) {
	var log headerLog
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record("plain", r)
		io.WriteString(w, "plain")
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record("secure", r)
		http.Redirect(w, r, plain.URL+"/final", http.StatusFound)
	}))
	defer secure.Close()
	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())

	c := newFastClient(t,
		sturdy.WithHeaderAuth(secretID, secretSignature),
		sturdy.WithTLSConfig(&tls.Config{RootCAs: pool}),
		// Even an allowed host gets no credentials over plain HTTP.
		sturdy.WithCredentialHosts("127.0.0.1"),
	)
	if _, err := c.R().Get(secure.URL + "/start"); err != nil {
		t.Fatalf("Get: %v", err)
	}

	if got := log.get("secure"); len(got) != 1 || len(hasCredentials(got[0])) != 2 {
		t.Errorf("https origin: got %v, want both auth headers", got)
	}
	plainSeen := log.get("plain")
	if len(plainSeen) != 1 {
		t.Fatalf("http server requests: got %d, want 1", len(plainSeen))
	}
	if got := hasCredentials(plainSeen[0]); len(got) > 0 {
		t.Errorf("http server after a downgrade received %v", got)
	}
}

func TestWithCredentialHostsRejectsBadEntries(t *testing.T) {
	for _, entry := range []string{"", "https://api.test", "api.test/path", "user@api.test", "api.test:"} {
		_, err := sturdy.New(sturdy.WithCredentialHosts(entry))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", entry)) {
			t.Errorf("WithCredentialHosts(%q): got %v, want an error naming the entry", entry, err)
		}
	}
}

// secretServer returns 200 for /ok, 503 once and then 200 for /flaky,
// 503 for /down, and a redirect to /ok for /redirect. Every response
// sets a secret cookie and echoes a JSON body with a secret field.
func secretServer(t *testing.T) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	flaky := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: secretSetCookie})
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusOK
		switch r.URL.Path {
		case "/flaky":
			mu.Lock()
			flaky++
			if flaky == 1 {
				status = http.StatusServiceUnavailable
			}
			mu.Unlock()
		case "/down":
			status = http.StatusServiceUnavailable
		case "/redirect":
			http.Redirect(w, r, "/ok?token="+secretQuery, http.StatusFound)
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"user":"alice","password":%q,"nested":{"api_key":%q}}`, secretPassword, secretAPIKey)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLogsHoldNoSecret(t *testing.T) {
	srv := secretServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	var out bytes.Buffer
	var mu sync.Mutex
	logger := zerolog.New(zerolog.SyncWriter(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}))).Level(zerolog.TraceLevel)
	c, err := sturdy.New(
		sturdy.WithBackoff(time.Millisecond, 5*time.Millisecond),
		sturdy.WithHeaderAuth(secretID, secretSignature),
		sturdy.WithLogger(logger),
		sturdy.WithLogHeaders(),
		sturdy.WithLogBodies(0),
		sturdy.WithMaxRetries(2),
		sturdy.WithSensitiveHeaders("X-Api-Key"),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	c.Resty().SetDebug(true).EnableGenerateCurlOnDebug()

	body := map[string]any{"item": "A-1", "password": secretPassword, "token": secretToken}
	userURL := func(path string) string {
		u, _ := url.Parse(srv.URL + path)
		u.User = url.UserPassword(secretUser, secretPassword)
		q := u.Query()
		q.Set("access_token", secretQuery)
		q.Set("page", "2")
		u.RawQuery = q.Encode()
		return u.String()
	}
	paths := map[string]string{
		"success":       userURL("/ok"),
		"retry":         userURL("/flaky"),
		"final failure": userURL("/down"),
		"redirect":      userURL("/redirect"),
		"network error": "http://" + secretUser + ":" + secretPassword + "@" + closed + "/x?token=" + secretQuery,
	}
	for name, u := range paths {
		out.Reset()
		c.R().
			SetHeader("Cookie", "session="+secretCookie).
			SetHeader("X-Api-Key", secretAPIKey).
			SetHeader("Content-Type", "application/json").
			SetBody(body).
			Post(u)
		mu.Lock()
		text := out.String()
		mu.Unlock()
		if !strings.Contains(text, middleware.Redacted) {
			t.Errorf("%s: log has no redacted value; was anything logged?\n%s", name, text)
		}
		assertNoSentinel(t, name+" log", text)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// quotingTransport fails every request with an error that quotes the
// request's URL and its auth headers, as a careless custom transport
// might.
type quotingTransport struct{}

func (quotingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: fmt.Errorf("upstream refused id %s signature %s", r.Header.Get(middleware.HeaderAuthID), r.Header.Get(middleware.HeaderAuthSignature))}
}

func TestErrorsHoldNoSecret(t *testing.T) {
	c, err := sturdy.New(
		sturdy.WithHeaderAuth(secretID, secretSignature),
		sturdy.WithTransport(quotingTransport{}),
		sturdy.WithoutRetry(),
		sturdy.WithoutLogging(),
	)
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + secretUser + ":" + secretPassword + "@127.0.0.1:1/x?token=" + secretQuery

	_, err = c.R().Get(u)

	var se *sturdy.Error
	if !errors.As(err, &se) {
		t.Fatalf("error: got %v, want *sturdy.Error", err)
	}
	assertNoSentinel(t, "Error()", se.Error())
	assertNoSentinel(t, "Error.Err", se.Err.Error())
	data, jerr := json.Marshal(se)
	if jerr != nil {
		t.Fatalf("json.Marshal: %v", jerr)
	}
	assertNoSentinel(t, "JSON", string(data))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		assertNoSentinel(t, verb+" of the error", fmt.Sprintf(verb, se))
		assertNoSentinel(t, verb+" of the dereferenced error", fmt.Sprintf(verb, *se))
		assertNoSentinel(t, verb+" of Error.Err", fmt.Sprintf(verb, se.Err))
	}
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		t.Error("errors.As: the transport's *url.Error is no longer reachable")
	}
}

func TestErrorResponseHeadersRedacted(t *testing.T) {
	srv := secretServer(t)
	c := newFastClient(t, sturdy.WithHeaderAuth(secretID, secretSignature), sturdy.WithMaxRetries(1))

	resp, err := c.R().Get(srv.URL + "/down")

	var se *sturdy.Error
	if !errors.As(err, &se) || se.Response == nil {
		t.Fatalf("error: got %v, want *sturdy.Error with the last response", err)
	}
	if got := se.Response.Header.Get("Set-Cookie"); got != middleware.Redacted {
		t.Errorf("Error.Response Set-Cookie: got %q, want %q", got, middleware.Redacted)
	}
	if se.Response.Request != nil {
		t.Error("Error.Response.Request: set, want nil because it carries the credentials")
	}
	data, _ := json.Marshal(se)
	assertNoSentinel(t, "JSON", string(data))
	// The caller's own response keeps its headers.
	if !strings.Contains(resp.Header().Get("Set-Cookie"), secretSetCookie) {
		t.Error("the response returned to the caller lost its Set-Cookie header")
	}
}

func TestConfigurationPrintsRedacted(t *testing.T) {
	cfg := middleware.HeaderAuthConfig{ID: middleware.NewSecret(secretID), Signature: middleware.NewSecret(secretSignature)}
	wrapper := struct {
		Name string
		Auth middleware.HeaderAuthConfig
		Key  middleware.Secret
		keys map[middleware.Secret]int
	}{"inventory", cfg, middleware.NewSecret(secretAPIKey), nil}
	byKey := map[middleware.Secret]int{middleware.NewSecret(secretToken): 1}

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%p", "%T"} {
		assertNoSentinel(t, verb, fmt.Sprintf(verb, cfg))
		assertNoSentinel(t, verb+" of a wrapping struct", fmt.Sprintf(verb, wrapper))
	}
	for _, v := range []any{wrapper, byKey, wrapper.Key} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		assertNoSentinel(t, "JSON", string(data))
	}
	assertNoSentinel(t, "%v of a map keyed by secrets", fmt.Sprintf("%v", byKey))
	var out bytes.Buffer
	logger := zerolog.New(&out)
	logger.Info().Object("auth", cfg).Interface("config", wrapper).Stringer("key", wrapper.Key).Msg("config")
	assertNoSentinel(t, "zerolog", out.String())
	if !strings.Contains(out.String(), middleware.Redacted) {
		t.Errorf("zerolog line shows no redacted value: %s", out.String())
	}

	// The configuration still authenticates.
	c, err := sturdy.New(sturdy.WithHeaderAuthConfig(cfg), sturdy.WithTransport(echoHeaders{}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.R().Get("http://127.0.0.1/")
	if err != nil || !strings.Contains(resp.String(), secretSignature) {
		t.Errorf("request: got %q, %v; want the signature sent", resp.String(), err)
	}
}

type echoHeaders struct{}

func (echoHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	var b strings.Builder
	r.Header.Write(&b)
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(b.String())), Request: r}, nil
}

func TestCertificateErrorIsFinal(t *testing.T) {
	srv := newLoopbackTLS(t)
	c := newFastClient(t)

	_, err := c.R().Get(srv.URL)

	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("error: got %v, want a certificate verification error", err)
	}
	var se *sturdy.Error
	if !errors.As(err, &se) || len(se.Attempts) != 1 {
		t.Errorf("attempts: want 1, the certificate error is final")
	}
}

func TestCustomRootCAs(t *testing.T) {
	srv := newLoopbackTLS(t)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := newFastClient(t, sturdy.WithTLSConfig(&tls.Config{RootCAs: pool}))

	resp, err := c.R().Get(srv.URL)

	if err != nil || resp.String() != "secure" {
		t.Errorf("Get: got %q, %v; want secure", resp.String(), err)
	}
}

func TestWithTLSConfigRejectsUnsafe(t *testing.T) {
	cases := map[string]*tls.Config{
		"InsecureSkipVerify": {InsecureSkipVerify: true},
		"TLS 1.0":            {MinVersion: tls.VersionTLS10},
	}
	for want, cfg := range cases {
		_, err := sturdy.New(sturdy.WithTLSConfig(cfg))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("WithTLSConfig(%s): got %v, want an error naming it", want, err)
		}
	}
}

func newLoopbackTLS(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	// The handshake error the client provokes is expected; keep it out of
	// the test output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestServerTLSAlertIsFinal(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	var attempts int
	c := newFastClient(t,
		sturdy.WithTLSConfig(&tls.Config{RootCAs: pool}),
		sturdy.WithMiddleware(middleware.Middleware{
			Name:          "count",
			BeforeAttempt: func(*middleware.Attempt) error { attempts++; return nil },
		}))

	_, err := c.R().Get(srv.URL)

	if err == nil {
		t.Fatal("Get: got no error, want the server's TLS alert")
	}
	if attempts != 1 {
		t.Errorf("attempts: got %d, want 1 (a TLS alert from the server is final): %v", attempts, err)
	}
}

func TestBeforeHookErrorIsScrubbed(t *testing.T) {
	quoting := middleware.Middleware{
		Name: "quoting",
		BeforeAttempt: func(a *middleware.Attempt) error {
			return fmt.Errorf("refusing to send %s", a.Request.Header.Get(middleware.HeaderAuthSignature))
		},
	}
	var out bytes.Buffer
	c, err := sturdy.New(sturdy.WithHeaderAuth(secretID, secretSignature), sturdy.WithMiddleware(quoting),
		sturdy.WithLogger(zerolog.New(&out)), sturdy.WithTransport(echoHeaders{}))
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.R().Get("http://127.0.0.1/")

	if err == nil {
		t.Fatal("Get: got no error, want the hook's")
	}
	assertNoSentinel(t, "error", err.Error())
	assertNoSentinel(t, "log", out.String())
}

func TestErrorTextScrubbingForms(t *testing.T) {
	const secret = "pa ss/wörd+1"
	r := middleware.Redactor{}
	forms := []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		strings.ToLower(url.QueryEscape(secret)),
		fmt.Sprintf("%q", secret),
	}
	for _, form := range forms {
		got := r.Text("failed near "+form+" here", []string{secret})
		if strings.Contains(got, "ss/w") || strings.Contains(got, "ss%2F") || strings.Contains(got, "ss%2f") {
			t.Errorf("Text with %q: got %q", form, got)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.SetBasicAuth(secretUser, secretPassword)
	got := r.Text("user "+secretUser+" password "+secretPassword, r.Secrets(req))
	assertNoSentinel(t, "decoded basic credentials", got)
}

func TestBodyRedaction(t *testing.T) {
	r := middleware.Redactor{}
	longToken := strings.Repeat("x", 40) + secretToken
	cases := []struct {
		name, contentType, body string
	}{
		{"JSON cut inside a secret", "application/json", `{"user":"a","token":"` + longToken + `","more":1}`},
		{"secret array", "application/json", `{"keys":["` + secretAPIKey + `"],"ok":true}`},
		{"escaped key", "application/json", `{"pass\u0077ord":"` + secretPassword + `"}`},
		{"cut secret array", "application/json", `{"keys":["` + secretAPIKey + `","`},
		{"form, odd case", "Application/X-WWW-Form-Urlencoded", "password=" + secretPassword + "&scope=read"},
		{"form as text", "text/plain", "access_token=" + secretToken + "&scope=read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Body([]byte(tc.body), tc.contentType, 30, nil)
			assertNoSentinel(t, "body", got)
			if got := r.Body([]byte(tc.body), tc.contentType, 0, nil); !strings.Contains(got, middleware.Redacted) {
				t.Errorf("uncut body: got %q, want a redacted value", got)
			}
		})
	}
}

func TestURLFragmentAndSemicolonRedacted(t *testing.T) {
	for _, raw := range []string{
		"https://app.test/cb#access_token=" + secretToken + "&state=1",
		"https://app.test/x?page=1;token=" + secretToken,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		assertNoSentinel(t, "RedactURL", middleware.RedactURL(u))
	}
}

func TestRedirectHostUnicodeFolding(t *testing.T) {
	// σ and ς fold to the same letter in Unicode but are different host
	// names, so the second host is another origin.
	var got string
	mock := httpmock.NewMockTransport()
	mock.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		if r.URL.Hostname() == "apiσ.test" {
			resp := httpmock.NewStringResponse(http.StatusFound, "")
			resp.Header.Set("Location", "http://apiς.test/final")
			return resp, nil
		}
		got = r.Header.Get("Authorization")
		return httpmock.NewStringResponse(200, "ok"), nil
	})
	c, err := sturdy.New(sturdy.WithBearerToken(secretToken), sturdy.WithTransport(mock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.R().Get("http://apiσ.test/start"); err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("Authorization at the other host: got %q, want none", got)
	}
}
