package middleware

import (
	"context"
	"net/http"

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
)

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
}

// Logging returns the logging middleware, named LoggingName. It writes:
//
//   - debug, before each attempt: method, url, attempt, and the redacted
//     headers when LoggingConfig.Headers is set;
//   - warn, when a retry is scheduled: method, url, attempt, wait,
//     reason, status when there was a response, and retry_after when the
//     server's Retry-After timed the wait;
//   - debug, before that warning, when the response's Retry-After header
//     was ignored: method, url, attempt and the raw retry_after value;
//   - info, when a call completes: method, url, status, duration,
//     attempts;
//   - error, once, when a call finally fails: method, url, attempts,
//     duration, error, and the last status when there was a response.
//
// URLs are logged with passwords and secret-looking query values
// redacted, as RedactURL does. Fields are built only when their level is
// enabled.
func Logging(c LoggingConfig) (Middleware, error) {
	l := loggingHooks{config: c}
	return Middleware{
		Name:          LoggingName,
		BeforeAttempt: l.beforeAttempt,
		OnRetry:       l.onRetry,
		OnSuccess:     l.onSuccess,
		OnError:       l.onError,
	}, nil
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

func (l loggingHooks) beforeAttempt(a *Attempt) error {
	log := l.logger(a.CallContext)
	if log == nil {
		return nil
	}
	e := log.Debug()
	if e == nil {
		return nil
	}
	e = withRequest(e, a.Request).Int(FieldAttempt, a.Number)
	if l.config.Headers {
		e = e.Object(FieldHeaders, headerObject{a.Request.Header, a.SensitiveHeaders})
	}
	e.Msg(MessageAttempt)
	return nil
}

func (l loggingHooks) onRetry(ev RetryEvent) {
	a := ev.Attempt
	log := l.logger(a.CallContext)
	if log == nil {
		return
	}
	if a.RetryAfterIgnored != "" {
		if e := log.Debug(); e != nil {
			withRequest(e, a.Request).
				Int(FieldAttempt, a.Number).
				Str(FieldRetryAfter, a.RetryAfterIgnored).
				Msg(MessageRetryAfterIgnored)
		}
	}
	e := log.Warn()
	if e == nil {
		return
	}
	e = withRequest(e, a.Request).
		Int(FieldAttempt, a.Number).
		Dur(FieldWait, ev.Wait).
		Str(FieldReason, a.Outcome())
	if a.Response != nil {
		e = e.Int(FieldStatus, a.Response.StatusCode)
	}
	if a.RetryAfter > 0 {
		e = e.Dur(FieldRetryAfter, a.RetryAfter)
	}
	e.Msg(MessageRetry)
}

func (l loggingHooks) onSuccess(r Result) {
	log := l.logger(r.Request.Context())
	if log == nil {
		return
	}
	e := log.Info()
	if e == nil {
		return
	}
	e = withRequest(e, r.Request).
		Int(FieldStatus, r.Response.StatusCode).
		Dur(FieldDuration, r.Duration).
		Int(FieldAttempts, r.Attempts)
	e.Msg(MessageCompleted)
}

func (l loggingHooks) onError(r Result) {
	log := l.logger(r.Request.Context())
	if log == nil {
		return
	}
	e := log.Error()
	if e == nil {
		return
	}
	e = withRequest(e, r.Request).
		Int(FieldAttempts, r.Attempts).
		Dur(FieldDuration, r.Duration).
		Err(r.Err)
	if r.Response != nil {
		e = e.Int(FieldStatus, r.Response.StatusCode)
	}
	e.Msg(MessageFailed)
}

func withRequest(e *zerolog.Event, req *http.Request) *zerolog.Event {
	return e.Str(FieldMethod, req.Method).Str(FieldURL, RedactURL(req.URL))
}
