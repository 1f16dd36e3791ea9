package sturdy

import (
	"strings"

	"github.com/rs/zerolog"
)

// restyLogger passes resty's own messages to the client's logger, or
// drops them when there is none, so that resty never writes to stderr.
type restyLogger struct {
	log *zerolog.Logger
}

func (l restyLogger) Errorf(format string, v ...any) { l.write(zerolog.ErrorLevel, format, v) }
func (l restyLogger) Warnf(format string, v ...any)  { l.write(zerolog.WarnLevel, format, v) }
func (l restyLogger) Debugf(format string, v ...any) { l.write(zerolog.DebugLevel, format, v) }

func (l restyLogger) write(level zerolog.Level, format string, v []any) {
	if l.log == nil {
		return
	}
	l.log.WithLevel(level).Str("component", "resty").Msgf(strings.TrimSpace(format), v...)
}
