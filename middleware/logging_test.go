package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/log"

	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

// logLine is one decoded JSON line of zerolog output.
type logLine map[string]any

// decodeLog returns the JSON lines that buf holds, failing the test on a
// line that is not JSON.
func decodeLog(t *testing.T, buf *bytes.Buffer) []logLine {
	t.Helper()
	var lines []logLine
	for _, raw := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if raw == "" {
			continue
		}
		var line logLine
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", raw, err)
		}
		lines = append(lines, line)
	}
	return lines
}

// checkLine fails the test unless line has the level and message given
// and every field in want with an equal value. A JSON number decodes as a
// float64, so numbers in want are float64 too.
func checkLine(t *testing.T, line logLine, level zerolog.Level, message string, want map[string]any) {
	t.Helper()
	if got := line[zerolog.LevelFieldName]; got != level.String() {
		t.Errorf("line %v: level got %v, want %v", line, got, level)
	}
	if got := line[zerolog.MessageFieldName]; got != message {
		t.Errorf("line %v: message got %v, want %q", line, got, message)
	}
	for field, value := range want {
		if got, ok := line[field]; !ok || got != value {
			t.Errorf("line %q: field %s got %v, want %v", message, field, got, value)
		}
	}
}

// requireLineCount fails the test now unless there are want lines.
func requireLineCount(t *testing.T, lines []logLine, want int) {
	t.Helper()
	if len(lines) != want {
		t.Fatalf("log lines: got %d, want %d:\n%v", len(lines), want, lines)
	}
}

// newLogging returns the logging middleware for c.
func newLogging(t *testing.T, c middleware.LoggingConfig) middleware.Middleware {
	t.Helper()
	mw, err := middleware.Logging(c)
	if err != nil {
		t.Fatalf("Logging: %v", err)
	}
	return mw
}

// bufferLogger returns a logger at level that writes to buf.
func bufferLogger(buf *bytes.Buffer, level zerolog.Level) *zerolog.Logger {
	logger := zerolog.New(buf).Level(level)
	return &logger
}

// waitField returns how zerolog renders the wait before retry n of
// fastBackoff in a Dur field.
func waitField(n int) float64 {
	return float64(fastBackoff.Wait(n)) / float64(zerolog.DurationFieldUnit)
}

// withFields returns a new map with the entries of both maps.
func withFields(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestLoggingName(t *testing.T) {
	mw := newLogging(t, middleware.LoggingConfig{})
	if mw.Name != middleware.LoggingName {
		t.Errorf("got %q, want %q", mw.Name, middleware.LoggingName)
	}
}

func TestLoggingRetryThenSuccess(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel)})
	rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))
	mock.RegisterResponder(http.MethodGet, testURL, sturdytest.FailThenSucceed(1,
		httpmock.NewStringResponder(503, ""), httpmock.NewStringResponder(200, "")))

	if _, err := rc.R().Get(testURL); err != nil {
		t.Fatalf("error: got %v, want nil", err)
	}

	lines := decodeLog(t, &buf)
	requireLineCount(t, lines, 4)
	request := map[string]any{middleware.FieldMethod: "GET", middleware.FieldURL: testURL}
	checkLine(t, lines[0], zerolog.DebugLevel, middleware.MessageAttempt, withFields(request, map[string]any{
		middleware.FieldAttempt: 1.0,
	}))
	checkLine(t, lines[1], zerolog.WarnLevel, middleware.MessageRetry, withFields(request, map[string]any{
		middleware.FieldAttempt: 1.0,
		middleware.FieldWait:    waitField(1),
		middleware.FieldReason:  "status 503",
		middleware.FieldStatus:  503.0,
	}))
	checkLine(t, lines[2], zerolog.DebugLevel, middleware.MessageAttempt, withFields(request, map[string]any{
		middleware.FieldAttempt: 2.0,
	}))
	checkLine(t, lines[3], zerolog.InfoLevel, middleware.MessageCompleted, withFields(request, map[string]any{
		middleware.FieldStatus:   200.0,
		middleware.FieldAttempts: 2.0,
	}))
	if d, ok := lines[3][middleware.FieldDuration].(float64); !ok || d < 0 {
		t.Errorf("completed line: %s got %v, want a non-negative number", middleware.FieldDuration, lines[3][middleware.FieldDuration])
	}
	if _, ok := lines[0][middleware.FieldHeaders]; ok {
		t.Errorf("attempt line has %s without LoggingConfig.Headers: %v", middleware.FieldHeaders, lines[0])
	}
}

func TestLoggingFinalFailureWithStatus(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel)})
	rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 1}))
	mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(503, ""))

	rc.R().Get(testURL)

	lines := decodeLog(t, &buf)
	requireLineCount(t, lines, 4)
	checkLine(t, lines[0], zerolog.DebugLevel, middleware.MessageAttempt, map[string]any{middleware.FieldAttempt: 1.0})
	checkLine(t, lines[1], zerolog.WarnLevel, middleware.MessageRetry, map[string]any{
		middleware.FieldAttempt: 1.0,
		middleware.FieldReason:  "status 503",
		middleware.FieldStatus:  503.0,
	})
	checkLine(t, lines[2], zerolog.DebugLevel, middleware.MessageAttempt, map[string]any{middleware.FieldAttempt: 2.0})
	checkLine(t, lines[3], zerolog.ErrorLevel, middleware.MessageFailed, map[string]any{
		middleware.FieldMethod:   "GET",
		middleware.FieldURL:      testURL,
		middleware.FieldAttempts: 2.0,
		middleware.FieldStatus:   503.0,
	})
	if msg, _ := lines[3][zerolog.ErrorFieldName].(string); !strings.Contains(msg, "retries exhausted") {
		t.Errorf("failed line: %s got %q, want it to mention retries exhausted", zerolog.ErrorFieldName, msg)
	}
	if _, ok := lines[3][middleware.FieldDuration].(float64); !ok {
		t.Errorf("failed line: %s got %v, want a number", middleware.FieldDuration, lines[3][middleware.FieldDuration])
	}
}

func TestLoggingFinalFailureWithNetworkError(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel)})
	rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))
	mock.RegisterResponder(http.MethodGet, testURL, sturdytest.ConnectionRefused)

	rc.R().Get(testURL)

	var warns, errorLines []logLine
	for _, line := range decodeLog(t, &buf) {
		switch line[zerolog.LevelFieldName] {
		case zerolog.WarnLevel.String():
			warns = append(warns, line)
		case zerolog.ErrorLevel.String():
			errorLines = append(errorLines, line)
		}
	}
	if len(warns) != 2 {
		t.Errorf("warn lines: got %d, want 2 (one per retry)", len(warns))
	}
	for i, line := range warns {
		checkLine(t, line, zerolog.WarnLevel, middleware.MessageRetry, map[string]any{
			middleware.FieldAttempt: float64(i + 1),
			middleware.FieldWait:    waitField(i + 1),
		})
		if reason, _ := line[middleware.FieldReason].(string); !strings.Contains(reason, "connection refused") {
			t.Errorf("warn line %d: %s got %q, want it to mention connection refused", i+1, middleware.FieldReason, reason)
		}
		if _, ok := line[middleware.FieldStatus]; ok {
			t.Errorf("warn line %d has %s without a response: %v", i+1, middleware.FieldStatus, line)
		}
	}
	if len(errorLines) != 1 {
		t.Fatalf("error lines: got %d, want 1", len(errorLines))
	}
	checkLine(t, errorLines[0], zerolog.ErrorLevel, middleware.MessageFailed, map[string]any{middleware.FieldAttempts: 3.0})
	if _, ok := errorLines[0][middleware.FieldStatus]; ok {
		t.Errorf("failed line has %s without a response: %v", middleware.FieldStatus, errorLines[0])
	}
	if msg, _ := errorLines[0][zerolog.ErrorFieldName].(string); !strings.Contains(msg, "connection refused") {
		t.Errorf("failed line: %s got %q, want it to mention connection refused", zerolog.ErrorFieldName, msg)
	}
}

func TestLoggingFailureWithoutRetry(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel)})
	rc, mock := newMockClient(t, logging)
	mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewErrorResponder(errors.New("invalid request")))

	rc.R().Get(testURL)

	lines := decodeLog(t, &buf)
	requireLineCount(t, lines, 2)
	checkLine(t, lines[0], zerolog.DebugLevel, middleware.MessageAttempt, map[string]any{middleware.FieldAttempt: 1.0})
	checkLine(t, lines[1], zerolog.ErrorLevel, middleware.MessageFailed, map[string]any{middleware.FieldAttempts: 1.0})
}

func TestLoggingRespectsLevel(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.InfoLevel), Headers: true})
	rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 2}))
	mock.RegisterResponder(http.MethodGet, testURL, sturdytest.FailThenSucceed(1,
		httpmock.NewStringResponder(503, ""), httpmock.NewStringResponder(200, "")))

	rc.R().Get(testURL)

	lines := decodeLog(t, &buf)
	requireLineCount(t, lines, 2)
	checkLine(t, lines[0], zerolog.WarnLevel, middleware.MessageRetry, nil)
	checkLine(t, lines[1], zerolog.InfoLevel, middleware.MessageCompleted, nil)
}

func TestLoggingRedactsURL(t *testing.T) {
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel)})
	rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 1}))
	mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(503, ""))

	rc.R().SetQueryParam("api_key", "key-in-query").SetQueryParam("page", "2").Get(testURL)

	out := buf.String()
	if strings.Contains(out, "key-in-query") {
		t.Errorf("log output contains the api_key value:\n%s", out)
	}
	for _, line := range decodeLog(t, &buf) {
		want := testURL + "?api_key=" + middleware.Redacted + "&page=2"
		if got := line[middleware.FieldURL]; got != want {
			t.Errorf("line %q: %s got %v, want %q", line[zerolog.MessageFieldName], middleware.FieldURL, got, want)
		}
	}
}

func TestLoggingLoggerResolution(t *testing.T) {
	tests := []struct {
		name         string
		configLogger bool
		ctxLogger    bool
		wantConfig   bool
		wantCtx      bool
	}{
		{"config logger", true, false, true, false},
		{"context logger", false, true, false, true},
		{"config logger wins over context", true, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var configBuf, ctxBuf bytes.Buffer
			var c middleware.LoggingConfig
			if tt.configLogger {
				c.Logger = bufferLogger(&configBuf, zerolog.DebugLevel)
			}
			ctx := context.Background()
			if tt.ctxLogger {
				ctx = bufferLogger(&ctxBuf, zerolog.DebugLevel).WithContext(ctx)
			}
			rc, mock := newMockClient(t, newLogging(t, c))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(200, ""))

			if _, err := rc.R().SetContext(ctx).Get(testURL); err != nil {
				t.Fatal(err)
			}

			if got := configBuf.Len() > 0; got != tt.wantConfig {
				t.Errorf("config logger written: got %v, want %v:\n%s", got, tt.wantConfig, configBuf.String())
			}
			if got := ctxBuf.Len() > 0; got != tt.wantCtx {
				t.Errorf("context logger written: got %v, want %v:\n%s", got, tt.wantCtx, ctxBuf.String())
			}
		})
	}
}

func TestLoggingQuietWithoutLogger(t *testing.T) {
	// Point zerolog's global loggers at buffers, which must stay empty.
	var globalBuf, defaultCtxBuf bytes.Buffer
	savedGlobal, savedDefault := log.Logger, zerolog.DefaultContextLogger
	t.Cleanup(func() { log.Logger, zerolog.DefaultContextLogger = savedGlobal, savedDefault })
	log.Logger = zerolog.New(&globalBuf)
	zerolog.DefaultContextLogger = bufferLogger(&defaultCtxBuf, zerolog.DebugLevel)

	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"no logger in context", context.Background()},
		{"disabled logger in context", zerolog.Nop().WithContext(context.Background())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logging := newLogging(t, middleware.LoggingConfig{Headers: true})
			rc, mock := newMockClient(t, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 1}))
			mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(503, ""))

			rc.R().SetContext(tt.ctx).Get(testURL)

			if globalBuf.Len() != 0 {
				t.Errorf("wrote to zerolog/log.Logger:\n%s", globalBuf.String())
			}
			if defaultCtxBuf.Len() != 0 {
				t.Errorf("wrote to zerolog.DefaultContextLogger:\n%s", defaultCtxBuf.String())
			}
		})
	}
}

func TestLoggingHeadersRedactSecrets(t *testing.T) {
	secrets := map[string]string{
		"auth id":        "id-secret-1",
		"auth signature": "sig-secret-2",
		"bearer token":   "bearer-secret-3",
		"cookie":         "cookie-secret-4",
		"api key":        "key-secret-5",
	}
	auth, err := middleware.HeaderAuth(secrets["auth id"], secrets["auth signature"])
	if err != nil {
		t.Fatal(err)
	}
	apiKey := middleware.Middleware{
		Name:             "api-key",
		SensitiveHeaders: []string{"x-api-key"},
		BeforeAttempt: func(a *middleware.Attempt) error {
			a.Request.Header.Set("X-Api-Key", secrets["api key"])
			return nil
		},
	}
	var buf bytes.Buffer
	logging := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel), Headers: true})
	rc, mock := newMockClient(t, auth, apiKey, logging, newRetry(t, middleware.RetryConfig{MaxRetries: 1}))
	mock.RegisterResponder(http.MethodGet, testURL, httpmock.NewStringResponder(503, ""))

	rc.R().
		SetAuthToken(secrets["bearer token"]).
		SetHeader("Cookie", "session="+secrets["cookie"]).
		SetHeader("X-Request-Id", "req-1").
		Get(testURL)

	out := buf.String()
	for credential, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("log output contains the %s %q:\n%s", credential, secret, out)
		}
	}

	var attempts int
	for _, line := range decodeLog(t, &buf) {
		if line[zerolog.MessageFieldName] != middleware.MessageAttempt {
			continue
		}
		attempts++
		headers, ok := line[middleware.FieldHeaders].(map[string]any)
		if !ok {
			t.Fatalf("attempt line: %s got %v, want an object", middleware.FieldHeaders, line[middleware.FieldHeaders])
		}
		for _, name := range []string{"Api-Auth-Id", "Api-Auth-Signature", "Authorization", "Cookie", "X-Api-Key"} {
			if got := headers[name]; got != middleware.Redacted {
				t.Errorf("attempt line: header %s got %v, want %q", name, got, middleware.Redacted)
			}
		}
		if got := headers["X-Request-Id"]; got != "req-1" {
			t.Errorf("attempt line: header X-Request-Id got %v, want %q", got, "req-1")
		}
	}
	if attempts != 2 {
		t.Errorf("attempt lines: got %d, want 2", attempts)
	}
}

// brokenBody returns data, then first on the next read and later on
// every read after it, as a net/http body does when its connection is
// cut: only the first failed read names the cause.
type brokenBody struct {
	data         *strings.Reader
	first, later error
	failed       bool
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.data.Len() > 0 {
		return b.data.Read(p)
	}
	if b.failed {
		return 0, b.later
	}
	b.failed = true
	return 0, b.first
}

func (b *brokenBody) Close() error { return nil }

func TestLoggingBodyKeepsReadError(t *testing.T) {
	var buf bytes.Buffer
	mw := newLogging(t, middleware.LoggingConfig{Logger: bufferLogger(&buf, zerolog.DebugLevel), Body: true})
	cause := context.DeadlineExceeded
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/items", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &middleware.Attempt{
		Number:      1,
		Request:     req,
		CallContext: context.Background(),
		Response: &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{},
			Body:       &brokenBody{data: strings.NewReader("partial"), first: cause, later: errors.New("use of closed network connection")},
		},
	}

	if err := mw.AfterAttempt(a); err != nil {
		t.Fatalf("AfterAttempt: %v", err)
	}
	data, err := io.ReadAll(a.Response.Body)

	if string(data) != "partial" {
		t.Errorf("body: got %q, want the bytes read before the failure", data)
	}
	if !errors.Is(err, cause) {
		t.Errorf("read error: got %v, want the first read's error, %v", err, cause)
	}
	lines := decodeLog(t, &buf)
	requireLineCount(t, lines, 1)
	checkLine(t, lines[0], zerolog.DebugLevel, middleware.MessageResponse,
		map[string]any{middleware.FieldBody: "partial", middleware.FieldError: cause.Error()})
}

func TestLoggingCompletionLineAllocations(t *testing.T) {
	logger := zerolog.New(io.Discard).Level(zerolog.InfoLevel)
	mw := newLogging(t, middleware.LoggingConfig{Logger: &logger})
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/api/products/4711", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := middleware.Result{Request: req, Response: &http.Response{StatusCode: http.StatusOK}, Attempts: 1}
	mw.OnSuccess(res) // warms zerolog's pool of events

	allocs := testing.AllocsPerRun(100, func() { mw.OnSuccess(res) })

	if allocs != 0 {
		t.Errorf("completion line for a URL with nothing to redact: %v allocations, want 0", allocs)
	}
}
