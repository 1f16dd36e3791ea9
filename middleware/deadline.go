package middleware

import (
	"context"
	"fmt"
	"time"
)

// ErrDeadlineTooClose is the reason in a call's error when the wait
// before the next retry would end at or after the deadline of the call's
// context, so the call stopped at once instead of sleeping into it. It
// also matches context.DeadlineExceeded, because the call could not
// finish in time.
var ErrDeadlineTooClose error = deadlineTooCloseError{}

type deadlineTooCloseError struct{}

func (deadlineTooCloseError) Error() string {
	return "sturdy: next retry would start after the call's deadline"
}

// Is makes the error match context.DeadlineExceeded as well.
func (deadlineTooCloseError) Is(target error) bool { return target == context.DeadlineExceeded }

// CheckDeadline returns an error wrapping ErrDeadlineTooClose, with the
// wait and the time left, when a wait would end at or after the deadline
// of ctx. It returns nil when ctx has no deadline or the wait ends
// before it.
func CheckDeadline(ctx context.Context, wait time.Duration) error {
	if ctx == nil {
		return nil
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	if left := time.Until(deadline); left <= wait {
		return fmt.Errorf("%w: wait %v, %v left", ErrDeadlineTooClose, wait, left.Round(time.Millisecond))
	}
	return nil
}

// RequestMaxRetries returns the retry count that WithRequestMaxRetries
// set in ctx, and whether one was set.
func RequestMaxRetries(ctx context.Context) (int, bool) {
	s := settingsFrom(ctx)
	return s.maxRetries, s.hasMaxRetries
}
