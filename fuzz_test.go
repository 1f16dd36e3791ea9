package sturdy_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// FuzzNew builds clients from fuzzed option values and checks that New
// never panics and returns either a client or a non-empty error, never
// both and never neither. Each bit of mask includes one option.
func FuzzNew(f *testing.F) {
	f.Add(uint32(math.MaxUint32), "https://api.test", int64(time.Second), int64(time.Minute),
		int64(time.Millisecond), int64(10*time.Millisecond), int64(time.Minute), 3, []byte{0x01, 0xf7},
		0.25, 0, 0.2, 10.0, 100.0, 64, 64, -1, int64(90*time.Second), uint8(0), "id", "signature")
	f.Add(uint32(0), "", int64(0), int64(0), int64(0), int64(0), int64(0), 0, []byte(nil),
		0.0, 0, 0.0, 0.0, 0.0, 0, 0, 0, int64(0), uint8(0), "", "")
	f.Add(uint32(0x3ff), "ftp://host", int64(-1), int64(-5), int64(5), int64(1), int64(-1), -2, []byte{0xff, 0xff},
		1.5, 7, 1.0, math.NaN(), math.Inf(1), -1, -1, -1, int64(-1), uint8(1), "", "")
	f.Add(uint32(0x7ffff), "http://user:pass@[::1]:0/?token=x", int64(1), int64(1), int64(math.MaxInt64),
		int64(math.MaxInt64), int64(1), math.MaxInt, []byte{0, 0, 0x02, 0x58},
		math.NaN(), -1, -0.0, -1.0, 0.0, math.MaxInt, 0, 1, int64(math.MaxInt64), uint8(2), "alice", "bad\r\nheader")

	f.Fuzz(func(t *testing.T, mask uint32, baseURL string, timeout, total, base, maxWait, maxRetryAfter int64,
		retries int, statuses []byte, jitter float64, policy int, budgetRatio, budgetMin, budgetMax float64,
		poolIdle, poolPerHost, poolConns int, poolIdleTimeout int64, authKind uint8, cred1, cred2 string) {

		candidates := []sturdy.Option{
			sturdy.WithBaseURL(baseURL),
			sturdy.WithTimeout(time.Duration(timeout)),
			sturdy.WithTotalTimeout(time.Duration(total)),
			sturdy.WithBackoff(time.Duration(base), time.Duration(maxWait)),
			sturdy.WithMaxRetryAfter(time.Duration(maxRetryAfter)),
			sturdy.WithMaxRetries(retries),
			sturdy.WithRetryStatuses(statusCodes(statuses)...),
			sturdy.WithJitter(middleware.ProportionalJitter(jitter)),
			sturdy.WithRetryAfterPolicy(middleware.RetryAfterPolicy(policy)),
			sturdy.WithRetryBudget(middleware.BudgetConfig{Ratio: budgetRatio, MinPerSecond: budgetMin, MaxTokens: budgetMax}),
			sturdy.WithConnectionPool(sturdy.PoolConfig{
				MaxIdleConns: poolIdle, MaxIdleConnsPerHost: poolPerHost,
				MaxConnsPerHost: poolConns, IdleConnTimeout: time.Duration(poolIdleTimeout),
			}),
			authOption(authKind, cred1, cred2),
			sturdy.WithoutRetryBudget(),
			sturdy.WithRetryNonIdempotent(),
			sturdy.WithLogHeaders(),
			sturdy.WithoutLogging(),
			sturdy.WithoutRetry(),
			// A second auth option is an error of its own.
			authOption(authKind+1, cred2, cred1),
			sturdy.WithMaxRetries(-retries),
		}
		var opts []sturdy.Option
		for i, opt := range candidates {
			if mask&(1<<i) != 0 {
				opts = append(opts, opt)
			}
		}

		client, err := sturdy.New(opts...)

		switch {
		case client == nil && err == nil:
			t.Fatal("New returned neither a client nor an error")
		case client != nil && err != nil:
			t.Fatalf("New returned a client and the error %v", err)
		case err != nil && strings.TrimSpace(err.Error()) == "":
			t.Fatal("New returned an error with an empty message")
		case client != nil:
			if client.Chain() == nil || client.R() == nil || client.Resty() == nil {
				t.Fatal("New returned a client without a chain or a request builder")
			}
			client.CloseIdleConnections()
		}
	})
}

// statusCodes reads pairs of bytes as big-endian integers, so that the
// fuzzer reaches codes outside 100 to 599 as well as inside.
func statusCodes(raw []byte) []int {
	var out []int
	for i := 0; i+1 < len(raw); i += 2 {
		out = append(out, int(raw[i])<<8|int(raw[i+1]))
	}
	return out
}

// authOption returns one of the auth options, chosen by kind.
func authOption(kind uint8, cred1, cred2 string) sturdy.Option {
	switch kind % 3 {
	case 0:
		return sturdy.WithHeaderAuth(cred1, cred2)
	case 1:
		return sturdy.WithBearerToken(cred1)
	default:
		return sturdy.WithBasicAuth(cred1, cred2)
	}
}
