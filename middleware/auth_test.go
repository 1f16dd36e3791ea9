package middleware_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

// runBeforeAttempt runs the BeforeAttempt hook of mw on a fresh request
// with header h and returns the request.
func runBeforeAttempt(t *testing.T, mw middleware.Middleware, h http.Header) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, testURL, nil)
	for name, values := range h {
		req.Header[name] = slices.Clone(values)
	}
	if err := mw.BeforeAttempt(&middleware.Attempt{Number: 1, Request: req}); err != nil {
		t.Fatalf("BeforeAttempt: %v", err)
	}
	return req
}

// failTwiceThenOK returns a responder that sends 503 twice and 200
// afterwards.
func failTwiceThenOK() httpmock.Responder {
	return sturdytest.FailThenSucceed(2,
		httpmock.NewStringResponder(503, ""), httpmock.NewStringResponder(200, "ok"))
}

func TestAuthSetsHeaders(t *testing.T) {
	tests := []struct {
		name  string
		build func() (middleware.Middleware, error)
		want  http.Header
	}{
		{
			"header auth",
			func() (middleware.Middleware, error) { return middleware.HeaderAuth("id-123", "sig-456") },
			http.Header{"Api-Auth-Id": {"id-123"}, "Api-Auth-Signature": {"sig-456"}},
		},
		{
			"bearer token",
			func() (middleware.Middleware, error) { return middleware.BearerToken("tok-789") },
			http.Header{"Authorization": {"Bearer tok-789"}},
		},
		{
			"basic auth",
			func() (middleware.Middleware, error) { return middleware.BasicAuth("alice", "open sesame") },
			http.Header{"Authorization": {"Basic YWxpY2U6b3BlbiBzZXNhbWU="}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			if mw.Name != middleware.AuthName {
				t.Errorf("name: got %q, want %q", mw.Name, middleware.AuthName)
			}

			// Values the caller set under the same names are replaced.
			callerSet := http.Header{"X-Request-Id": {"req-1"}}
			for name := range tt.want {
				callerSet[name] = []string{"caller-1", "caller-2"}
			}
			req := runBeforeAttempt(t, mw, callerSet)

			for name, want := range tt.want {
				if got := req.Header.Values(name); !slices.Equal(got, want) {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
			if got := req.Header.Get("X-Request-Id"); got != "req-1" {
				t.Errorf("unrelated header X-Request-Id: got %q, want %q", got, "req-1")
			}
		})
	}
}

func TestBasicAuthCredentials(t *testing.T) {
	tests := []struct{ user, password string }{
		{"alice", "s3cret"},
		{"alice", ""},
		{"bob", "pass:with:colons"},
		{"zoë", "pässwörd"},
	}
	for _, tt := range tests {
		mw, err := middleware.BasicAuth(tt.user, tt.password)
		if err != nil {
			t.Errorf("BasicAuth(%q, …): %v", tt.user, err)
			continue
		}
		req := runBeforeAttempt(t, mw, nil)
		user, password, ok := req.BasicAuth()
		if !ok || user != tt.user || password != tt.password {
			t.Errorf("BasicAuth(%q, %q): request carries %q, %q (ok %v)", tt.user, tt.password, user, password, ok)
		}
	}
}

func TestHeaderAuthOneValuePerAttempt(t *testing.T) {
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	recorder := sturdytest.NewRecorder("recorder")
	rc, mock := newMockClient(t, auth, recorder.Middleware(), newRetry(t, middleware.RetryConfig{}))
	mock.RegisterResponder(http.MethodGet, testURL, failTwiceThenOK())

	req := rc.R().SetHeader(middleware.HeaderAuthID, "caller-id")
	req.Header.Add(middleware.HeaderAuthSignature, "caller-sig-1")
	req.Header.Add(middleware.HeaderAuthSignature, "caller-sig-2")
	if _, err := req.Get(testURL); err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}

	headers := recorder.Headers()
	if len(headers) != 3 {
		t.Fatalf("attempts: got %d, want 3", len(headers))
	}
	for i, h := range headers {
		if got := h.Values(middleware.HeaderAuthID); !slices.Equal(got, []string{"id-123"}) {
			t.Errorf("attempt %d %s: got %q, want exactly [id-123]", i+1, middleware.HeaderAuthID, got)
		}
		if got := h.Values(middleware.HeaderAuthSignature); !slices.Equal(got, []string{"sig-456"}) {
			t.Errorf("attempt %d %s: got %q, want exactly [sig-456]", i+1, middleware.HeaderAuthSignature, got)
		}
	}
}

func TestHeaderAuthReplacesVerbatimCallerHeader(t *testing.T) {
	received := make(chan []string, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- r.Header.Values(middleware.HeaderAuthID)
	}))
	defer server.Close()
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	rc := newLoopbackClient(t)
	installChain(t, rc, auth)

	if _, err := rc.R().SetHeaderVerbatim("api-auth-id", "caller-id").Get(server.URL); err != nil {
		t.Fatal(err)
	}

	if got := <-received; !slices.Equal(got, []string{"id-123"}) {
		t.Errorf("%s received by the server: got %q, want exactly [id-123]", middleware.HeaderAuthID, got)
	}
}

func TestHeaderAuthRemovesOtherSpellings(t *testing.T) {
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	req := runBeforeAttempt(t, auth, http.Header{
		"api-auth-id":        {"lower-id"},
		"API-AUTH-ID":        {"upper-id"},
		"Api-Auth-Signature": {"caller-sig"},
		"api-auth-signature": {"lower-sig"},
		"x-trace":            {"kept"},
		"Accept":             {"application/json"},
	})

	want := http.Header{
		"Api-Auth-Id":        {"id-123"},
		"Api-Auth-Signature": {"sig-456"},
		"x-trace":            {"kept"},
		"Accept":             {"application/json"},
	}
	if len(req.Header) != len(want) {
		t.Errorf("headers: got %q, want %q", req.Header, want)
	}
	for name, values := range want {
		if got := req.Header[name]; !slices.Equal(got, values) {
			t.Errorf("header %q: got %q, want %q", name, got, values)
		}
	}
}

func TestHeaderAuthKeepsUnicodeLookalike(t *testing.T) {
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	// HTTP compares header names in ASCII only. Unicode case folding
	// equates U+017F with "s", which must not make this a spelling of
	// Api-Auth-Signature.
	const lookalike = "Api-Auth-\u017fignature"
	req := runBeforeAttempt(t, auth, http.Header{lookalike: {"kept"}})

	if got := req.Header[lookalike]; !slices.Equal(got, []string{"kept"}) {
		t.Errorf("header %q: got %q, want [kept]", lookalike, got)
	}
	if got := req.Header.Values("Api-Auth-Signature"); !slices.Equal(got, []string{"sig-456"}) {
		t.Errorf("Api-Auth-Signature: got %q, want [sig-456]", got)
	}
}

func TestHeaderAuthValuesOwnedByAttempt(t *testing.T) {
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	first := runBeforeAttempt(t, auth, nil)
	// A later hook that writes into the values of one attempt's header,
	// or appends to one of them, must leave every other attempt alone.
	first.Header["Api-Auth-Id"][0] = "tampered"
	first.Header.Add("Api-Auth-Signature", "appended")

	second := runBeforeAttempt(t, auth, nil)

	if got := second.Header.Values("Api-Auth-Id"); !slices.Equal(got, []string{"id-123"}) {
		t.Errorf("Api-Auth-Id of the next attempt: got %q, want [id-123]", got)
	}
	if got := second.Header.Values("Api-Auth-Signature"); !slices.Equal(got, []string{"sig-456"}) {
		t.Errorf("Api-Auth-Signature of the next attempt: got %q, want [sig-456]", got)
	}
	if got := first.Header.Values("Api-Auth-Id"); !slices.Equal(got, []string{"tampered"}) {
		t.Errorf("Api-Auth-Id after the append to the other header: got %q, want [tampered]", got)
	}
}

func TestHeaderAuthValuesConcurrentWrites(t *testing.T) {
	// Under -race, attempts that shared one array of values would be
	// reported here.
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				req := httptest.NewRequest(http.MethodGet, testURL, nil)
				if err := auth.BeforeAttempt(&middleware.Attempt{Number: 1, Request: req}); err != nil {
					t.Error(err)
					return
				}
				if got := req.Header.Get("Api-Auth-Id"); got != "id-123" {
					t.Errorf("Api-Auth-Id: got %q, want id-123", got)
					return
				}
				req.Header["Api-Auth-Id"][0] = "changed by a hook"
			}
		}()
	}
	wg.Wait()
}

func TestBearerTokenEveryAttempt(t *testing.T) {
	auth, err := middleware.BearerToken("tok-789")
	if err != nil {
		t.Fatal(err)
	}
	recorder := sturdytest.NewRecorder("recorder")
	rc, mock := newMockClient(t, auth, recorder.Middleware(), newRetry(t, middleware.RetryConfig{}))
	mock.RegisterResponder(http.MethodGet, testURL, failTwiceThenOK())

	if _, err := rc.R().SetAuthToken("caller-token").Get(testURL); err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}

	headers := recorder.Headers()
	if len(headers) != 3 {
		t.Fatalf("attempts: got %d, want 3", len(headers))
	}
	for i, h := range headers {
		if got := h.Values("Authorization"); !slices.Equal(got, []string{"Bearer tok-789"}) {
			t.Errorf("attempt %d Authorization: got %q, want exactly [Bearer tok-789]", i+1, got)
		}
	}
}

func TestAuthRejectsBadCredentials(t *testing.T) {
	const secret = "s3cr3t-value"
	type build func(value string) (middleware.Middleware, error)
	constructors := []struct {
		name       string
		build      build
		field      string
		emptyValid bool
	}{
		{"header auth id", func(v string) (middleware.Middleware, error) { return middleware.HeaderAuth(v, "sig") }, "api-auth-id value", false},
		{"header auth signature", func(v string) (middleware.Middleware, error) { return middleware.HeaderAuth("id", v) }, "api-auth-signature value", false},
		{"bearer token", middleware.BearerToken, "bearer token", false},
		{"basic auth user", func(v string) (middleware.Middleware, error) { return middleware.BasicAuth(v, "pw") }, "basic auth user name", false},
		{"basic auth password", func(v string) (middleware.Middleware, error) { return middleware.BasicAuth("alice", v) }, "basic auth password", true},
	}
	values := []struct {
		name  string
		value string
		fix   string
	}{
		{"empty", "", "is empty; pass the credential"},
		{"carriage return", secret + "\r", "control character 0xd at byte 12; remove it"},
		{"line feed", secret + "\n", "control character 0xa at byte 12; remove it"},
		{"header injection", secret + "\r\nX-Injected: 1", "control character 0xd at byte 12"},
		{"NUL", "\x00" + secret, "control character 0x0 at byte 0"},
		{"DEL", secret + "\x7f", "control character 0x7f"},
	}
	for _, c := range constructors {
		for _, v := range values {
			if v.value == "" && c.emptyValid {
				continue // TestBasicAuthCredentials covers the empty password
			}
			t.Run(c.name+" "+v.name, func(t *testing.T) {
				_, err := c.build(v.value)
				requireErrorMentions(t, err, c.field, v.fix)
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q echoes the credential", err)
				}
			})
		}
	}
}

func TestAuthAcceptsTabsAndNonASCII(t *testing.T) {
	for _, value := range []string{"with\ttab", "ünïcödé", "a b c"} {
		if _, err := middleware.HeaderAuth(value, value); err != nil {
			t.Errorf("HeaderAuth(%q, %q): got %v, want nil", value, value, err)
		}
		if _, err := middleware.BearerToken(value); err != nil {
			t.Errorf("BearerToken(%q): got %v, want nil", value, err)
		}
	}
}

func TestAuthSensitiveHeaders(t *testing.T) {
	tests := []struct {
		name  string
		build func() (middleware.Middleware, error)
		want  []string
	}{
		{
			"header auth",
			func() (middleware.Middleware, error) { return middleware.HeaderAuth("id", "sig") },
			[]string{"Api-Auth-Id", "Api-Auth-Signature"},
		},
		{"bearer token", func() (middleware.Middleware, error) { return middleware.BearerToken("tok") }, []string{"Authorization"}},
		{"basic auth", func() (middleware.Middleware, error) { return middleware.BasicAuth("alice", "pw") }, []string{"Authorization"}},
		{
			"signer",
			func() (middleware.Middleware, error) {
				return middleware.Signer([]string{"x-timestamp", "X-SIGNATURE"}, func(*http.Request) (map[string]string, error) {
					return nil, nil
				})
			},
			[]string{"X-Signature", "X-Timestamp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(slices.Values(mw.SensitiveHeaders))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSignerCalledOncePerAttempt(t *testing.T) {
	var calls atomic.Int64
	signer, err := middleware.Signer([]string{"X-Signature", "X-Timestamp"}, func(req *http.Request) (map[string]string, error) {
		n := calls.Add(1)
		return map[string]string{
			"x-signature": fmt.Sprintf("sig-%d", n),
			"X-Timestamp": fmt.Sprintf("ts-%d", n),
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recorder := sturdytest.NewRecorder("recorder")
	rc, mock := newMockClient(t, signer, recorder.Middleware(), newRetry(t, middleware.RetryConfig{}))
	mock.RegisterResponder(http.MethodGet, testURL, failTwiceThenOK())

	if _, err := rc.R().SetHeader("X-Signature", "caller-sig").Get(testURL); err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}

	if got := calls.Load(); got != 3 {
		t.Errorf("signer calls: got %d, want 3 (one per attempt)", got)
	}
	headers := recorder.Headers()
	if len(headers) != 3 {
		t.Fatalf("attempts: got %d, want 3", len(headers))
	}
	for i, h := range headers {
		if got, want := h.Values("X-Signature"), []string{fmt.Sprintf("sig-%d", i+1)}; !slices.Equal(got, want) {
			t.Errorf("attempt %d X-Signature: got %q, want %q", i+1, got, want)
		}
		if got, want := h.Values("X-Timestamp"), []string{fmt.Sprintf("ts-%d", i+1)}; !slices.Equal(got, want) {
			t.Errorf("attempt %d X-Timestamp: got %q, want %q", i+1, got, want)
		}
	}
}

func TestSignerSeesAttemptRequest(t *testing.T) {
	var method, target string
	signer, err := middleware.Signer([]string{"X-Signature"}, func(req *http.Request) (map[string]string, error) {
		method, target = req.Method, req.URL.String()
		return map[string]string{"X-Signature": "sig"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, mock := newMockClient(t, signer)
	mock.RegisterResponder(http.MethodPost, testURL, httpmock.NewStringResponder(201, ""))

	if _, err := rc.R().SetBody("payload").Post(testURL); err != nil {
		t.Fatal(err)
	}

	if method != http.MethodPost || target != testURL {
		t.Errorf("signer saw %s %s, want POST %s", method, target, testURL)
	}
}

func TestSignerErrors(t *testing.T) {
	const secret = "s3cr3t-signature"
	errSigning := errors.New("signing key unavailable")
	tests := []struct {
		name    string
		sign    middleware.SignFunc
		mention []string
		wrapped error
	}{
		{
			"sign fails",
			func(*http.Request) (map[string]string, error) { return nil, errSigning },
			[]string{"signing key unavailable"},
			errSigning,
		},
		{
			"undeclared header",
			func(*http.Request) (map[string]string, error) {
				return map[string]string{"X-Other-Secret": secret}, nil
			},
			[]string{`"X-Other-Secret"`, "not in its declared list", "declare it"},
			nil,
		},
		{
			"control character",
			func(*http.Request) (map[string]string, error) {
				return map[string]string{"X-Signature": secret + "\r\nX-Injected: 1"}, nil
			},
			[]string{"signer value for X-Signature", "control character 0xd", "remove it"},
			nil,
		},
		{
			"one header under two spellings",
			func(*http.Request) (map[string]string, error) {
				return map[string]string{"X-Signature": secret, "x-signature": secret + "-other"}, nil
			},
			[]string{`returned header X-Signature twice, as "X-Signature" and "x-signature"`, "return each header under one name"},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			signer, err := middleware.Signer([]string{"X-Signature"}, func(req *http.Request) (map[string]string, error) {
				calls.Add(1)
				return tt.sign(req)
			})
			if err != nil {
				t.Fatal(err)
			}
			rc, mock := newMockClient(t, signer, newRetry(t, middleware.RetryConfig{}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(200, ""))

			_, err = rc.R().Get(testURL)

			requireErrorMentions(t, err, tt.mention...)
			if tt.wrapped != nil && !errors.Is(err, tt.wrapped) {
				t.Errorf("error %v does not wrap %v", err, tt.wrapped)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q echoes the credential", err)
			}
			if got := calls.Load(); got != 1 {
				t.Errorf("signer calls: got %d, want 1 (never retried)", got)
			}
			if got := mock.GetTotalCallCount(); got != 0 {
				t.Errorf("requests sent: got %d, want 0", got)
			}
		})
	}
}

func TestSignerRejectsBadConfig(t *testing.T) {
	sign := func(*http.Request) (map[string]string, error) { return nil, nil }
	tests := []struct {
		name    string
		headers []string
		sign    middleware.SignFunc
		mention string
	}{
		{"nil function", []string{"X-Signature"}, nil, "signer function is nil; pass a SignFunc"},
		{"nil headers", nil, sign, "declares no headers; list every header name"},
		{"empty headers", []string{}, sign, "declares no headers"},
		{"empty header name", []string{"X-Signature", ""}, sign, "header name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := middleware.Signer(tt.headers, tt.sign)
			requireErrorMentions(t, err, tt.mention)
		})
	}
}

func TestHeaderAuthConcurrentRequests(t *testing.T) {
	auth, err := middleware.HeaderAuth("id-123", "sig-456")
	if err != nil {
		t.Fatal(err)
	}
	rc, mock := newMockClient(t, auth, newRetry(t, middleware.RetryConfig{}))
	mock.RegisterResponder(http.MethodGet, testURL, func(req *http.Request) (*http.Response, error) {
		if got := req.Header.Values(middleware.HeaderAuthID); !slices.Equal(got, []string{"id-123"}) {
			return httpmock.NewStringResponse(400, strings.Join(got, ",")), nil
		}
		return httpmock.NewStringResponse(200, ""), nil
	})

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				resp, err := rc.R().SetHeader(middleware.HeaderAuthID, "caller").Get(testURL)
				if err != nil || resp.StatusCode() != 200 {
					t.Errorf("request: got status %d, error %v; want 200 and nil (body %q)", resp.StatusCode(), err, resp.String())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestBasicAuthRejectsColonInUser(t *testing.T) {
	_, err := middleware.BasicAuth("team:lead", "pw")
	if err == nil || !strings.Contains(err.Error(), "colon at byte 4") {
		t.Errorf("BasicAuth: got %v, want an error naming the colon", err)
	}
}

func TestSignerRejectsEmptyValue(t *testing.T) {
	signer, err := middleware.Signer([]string{"X-Signature"}, func(*http.Request) (map[string]string, error) {
		return map[string]string{"X-Signature": ""}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, testURL, nil)
	err = signer.BeforeAttempt(&middleware.Attempt{Number: 1, Request: req})
	if err == nil || !strings.Contains(err.Error(), "empty value for X-Signature") {
		t.Errorf("BeforeAttempt: got %v, want an error naming the empty header", err)
	}
}

func TestSignerErrorStableAcrossMistakes(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   string
	}{
		{
			"three spellings",
			map[string]string{"x-signature": "a", "X-Signature": "b", "X-SIGNATURE": "c"},
			`signer returned header X-Signature twice, as "X-SIGNATURE" and "X-Signature"`,
		},
		{
			"duplicate and empty value",
			map[string]string{"x-signature": "", "X-Signature": "b"},
			`signer returned header X-Signature twice, as "X-Signature" and "x-signature"`,
		},
		{
			"duplicate and undeclared header",
			map[string]string{"x-signature": "a", "X-Signature": "b", "X-Other": "c"},
			`signer returned header "X-Other", which is not in its declared list`,
		},
		{
			"two headers, each twice",
			map[string]string{"x-timestamp": "1", "X-Timestamp": "2", "x-signature": "a", "X-Signature": "b"},
			`signer returned header X-Signature twice, as "X-Signature" and "x-signature"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, err := middleware.Signer([]string{"X-Signature", "X-Timestamp"}, func(*http.Request) (map[string]string, error) {
				return tt.values, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Go starts each range over a map at a random place, so a message
			// that depended on it would differ within a few calls.
			for range 50 {
				req := httptest.NewRequest(http.MethodGet, testURL, nil)
				err := signer.BeforeAttempt(&middleware.Attempt{Number: 1, Request: req})
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("BeforeAttempt: got %v, want an error containing %s", err, tt.want)
				}
				if len(req.Header) != 0 {
					t.Fatalf("headers after a failed signer: got %q, want none", req.Header)
				}
			}
		})
	}
}

func TestSignerRejectsInvalidHeaderName(t *testing.T) {
	sign := func(*http.Request) (map[string]string, error) { return nil, nil }
	for _, name := range []string{"X Bad", "X-Bad\r\nInjected: 1", "X:Colon"} {
		_, err := middleware.Signer([]string{name}, sign)
		if err == nil || !strings.Contains(err.Error(), "not a valid header name") {
			t.Errorf("Signer(%q): got %v, want an error naming the header", name, err)
		}
	}
}
