package middleware

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// ErrRetryBudgetExhausted is the reason in a call's error when the retry
// budget denied a retry. The client, not the server, stopped the call: it
// throttled its own retries so that they do not multiply the load on a
// server that is already failing.
var ErrRetryBudgetExhausted = errors.New("sturdy: retry not sent because the client's retry budget is spent; the client throttled its own retries to spare a failing server")

// Defaults of BudgetConfig.
const (
	DefaultBudgetRatio        = 0.2
	DefaultBudgetMinPerSecond = 1
	DefaultBudgetFloorBurst   = DefaultMaxRetries
	DefaultBudgetMaxTokens    = 100
)

// BudgetConfig configures a retry budget. The zero value means the
// defaults: retries may add 20% to the calls made, plus a floor of 1
// retry a second with bursts of 5, enough for one call's whole schedule,
// and up to 100 retries saved while calls succeed.
type BudgetConfig struct {
	// Ratio is the number of retries that each call earns: 0.2 lets
	// retries add at most 20% to the requests a client sends. Zero means
	// DefaultBudgetRatio. It must be below 1, or retries could still
	// multiply the load.
	Ratio float64

	// MinPerSecond is the number of retries allowed each second whatever
	// the ratio, so that a client that sends few calls can still retry.
	// Zero means DefaultBudgetMinPerSecond; a negative value means none.
	MinPerSecond float64

	// FloorBurst is the number of retries that the floor allows at once
	// when it has not been used for a while. Zero means
	// DefaultBudgetFloorBurst; it must not be negative.
	FloorBurst int

	// MaxTokens caps the retries saved up while calls succeed, and so the
	// burst of retries allowed when an outage starts. Zero means
	// DefaultBudgetMaxTokens; any other value must be at least 1.
	MaxTokens float64
}

// Validate reports whether c is usable, naming the invalid value and the
// fix.
func (c BudgetConfig) Validate() error {
	if !(c.Ratio >= 0 && c.Ratio < 1) {
		return fmt.Errorf("middleware: retry budget ratio %v is outside [0, 1); pass a fraction such as %v, meaning retries add at most %v%% to the requests sent", c.Ratio, DefaultBudgetRatio, DefaultBudgetRatio*100)
	}
	if math.IsNaN(c.MinPerSecond) || math.IsInf(c.MinPerSecond, 0) {
		return fmt.Errorf("middleware: retry budget MinPerSecond %v is not a number of retries; pass a count such as %v", c.MinPerSecond, DefaultBudgetMinPerSecond)
	}
	if c.FloorBurst < 0 {
		return fmt.Errorf("middleware: retry budget FloorBurst %d is negative; use 0 for the default of %d or a positive count", c.FloorBurst, DefaultBudgetFloorBurst)
	}
	if !(c.MaxTokens == 0 || c.MaxTokens >= 1) || math.IsInf(c.MaxTokens, 0) {
		return fmt.Errorf("middleware: retry budget MaxTokens %v is invalid; pass 0 for the default of %v or a count of at least 1, because a retry takes a whole token", c.MaxTokens, DefaultBudgetMaxTokens)
	}
	return nil
}

// Budget limits the retries of every request that shares it, as a token
// bucket: each call adds Ratio tokens, each retry takes one, and a retry
// without a token is denied unless the per-second floor allows it. A
// Budget is safe for concurrent use; share one among the clients that
// call the same server.
type Budget struct {
	ratio float64
	max   float64
	floor *rate.Limiter // nil when there is no floor

	// tokens contains the float64 bits of the saved tokens. Calls update
	// it with compare-and-swap instead of taking a lock. A full budget is
	// only read, so on a healthy path calls do not write to memory that
	// every goroutine shares.
	tokens atomic.Uint64
}

// NewBudget returns an empty budget: its first retries come from the
// per-second floor until calls have earned tokens.
func NewBudget(c BudgetConfig) (*Budget, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := &Budget{ratio: c.Ratio, max: c.MaxTokens}
	if b.ratio == 0 {
		b.ratio = DefaultBudgetRatio
	}
	if b.max == 0 {
		b.max = DefaultBudgetMaxTokens
	}
	perSecond := c.MinPerSecond
	if perSecond == 0 {
		perSecond = DefaultBudgetMinPerSecond
	}
	if perSecond > 0 {
		burst := c.FloorBurst
		if burst == 0 {
			burst = DefaultBudgetFloorBurst
		}
		b.floor = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return b, nil
}

// Deposit records a new call, which earns Ratio tokens.
func (b *Budget) Deposit() {
	for {
		old := b.tokens.Load()
		tokens := math.Float64frombits(old)
		if tokens >= b.max {
			return
		}
		if b.tokens.CompareAndSwap(old, math.Float64bits(min(b.max, tokens+b.ratio))) {
			return
		}
	}
}

// Withdraw reports whether a retry may be sent, and takes a token if so.
func (b *Budget) Withdraw() bool {
	for {
		old := b.tokens.Load()
		tokens := math.Float64frombits(old)
		// The tolerance absorbs rounding, so that five deposits of 0.2
		// make a whole token.
		if tokens < 1-1e-9 {
			break
		}
		if b.tokens.CompareAndSwap(old, math.Float64bits(max(0, tokens-1))) {
			return true
		}
	}
	return b.floor != nil && b.floor.Allow()
}
