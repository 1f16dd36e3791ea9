package middleware

import (
	"context"
	"fmt"
)

// Per-request settings travel in the request's context, so they work with
// any client: pass the context to resty's Request.SetContext or to
// http.NewRequestWithContext.

type requestSettingsKey struct{}

// requestSettings overrides the Retry middleware's configuration for one
// request.
type requestSettings struct {
	maxRetries    int
	hasMaxRetries bool
	idempotent    bool
}

func settingsFrom(ctx context.Context) requestSettings {
	if ctx == nil {
		return requestSettings{}
	}
	s, _ := ctx.Value(requestSettingsKey{}).(requestSettings)
	return s
}

func withSettings(ctx context.Context, change func(*requestSettings)) context.Context {
	s := settingsFrom(ctx)
	change(&s)
	return context.WithValue(ctx, requestSettingsKey{}, s)
}

// WithRequestMaxRetries returns a copy of ctx that sets the number of
// retries for requests made with it, in place of the Retry middleware's
// MaxRetries. Zero makes a single attempt. A negative n makes such a
// request fail before its first attempt with an error naming the value.
func WithRequestMaxRetries(ctx context.Context, n int) context.Context {
	return withSettings(ctx, func(s *requestSettings) {
		s.maxRetries, s.hasMaxRetries = n, true
	})
}

// WithRequestNoRetry returns a copy of ctx with which requests make a
// single attempt.
func WithRequestNoRetry(ctx context.Context) context.Context {
	return WithRequestMaxRetries(ctx, 0)
}

// WithRequestIdempotent returns a copy of ctx that marks requests made with
// it as safe to send more than once, so that the Retry middleware retries
// them whatever their method. Use it for a POST or PATCH that the server
// deduplicates by other means than an Idempotency-Key header.
func WithRequestIdempotent(ctx context.Context) context.Context {
	return withSettings(ctx, func(s *requestSettings) { s.idempotent = true })
}

func (s requestSettings) validate() error {
	if s.hasMaxRetries && s.maxRetries < 0 {
		return fmt.Errorf("middleware: per-request max retries %d is negative; pass 0 to WithRequestMaxRetries for a single attempt, or a positive count", s.maxRetries)
	}
	return nil
}
