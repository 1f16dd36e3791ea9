package sturdy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy/middleware"
)

// DefaultTimeout bounds each attempt of a request made by a client from
// New.
const DefaultTimeout = 30 * time.Second

// PoolConfig sets the connection pool of the transport that New builds.
// Zero fields take their value from DefaultPool.
type PoolConfig struct {
	// MaxIdleConns caps idle connections across all hosts.
	MaxIdleConns int
	// MaxIdleConnsPerHost caps idle connections kept for each host.
	MaxIdleConnsPerHost int
	// MaxConnsPerHost caps all connections to each host, dialing, active
	// and idle; a request over the cap waits for a free connection.
	// Negative means no cap.
	MaxConnsPerHost int
	// IdleConnTimeout closes a connection that has been idle this long.
	IdleConnTimeout time.Duration
}

// DefaultPool is the connection pool of a client from New.
//
// net/http keeps at most 2 idle connections per host by default. A backend
// that sends more than 2 concurrent requests to one API then closes each
// extra connection as soon as its request ends and dials a new one for the
// next request, paying a TCP and TLS handshake each time and leaving
// sockets in TIME_WAIT. sturdy keeps up to 64 idle connections per host,
// enough for the concurrency of a typical backend, and 256 across hosts.
// The total per host is not capped, so requests never queue for a
// connection.
var DefaultPool = PoolConfig{
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 64,
	MaxConnsPerHost:     -1,
	IdleConnTimeout:     90 * time.Second,
}

func (p PoolConfig) withDefaults() PoolConfig {
	if p.MaxIdleConns == 0 {
		p.MaxIdleConns = DefaultPool.MaxIdleConns
	}
	if p.MaxIdleConnsPerHost == 0 {
		p.MaxIdleConnsPerHost = DefaultPool.MaxIdleConnsPerHost
	}
	if p.MaxConnsPerHost == 0 {
		p.MaxConnsPerHost = DefaultPool.MaxConnsPerHost
	}
	if p.MaxConnsPerHost < 0 {
		p.MaxConnsPerHost = 0 // net/http's value for no cap
	}
	if p.IdleConnTimeout == 0 {
		p.IdleConnTimeout = DefaultPool.IdleConnTimeout
	}
	return p
}

// Option configures a client made by New.
type Option func(*config) error

type config struct {
	baseURL      string
	timeout      time.Duration
	totalTimeout time.Duration
	retry        middleware.RetryConfig
	retryOff     bool
	auth         *middleware.Middleware
	logging      middleware.LoggingConfig
	loggingOff   bool
	transport    http.RoundTripper
	pool         *PoolConfig
	middlewares  []middleware.Middleware

	credentialHosts []string
	redactor        middleware.Redactor
	tls             *tls.Config
}

// WithBaseURL sets the URL that relative request URLs are resolved
// against. It must be an absolute http or https URL.
func WithBaseURL(raw string) Option {
	return func(c *config) error {
		u, err := url.Parse(raw)
		if err != nil {
			// The parse error quotes the URL, so print neither as given.
			shown := middleware.Redactor{}.Message(raw)
			return fmt.Errorf("sturdy: base URL %q is invalid; pass an absolute URL such as https://api.example.com", shown)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sturdy: base URL %q is not an absolute http or https URL; pass one such as https://api.example.com", middleware.RedactURL(u))
		}
		c.baseURL = raw
		return nil
	}
}

// WithTimeout sets the timeout of each attempt, DefaultTimeout unless
// set. The caller's context bounds the whole call, waits included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("sturdy: timeout %v is not positive; pass the longest time one attempt may take, such as %v", d, DefaultTimeout)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxRetries sets the number of retries after the first attempt,
// middleware.DefaultMaxRetries unless set. Zero makes a single attempt.
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("sturdy: max retries %d is negative; pass 0 for a single attempt or a positive count", n)
		}
		if n == 0 {
			n = middleware.NoRetries
		}
		c.retry.MaxRetries = n
		return nil
	}
}

// WithBackoff sets the wait before the first retry and the cap on
// nominal waits, middleware.DefaultBaseWait and middleware.DefaultMaxWait
// unless set. The nominal wait doubles from base with every retry up to
// maxWait, and jitter then spreads it.
func WithBackoff(base, maxWait time.Duration) Option {
	return func(c *config) error {
		if base <= 0 {
			return fmt.Errorf("sturdy: backoff base wait %v is not positive; pass a duration such as %v", base, middleware.DefaultBaseWait)
		}
		if maxWait < base {
			return fmt.Errorf("sturdy: backoff maximum wait %v is below the base wait %v; pass a maximum of at least the base", maxWait, base)
		}
		c.retry.Backoff.Base, c.retry.Backoff.Max = base, maxWait
		return nil
	}
}

// WithJitter sets how waits are spread, ±25% unless set: pass
// middleware.ProportionalJitter(f), middleware.FullJitter{} or
// middleware.NoJitter{}.
func WithJitter(j middleware.Jitter) Option {
	return func(c *config) error {
		if middleware.IsNilValue(j) {
			return errors.New("sturdy: jitter is nil; pass middleware.NoJitter{} for exact waits")
		}
		c.retry.Backoff.Jitter = j
		return c.retry.Backoff.Validate()
	}
}

// WithRandom sets the source of the uniform numbers in [0, 1) that jitter
// draws from. It must be safe for concurrent use; see
// middleware.LockedRand.
func WithRandom(random func() float64) Option {
	return func(c *config) error {
		if random == nil {
			return errors.New("sturdy: random source is nil; pass a function returning numbers in [0, 1)")
		}
		c.retry.Backoff.Rand = random
		return nil
	}
}

// WithRetryStatuses replaces the statuses that are retried,
// middleware.DefaultRetryStatuses unless set. Network errors and timeouts
// are retried whatever the list holds.
func WithRetryStatuses(statuses ...int) Option {
	return func(c *config) error {
		c.retry.Statuses = append([]int{}, statuses...)
		return c.retry.Validate()
	}
}

// WithRetryIf adds a retry condition. It extends the built-in conditions
// and cannot switch them off. Given more than once, the conditions are
// combined, and an attempt is retried when any of them returns true.
func WithRetryIf(cond func(*middleware.Attempt) bool) Option {
	return func(c *config) error {
		if cond == nil {
			return errors.New("sturdy: retry condition is nil; pass a function that reports whether an attempt should be retried")
		}
		if prev := c.retry.RetryIf; prev != nil {
			c.retry.RetryIf = func(a *middleware.Attempt) bool { return prev(a) || cond(a) }
		} else {
			c.retry.RetryIf = cond
		}
		return nil
	}
}

// WithMaxRetryAfter sets the longest wait that a server may request
// through Retry-After, middleware.DefaultMaxRetryAfter unless set. A
// longer request is clamped to d, or fails the call, as
// WithRetryAfterPolicy sets.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("sturdy: maximum Retry-After wait %v is not positive; pass a duration such as %v", d, middleware.DefaultMaxRetryAfter)
		}
		c.retry.MaxRetryAfter = d
		return nil
	}
}

// WithRetryAfterPolicy sets what the client does with a server's
// Retry-After header, middleware.ClampRetryAfter unless set.
func WithRetryAfterPolicy(p middleware.RetryAfterPolicy) Option {
	return func(c *config) error {
		c.retry.RetryAfterPolicy = p
		return c.retry.Validate()
	}
}

// WithRetryNonIdempotent retries POST, PATCH and other non-idempotent
// requests on every retry condition, as if each carried an
// Idempotency-Key header. Use it only for a server that deduplicates such
// requests; to opt in for one request, use
// middleware.WithRequestIdempotent.
func WithRetryNonIdempotent() Option {
	return func(c *config) error {
		c.retry.RetryNonIdempotent = true
		return nil
	}
}

// WithRetryBudget sets the client's retry budget. By default the budget
// lets retries add at most 20% to the calls made, plus 1 retry a second.
// middleware.BudgetConfig describes each setting.
func WithRetryBudget(b middleware.BudgetConfig) Option {
	return func(c *config) error {
		budget, err := middleware.NewBudget(b)
		if err != nil {
			return err
		}
		c.retry.Budget, c.retry.NoBudget = budget, false
		return nil
	}
}

// WithSharedRetryBudget makes the client draw its retries from b, which
// other clients may share.
func WithSharedRetryBudget(b *middleware.Budget) Option {
	return func(c *config) error {
		if b == nil {
			return errors.New("sturdy: retry budget is nil; pass a budget from middleware.NewBudget, or use WithoutRetryBudget")
		}
		c.retry.Budget, c.retry.NoBudget = b, false
		return nil
	}
}

// WithoutRetryBudget turns the retry budget off, so every retry that the
// other settings allow is sent, however many calls are failing.
func WithoutRetryBudget() Option {
	return func(c *config) error {
		c.retry.Budget, c.retry.NoBudget = nil, true
		return nil
	}
}

// WithTotalTimeout bounds each call as a whole, all attempts and waits
// included, in addition to the per-attempt timeout and the caller's
// context. A call that runs out of time fails with an error matching
// ErrTotalTimeout and context.DeadlineExceeded. Unless set, only the
// caller's context bounds a call.
func WithTotalTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("sturdy: total timeout %v is not positive; pass the longest time a call with all its retries may take, such as 2m", d)
		}
		c.totalTimeout = d
		return nil
	}
}

// WithCredentialHosts lets the named hosts receive credentials when a
// redirect leaves the origin of a request. By default every sensitive
// header is removed from a redirect to another host, port or scheme.
// Each entry is a host name, which allows every port, or host:port. A
// redirect from https to http never keeps credentials.
func WithCredentialHosts(hosts ...string) Option {
	return func(c *config) error {
		for _, h := range hosts {
			if err := validateCredentialHost(h); err != nil {
				return err
			}
		}
		c.credentialHosts = append(c.credentialHosts, hosts...)
		return nil
	}
}

// WithSensitiveHeaders adds headers whose values are credentials: they are
// redacted in logs and errors and removed from redirects that leave the
// origin, like the headers that auth middleware set.
func WithSensitiveHeaders(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " :\t\r\n") {
				return fmt.Errorf("sturdy: sensitive header name %q is not a header name; pass one such as X-Api-Key", n)
			}
		}
		c.redactor.Headers = append(c.redactor.Headers, names...)
		return nil
	}
}

// WithSecretNames adds words that mark a query parameter or JSON field as
// secret when its name contains one of them, in any case, to
// middleware.DefaultSecretNames. Their values are redacted in logs and
// errors.
func WithSecretNames(words ...string) Option {
	return func(c *config) error {
		for _, w := range words {
			if strings.TrimSpace(w) == "" {
				return fmt.Errorf("sturdy: secret name %q is empty; pass a word such as apikey", w)
			}
		}
		c.redactor.Names = append(c.redactor.Names, words...)
		return nil
	}
}

// WithLogBodies adds request and response bodies to debug log lines,
// capped at maxBytes (middleware.DefaultMaxLogBodyBytes when 0) and with
// the secret fields of JSON and form bodies redacted.
func WithLogBodies(maxBytes int) Option {
	return func(c *config) error {
		if maxBytes < 0 {
			return fmt.Errorf("sturdy: log body cap %d is negative; pass 0 for the default of %d bytes or a positive cap", maxBytes, middleware.DefaultMaxLogBodyBytes)
		}
		c.logging.Body, c.logging.MaxBodyBytes = true, maxBytes
		return nil
	}
}

// WithoutRetry leaves the retry middleware out: every request makes a
// single attempt.
func WithoutRetry() Option {
	return func(c *config) error {
		c.retryOff = true
		return nil
	}
}

// WithHeaderAuth authenticates every attempt with the headers api-auth-id
// and api-auth-signature.
func WithHeaderAuth(id, signature string) Option {
	return withAuth(func() (middleware.Middleware, error) { return middleware.HeaderAuth(id, signature) })
}

// WithHeaderAuthConfig authenticates every attempt with the headers
// api-auth-id and api-auth-signature from cfg, whose values print
// redacted wherever the configuration is logged.
func WithHeaderAuthConfig(cfg middleware.HeaderAuthConfig) Option {
	return withAuth(cfg.Middleware)
}

// WithBearerToken authenticates every attempt with "Authorization: Bearer
// token".
func WithBearerToken(token string) Option {
	return withAuth(func() (middleware.Middleware, error) { return middleware.BearerToken(token) })
}

// WithBasicAuth authenticates every attempt with HTTP basic
// authentication.
func WithBasicAuth(user, password string) Option {
	return withAuth(func() (middleware.Middleware, error) { return middleware.BasicAuth(user, password) })
}

// WithSigner authenticates every attempt with the headers that sign
// computes for it; see middleware.Signer.
func WithSigner(headers []string, sign middleware.SignFunc) Option {
	return withAuth(func() (middleware.Middleware, error) { return middleware.Signer(headers, sign) })
}

func withAuth(build func() (middleware.Middleware, error)) Option {
	return func(c *config) error {
		if c.auth != nil {
			return errors.New("sturdy: more than one auth option given; pass only one of WithHeaderAuth, WithHeaderAuthConfig, WithBearerToken, WithBasicAuth and WithSigner")
		}
		mw, err := build()
		if err != nil {
			return err
		}
		c.auth = &mw
		return nil
	}
}

// WithLogger sends the client's log lines to l. Without it, they go to
// the logger in each request's context (zerolog.Ctx), or nowhere.
func WithLogger(l zerolog.Logger) Option {
	return func(c *config) error {
		c.logging.Logger = &l
		return nil
	}
}

// WithLogHeaders adds each attempt's request headers, with credentials
// redacted, to its debug log line.
func WithLogHeaders() Option {
	return func(c *config) error {
		c.logging.Headers = true
		return nil
	}
}

// WithoutLogging leaves the logging middleware out.
func WithoutLogging() Option {
	return func(c *config) error {
		c.loggingOff = true
		return nil
	}
}

// WithTransport sets the transport that sends each attempt, in place of
// the pooled *http.Transport that New builds. Pass an httpmock
// MockTransport here in tests.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if middleware.IsNilValue(rt) {
			return errors.New("sturdy: transport is nil; pass an http.RoundTripper, or leave the option out for the default")
		}
		c.transport = rt
		return nil
	}
}

// WithConnectionPool sets the connection pool of the transport that New
// builds; zero fields keep DefaultPool's values. It cannot be combined
// with WithTransport, whose transport has its own pool.
func WithConnectionPool(p PoolConfig) Option {
	return func(c *config) error {
		if p.MaxIdleConns < 0 || p.MaxIdleConnsPerHost < 0 || p.IdleConnTimeout < 0 {
			return fmt.Errorf("sturdy: connection pool %+v has a negative idle limit; use zero for the default or a positive value", p)
		}
		c.pool = &p
		return nil
	}
}

// WithTLSConfig sets the TLS configuration of the transport that New
// builds, for example RootCAs to trust a private certificate authority,
// or Certificates for client certificates. Go's verification stays on:
// a configuration with InsecureSkipVerify, or a MinVersion below TLS 1.2,
// is rejected. It cannot be combined with WithTransport, whose transport
// has its own TLS configuration.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) error {
		if cfg == nil {
			return errors.New("sturdy: TLS configuration is nil; pass a *tls.Config, or leave the option out for Go's defaults")
		}
		if cfg.InsecureSkipVerify {
			return errors.New("sturdy: TLS configuration sets InsecureSkipVerify, which accepts any certificate; add the server's certificate authority to RootCAs instead")
		}
		if cfg.MinVersion != 0 && cfg.MinVersion < tls.VersionTLS12 {
			return fmt.Errorf("sturdy: TLS MinVersion %s is below TLS 1.2; leave it 0 for Go's default or use tls.VersionTLS12 or later", tls.VersionName(cfg.MinVersion))
		}
		c.tls = cfg.Clone()
		return nil
	}
}

// WithMiddleware adds mws, in order, to the default stack, between auth
// and logging: their BeforeAttempt hooks run after auth has set its
// headers and before logging records the attempt.
func WithMiddleware(mws ...middleware.Middleware) Option {
	return func(c *config) error {
		c.middlewares = append(c.middlewares, mws...)
		return nil
	}
}
