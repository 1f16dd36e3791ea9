package sturdy

import (
	"fmt"
	"strings"

	"github.com/go-resty/resty/v2"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy/middleware"
)

// restyLogger passes resty's own messages, its debug dumps among them, to
// the client's logger with secrets redacted, or drops them when there is
// no logger, so that resty never writes to stderr.
type restyLogger struct {
	log      *zerolog.Logger
	chain    *Chain
	redactor middleware.Redactor
}

func (l restyLogger) Errorf(format string, v ...any) { l.write(zerolog.ErrorLevel, format, v) }
func (l restyLogger) Warnf(format string, v ...any)  { l.write(zerolog.WarnLevel, format, v) }
func (l restyLogger) Debugf(format string, v ...any) { l.write(zerolog.DebugLevel, format, v) }

func (l restyLogger) write(level zerolog.Level, format string, v []any) {
	if l.log == nil {
		return
	}
	e := l.log.WithLevel(level)
	if e == nil {
		return
	}
	msg := l.fullRedactor().Message(fmt.Sprintf(strings.TrimSpace(format), v...))
	e.Str("component", "resty").Msg(msg)
}

// fullRedactor returns the client's redactor with the chain's sensitive
// headers, as they are now, added.
func (l restyLogger) fullRedactor() middleware.Redactor {
	r := l.redactor
	if l.chain != nil {
		r.Headers = append(append([]string(nil), r.Headers...), l.chain.SensitiveHeaders()...)
	}
	return r
}

// redactRequestLog and redactResponseLog scrub resty's debug dumps before
// resty formats them: sensitive header values and the secret fields of
// bodies.
func (l restyLogger) redactRequestLog(rl *resty.RequestLog) error {
	r := l.fullRedactor()
	rl.Header = r.Header(rl.Header)
	rl.Body = r.Body([]byte(rl.Body), rl.Header.Get("Content-Type"), 0, nil)
	return nil
}

func (l restyLogger) redactResponseLog(rl *resty.ResponseLog) error {
	r := l.fullRedactor()
	rl.Header = r.Header(rl.Header)
	rl.Body = r.Body([]byte(rl.Body), rl.Header.Get("Content-Type"), 0, nil)
	return nil
}
