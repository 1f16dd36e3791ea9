package middleware

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/rs/zerolog"
)

// LoggingName is the name of the middleware returned by Logging.
const LoggingName = "logging"

// Field names of the log lines that Logging writes.
const (
	FieldMethod   = "method"
	FieldURL      = "url"
	FieldAttempt  = "attempt"
	FieldAttempts = "attempts"
	FieldStatus   = "status"
	FieldDuration = "duration"
	FieldWait     = "wait"
	FieldReason   = "reason"
	FieldHeaders  = "headers"
	FieldBody     = "body"
	FieldError    = "error"

	// FieldRetryAfter is the wait a server requested through Retry-After
	// on a retry line, or the raw header value on a line that reports it
	// ignored.
	FieldRetryAfter = "retry_after"
)

// Messages of the log lines that Logging writes.
const (
	MessageAttempt   = "sending attempt"
	MessageRetry     = "retry scheduled"
	MessageCompleted = "request completed"
	MessageFailed    = "request failed"

	MessageRetryAfterIgnored = "ignored Retry-After header; waiting the backoff instead"
	MessageResponse          = "response received"
)

// DefaultMaxLogBodyBytes caps the body text that one log line holds when
// LoggingConfig.Body is set.
const DefaultMaxLogBodyBytes = 2048

// LoggingConfig configures the Logging middleware. The zero value logs to
// the logger of each request's context, if it has one, and nowhere else.
type LoggingConfig struct {
	// Logger receives the log lines. Nil means the logger that
	// zerolog.Ctx finds in the request's context; when the context has
	// none, nothing is logged. The middleware never writes to zerolog's
	// global logger, to zerolog.DefaultContextLogger or to stderr.
	Logger *zerolog.Logger

	// Headers adds the request headers of each attempt to its debug line,
	// with the values of sensitive headers replaced by Redacted.
	Headers bool

	// Body adds request and response bodies to debug lines, capped at
	// MaxBodyBytes and with secrets redacted: the secret fields of a JSON
	// body, the secret parameters of a form body, and any credential of
	// the request quoted in other text. Off by default, because bodies
	// may hold personal data that no rule recognises.
	Body bool

	// MaxBodyBytes caps the body text of one line. Zero means
	// DefaultMaxLogBodyBytes.
	MaxBodyBytes int

	// Redactor adds sensitive headers and secret names to the defaults.
	// The headers that the chain's middleware declare are always added.
	Redactor Redactor
}

// Logging returns the logging middleware, named LoggingName. It writes:
//
//   - debug, before each attempt: method, url, attempt, and the redacted
//     headers when LoggingConfig.Headers is set;
//   - warn, when a retry is scheduled: method, url, attempt, wait,
//     reason, status when there was a response, and retry_after when the
//     server's Retry-After timed the wait;
//   - debug, before that warning, when the response's Retry-After header
//     was ignored: method, url, attempt and the quoted retry_after values;
//   - debug, after each attempt that got a response, when
//     LoggingConfig.Body is set: method, url, attempt, status, duration
//     and the redacted body;
//   - info, when a call completes: method, url, status, duration,
//     attempts;
//   - error, once, when a call finally fails: method, url, attempts,
//     duration, error, and the last status when there was a response.
//
// URLs are logged with their user information and secret-looking query
// values redacted, error text with the request's credentials redacted,
// and headers and bodies as LoggingConfig sets. Fields are built only
// when their level is enabled.
func Logging(c LoggingConfig) (Middleware, error) {
	if c.MaxBodyBytes < 0 {
		return Middleware{}, fmt.Errorf("middleware: logging MaxBodyBytes %d is negative; use 0 for the default of %d bytes or a positive cap", c.MaxBodyBytes, DefaultMaxLogBodyBytes)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxLogBodyBytes
	}
	l := loggingHooks{config: c}
	mw := Middleware{
		Name:          LoggingName,
		BeforeAttempt: l.beforeAttempt,
		OnRetry:       l.onRetry,
		OnSuccess:     l.onSuccess,
		OnError:       l.onError,
	}
	if c.Body {
		mw.AfterAttempt = l.afterAttempt
	}
	return mw, nil
}

type loggingHooks struct {
	config LoggingConfig
}

// logger returns the logger for a call with context ctx, or nil when
// nothing should be logged.
func (l loggingHooks) logger(ctx context.Context) *zerolog.Logger {
	if l.config.Logger != nil {
		return l.config.Logger
	}
	if ctx == nil {
		return nil
	}
	found := zerolog.Ctx(ctx)
	// zerolog.Ctx falls back to the global DefaultContextLogger, which a
	// library must not write to.
	if found == zerolog.DefaultContextLogger || found.GetLevel() == zerolog.Disabled {
		return nil
	}
	return found
}

// redactor returns the config's redactor with the chain's sensitive
// headers added.
func (l loggingHooks) redactor(sensitive []string) Redactor {
	r := l.config.Redactor
	if len(sensitive) > 0 {
		r.Headers = append(slices.Clip(r.Headers), sensitive...)
	}
	return r
}

func (l loggingHooks) beforeAttempt(a *Attempt) error {
	log := l.logger(a.CallContext)
	if log == nil {
		return nil
	}
	e := log.Debug()
	if e == nil {
		return nil
	}
	r := l.redactor(a.SensitiveHeaders)
	e = withRequest(e, a.Request, r).Int(FieldAttempt, a.Number)
	if l.config.Headers {
		e = e.Object(FieldHeaders, headerObject{a.Request.Header, r})
	}
	if l.config.Body {
		if body, ok := requestBody(a.Request); ok {
			e = e.Str(FieldBody, r.Body(body, a.Request.Header.Get("Content-Type"), l.config.MaxBodyBytes, r.Secrets(a.Request)))
		}
	}
	e.Msg(MessageAttempt)
	return nil
}

// afterAttempt logs the response of each attempt with its body, when
// LoggingConfig.Body is set. It reads the start of the body and puts it
// back in front of the rest, so the caller still reads it all.
func (l loggingHooks) afterAttempt(a *Attempt) error {
	log := l.logger(a.CallContext)
	if log == nil || a.Response == nil {
		return nil
	}
	e := log.Debug()
	if e == nil {
		return nil
	}
	r := l.redactor(a.SensitiveHeaders)
	resp := a.Response
	// Read well past the cap, so that a JSON body usually parses whole
	// and is redacted field by field before it is cut.
	head, err := io.ReadAll(io.LimitReader(resp.Body, int64(max(l.config.MaxBodyBytes, bodyParseBytes))))
	rest := io.Reader(resp.Body)
	if err != nil {
		// Later reads of a failed net/http body return the bare socket
		// error, not the first read's error, which names the cause, such
		// as the attempt's timeout. The caller's read gets the first.
		rest = failedReader{err}
	}
	resp.Body = prefixedBody{io.MultiReader(bytes.NewReader(head), rest), resp.Body}
	e = withRequest(e, a.Request, r).
		Int(FieldAttempt, a.Number).
		Int(FieldStatus, resp.StatusCode).
		Dur(FieldDuration, a.Duration).
		Str(FieldBody, r.Body(head, resp.Header.Get("Content-Type"), l.config.MaxBodyBytes, r.Secrets(a.Request)))
	if err != nil {
		e = e.Str(FieldError, r.Text(err.Error(), r.Secrets(a.Request)))
	}
	e.Msg(MessageResponse)
	return nil
}

// bodyParseBytes is the least of a response body that body logging reads
// before it redacts and cuts the text.
const bodyParseBytes = 64 << 10

// prefixedBody is a response body whose first bytes were read for a log
// line and put back in front of the rest.
type prefixedBody struct {
	io.Reader
	io.Closer
}

// failedReader is the rest of a body whose read failed: every read
// returns that error.
type failedReader struct{ err error }

func (r failedReader) Read([]byte) (int, error) { return 0, r.err }

// requestBody returns a copy of req's body without consuming it, when the
// request can produce one.
func requestBody(req *http.Request) ([]byte, bool) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	return data, err == nil
}

func (l loggingHooks) onRetry(ev RetryEvent) {
	a := ev.Attempt
	log := l.logger(a.CallContext)
	if log == nil {
		return
	}
	r := l.redactor(a.SensitiveHeaders)
	if a.RetryAfterIgnored != "" {
		if e := log.Debug(); e != nil {
			withRequest(e, a.Request, r).
				Int(FieldAttempt, a.Number).
				Str(FieldRetryAfter, a.RetryAfterIgnored).
				Msg(MessageRetryAfterIgnored)
		}
	}
	e := log.Warn()
	if e == nil {
		return
	}
	e = withRequest(e, a.Request, r).
		Int(FieldAttempt, a.Number).
		Dur(FieldWait, ev.Wait).
		Str(FieldReason, r.Text(a.Outcome(), r.Secrets(a.Request)))
	if a.Response != nil {
		e = e.Int(FieldStatus, a.Response.StatusCode)
	}
	if a.RetryAfter > 0 {
		e = e.Dur(FieldRetryAfter, a.RetryAfter)
	}
	e.Msg(MessageRetry)
}

func (l loggingHooks) onSuccess(res Result) {
	log := l.logger(res.Request.Context())
	if log == nil {
		return
	}
	e := log.Info()
	if e == nil {
		return
	}
	// URLs need only the secret names, so no redactor is built here, on
	// the path of every successful call.
	e = withRequest(e, res.Request, l.config.Redactor).
		Int(FieldStatus, res.Response.StatusCode).
		Dur(FieldDuration, res.Duration).
		Int(FieldAttempts, res.Attempts)
	e.Msg(MessageCompleted)
}

func (l loggingHooks) onError(res Result) {
	log := l.logger(res.Request.Context())
	if log == nil {
		return
	}
	e := log.Error()
	if e == nil {
		return
	}
	r := l.redactor(res.SensitiveHeaders)
	e = withRequest(e, res.Request, r).
		Int(FieldAttempts, res.Attempts).
		Dur(FieldDuration, res.Duration)
	if res.Err != nil {
		e = e.Str(FieldError, r.Text(res.Err.Error(), r.Secrets(res.Request)))
	}
	if res.Response != nil {
		e = e.Int(FieldStatus, res.Response.StatusCode)
	}
	e.Msg(MessageFailed)
}

func withRequest(e *zerolog.Event, req *http.Request, r Redactor) *zerolog.Event {
	e = e.Str(FieldMethod, req.Method)
	// A URL with nothing to redact is written from a buffer on the
	// stack, so the line on every call allocates nothing for it.
	var buf [256]byte
	if plain, ok := appendPlainURL(buf[:0], req.URL); ok {
		return e.Bytes(FieldURL, plain)
	}
	return e.Str(FieldURL, r.URL(req.URL))
}
