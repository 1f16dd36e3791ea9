package sturdy

import (
	"errors"
	"net/http"

	"github.com/go-resty/resty/v2"

	"github.com/sturdyhttp/sturdy/middleware"
)

// Client is a resty client with a middleware chain installed. It is safe
// for concurrent use; make one per API and reuse it, because it holds a
// pool of connections.
type Client struct {
	resty *resty.Client
	chain *Chain
}

// New returns a client with the default stack, in this order:
//
//   - auth, when an auth option is given;
//   - the middleware from WithMiddleware;
//   - logging, unless WithoutLogging is given;
//   - retry, unless WithoutRetry is given.
//
// Each attempt times out after DefaultTimeout, and connections are pooled
// as DefaultPool sets. The client keeps no cookies and writes no log line
// unless a logger is given through WithLogger or the request's context.
//
// New returns an error naming the invalid value and the fix when an option
// is invalid.
func New(opts ...Option) (*Client, error) {
	cfg := config{timeout: DefaultTimeout}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}

	mws, err := cfg.stack()
	if err != nil {
		return nil, err
	}
	chain, err := NewChain(mws...)
	if err != nil {
		return nil, err
	}

	if cfg.transport != nil && cfg.pool != nil {
		return nil, errors.New("sturdy: WithConnectionPool and WithTransport both given; set the pool on your own transport, or leave WithTransport out")
	}
	if cfg.transport != nil && cfg.tls != nil {
		return nil, errors.New("sturdy: WithTLSConfig and WithTransport both given; set TLSClientConfig on your own transport, or leave WithTransport out")
	}
	base := cfg.transport
	if base == nil {
		pool := DefaultPool
		if cfg.pool != nil {
			pool = *cfg.pool
		}
		t := newBaseTransport(pool.withDefaults())
		if cfg.tls != nil {
			t.TLSClientConfig = cfg.tls
		}
		base = t
	}

	rc := resty.NewWithClient(&http.Client{Transport: base})
	rc.SetTimeout(cfg.timeout)
	rlog := restyLogger{log: cfg.logging.Logger, chain: chain, redactor: cfg.redactor}
	rc.SetLogger(rlog)
	rc.OnRequestLog(rlog.redactRequestLog)
	rc.OnResponseLog(rlog.redactResponseLog)
	if cfg.baseURL != "" {
		rc.SetBaseURL(cfg.baseURL)
	}
	if err := chain.Install(rc); err != nil {
		return nil, err
	}
	t := rc.GetClient().Transport.(*Transport)
	t.CallTimeout = cfg.totalTimeout
	t.CredentialHosts = cfg.credentialHosts
	t.Redactor = cfg.redactor
	return &Client{resty: rc, chain: chain}, nil
}

// stack builds the default middleware in order.
func (cfg *config) stack() ([]middleware.Middleware, error) {
	var mws []middleware.Middleware
	if cfg.auth != nil {
		mws = append(mws, *cfg.auth)
	}
	mws = append(mws, cfg.middlewares...)
	if !cfg.loggingOff {
		cfg.logging.Redactor = cfg.redactor
		mw, err := middleware.Logging(cfg.logging)
		if err != nil {
			return nil, err
		}
		mws = append(mws, mw)
	}
	if !cfg.retryOff {
		mw, err := middleware.Retry(cfg.retry)
		if err != nil {
			return nil, err
		}
		mws = append(mws, mw)
	}
	return mws, nil
}

// R returns a new request. Requests go through the chain: every attempt
// runs the enabled middleware, and the request's error is an *Error when
// the chain gives up. As with resty, the response body is read and closed
// unless the request asks for the raw body.
func (c *Client) R() *resty.Request { return c.resty.R() }

// Resty returns the underlying resty client, for settings that sturdy has
// no option for. Changing its transport, its timeout or its retry count
// bypasses or duplicates the chain.
//
// NOTE: OnAfterResponse hooks added here do not run for a response whose
// retries ran out, because the chain's own hook returns that failure
// first and resty then stops. Use OnError, whose error is a
// *resty.ResponseError that holds the response, to see such failures.
func (c *Client) Resty() *resty.Client { return c.resty }

// Chain returns the client's middleware chain. Changes to it apply from
// the next request on.
func (c *Client) Chain() *Chain { return c.chain }

// CloseIdleConnections closes the pooled connections that are idle.
func (c *Client) CloseIdleConnections() { c.resty.GetClient().CloseIdleConnections() }
