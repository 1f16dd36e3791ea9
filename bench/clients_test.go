package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// Client names, as they appear in benchmark names and in the report.
const (
	nameNetHTTP         = "nethttp"
	nameResty           = "resty"
	nameRestyTimeout    = "resty-timeout"
	nameRestyAuth       = "resty-auth"
	nameRestySameWork   = "resty-samework"
	nameSturdy          = "sturdy"
	nameSturdyNoLog     = "sturdy-nolog"
	nameSturdyNoBudget  = "sturdy-nobudget"
	nameSturdyAuthOnly  = "sturdy-authonly"
	nameRetryableHTTP   = "retryablehttp"
	nameFailsafe        = "failsafe"
	headerAuthID        = "bench-id"
	headerAuthSignature = "bench-signature"
)

// clientNames lists the clients that every table compares, in table
// order.
var clientNames = []string{
	nameNetHTTP, nameResty, nameSturdy, nameSturdyNoLog, nameRetryableHTTP, nameFailsafe,
}

// healthyClientNames adds three variants of bare resty to the healthy
// path. Two do one part of the work of sturdy's default stack: one sets
// sturdy's 30 s per-request timeout, the other sends sturdy's two auth
// headers, which the server has to read too. Their difference to bare
// resty is the cost of that part alone. The third does all the work that
// the default stack does on a call that succeeds at once: the timeout,
// the headers and the completion line. It also adds sturdy with auth as
// its only middleware, which shows what the chain, the timeout and the
// body read cost without logging and retries.
var healthyClientNames = slices.Insert(
	slices.Insert(slices.Clone(clientNames), 4, nameSturdyAuthOnly),
	2, nameRestyTimeout, nameRestyAuth, nameRestySameWork)

// faultClientNames adds sturdy without its retry budget to the fault
// tables, so that the budget's share of sturdy's figures shows.
var faultClientNames = slices.Insert(slices.Clone(clientNames), 4, nameSturdyNoBudget)

// mode selects the settings that each client is built with.
type mode string

const (
	// modeHealthy gives every client its own retry defaults and the same
	// connection pool, sturdy.DefaultPool, so that the healthy path
	// compares the layers and not the pools.
	modeHealthy mode = "healthy"

	// modeDefaults builds every client as its documentation's first
	// example does, pool and retry policy included.
	modeDefaults mode = "defaults"

	// modeEqual gives every client that retries the same retry count and
	// waits (equalRetries, equalBaseWait, equalMaxWait) and the same pool
	// as sturdy.DefaultPool.
	modeEqual mode = "equal"
)

// Settings of modeEqual.
const (
	equalRetries  = 3
	equalBaseWait = 2 * time.Millisecond
	equalMaxWait  = 100 * time.Millisecond
)

// clientOptions adjusts a client beyond its mode.
type clientOptions struct {
	// waitScale divides every wait of the defaults, for runs whose length
	// the default waits would stretch to minutes. Zero or one keeps them.
	waitScale int

	// transport, when set, sends every request in place of the pooled
	// transport of the mode.
	transport http.RoundTripper
}

// innermost returns the transport that sends the requests of a client in
// mode m: opts.transport when set, else a fresh pooled transport, or one
// with net/http's defaults in modeDefaults.
func (opts clientOptions) innermost(m mode) http.RoundTripper {
	switch {
	case opts.transport != nil:
		return opts.transport
	case m == modeDefaults:
		return defaultTransport()
	default:
		return pooledTransport()
	}
}

// client sends GET requests through one HTTP client library.
type client struct {
	name string
	// get sends a GET to url, reads the whole body and reports whether
	// the call ended with a 200 and no error. A non-empty requestID is
	// sent in the faultserver's request ID header.
	get func(ctx context.Context, url, requestID string) (ok bool, err error)
	// closeIdle closes the client's idle connections.
	closeIdle func()
	// resty is the resty client of the resty clients, for settings that
	// vary between them.
	resty *resty.Client
}

// newClient builds the client called name for mode m.
func newClient(name string, m mode, opts clientOptions) (*client, error) {
	switch name {
	case nameNetHTTP:
		return newNetHTTP(m, opts), nil
	case nameResty:
		return newResty(m, opts), nil
	case nameRestyTimeout:
		c := newResty(m, opts)
		c.name = nameRestyTimeout
		c.resty.SetTimeout(sturdy.DefaultTimeout)
		return c, nil
	case nameRestyAuth:
		c := newResty(m, opts)
		c.name = nameRestyAuth
		c.resty.SetHeader(middleware.HeaderAuthID, headerAuthID).
			SetHeader(middleware.HeaderAuthSignature, headerAuthSignature)
		return c, nil
	case nameRestySameWork:
		return newRestySameWork(m, opts), nil
	case nameSturdy, nameSturdyNoLog, nameSturdyNoBudget, nameSturdyAuthOnly:
		return newSturdy(name, m, opts)
	case nameRetryableHTTP:
		return newRetryableHTTP(m, opts), nil
	case nameFailsafe:
		return newFailsafe(m, opts), nil
	}
	return nil, fmt.Errorf("unknown client %q; use one of %v", name, faultClientNames)
}

// logOutput receives the lines of the clients that log. It is io.Discard,
// except in tests that read the lines.
var logOutput io.Writer = io.Discard

// infoLogger returns the logger of the clients that log, sturdy's default
// stack and resty doing its work: Info level, written to logOutput.
func infoLogger() zerolog.Logger {
	return zerolog.New(logOutput).Level(zerolog.InfoLevel)
}

// newRestySameWork returns bare resty set up to do, by itself, the work
// that sturdy's default stack does on a call that succeeds at once. It
// sets sturdy's 30 s timeout and two auth headers, and an OnSuccess hook
// writes the default stack's completion line to infoLogger: the same
// fields, level and message.
func newRestySameWork(m mode, opts clientOptions) *client {
	log := infoLogger()
	c := newResty(m, opts)
	c.name = nameRestySameWork
	c.resty.SetTimeout(sturdy.DefaultTimeout).
		SetHeader(middleware.HeaderAuthID, headerAuthID).
		SetHeader(middleware.HeaderAuthSignature, headerAuthSignature).
		OnSuccess(func(_ *resty.Client, resp *resty.Response) {
			log.Info().
				Str(middleware.FieldMethod, resp.Request.Method).
				Str(middleware.FieldURL, resp.Request.URL).
				Int(middleware.FieldStatus, resp.StatusCode()).
				Dur(middleware.FieldDuration, resp.Time()).
				Int(middleware.FieldAttempts, resp.Request.Attempt).
				Msg(middleware.MessageCompleted)
		})
	return c
}

// pooledTransport returns a transport with the pool of sturdy.DefaultPool.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = sturdy.DefaultPool.MaxIdleConns
	t.MaxIdleConnsPerHost = sturdy.DefaultPool.MaxIdleConnsPerHost
	t.IdleConnTimeout = sturdy.DefaultPool.IdleConnTimeout
	return t
}

// defaultTransport returns a fresh transport with the settings of
// http.DefaultTransport, so that no pool is shared between benchmarks.
func defaultTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

func newNetHTTP(m mode, opts clientOptions) *client {
	hc := &http.Client{Transport: opts.innermost(m)}
	return &client{
		name:      nameNetHTTP,
		get:       func(ctx context.Context, url, id string) (bool, error) { return doStd(ctx, hc.Do, url, id) },
		closeIdle: hc.CloseIdleConnections,
	}
}

// doStd sends a GET through a net/http style Do function and reads the
// body in full, as a caller of net/http does.
func doStd(ctx context.Context, do func(*http.Request) (*http.Response, error), url, id string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	if id != "" {
		req.Header.Set(headerRequestID, id)
	}
	return readOK(do(req))
}

// readOK reads the body of resp in full, as a caller of net/http does,
// and reports whether the call ended with a 200 and no error.
func readOK(resp *http.Response, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return false, err
	}
	return resp.StatusCode == http.StatusOK, nil
}

func newResty(m mode, opts clientOptions) *client {
	var rc *resty.Client
	if m == modeDefaults && opts.transport == nil {
		rc = resty.New()
	} else {
		// The same construction as sturdy.New, so that the difference
		// between the two is sturdy's layer alone.
		rc = resty.NewWithClient(&http.Client{Transport: opts.innermost(m)})
	}
	if m == modeEqual {
		statuses := middleware.DefaultRetryStatuses()
		rc.SetRetryCount(equalRetries).
			SetRetryWaitTime(equalBaseWait).
			SetRetryMaxWaitTime(equalMaxWait).
			AddRetryCondition(func(r *resty.Response, err error) bool {
				return err != nil || (r != nil && slices.Contains(statuses, r.StatusCode()))
			})
	}
	return &client{
		name: nameResty,
		get: func(ctx context.Context, url, id string) (bool, error) {
			return doResty(rc.R().SetContext(ctx), url, id)
		},
		closeIdle: rc.GetClient().CloseIdleConnections,
		resty:     rc,
	}
}

func doResty(r *resty.Request, url, id string) (bool, error) {
	if id != "" {
		r.SetHeader(headerRequestID, id)
	}
	resp, err := r.Get(url)
	if err != nil {
		return false, err
	}
	return resp.StatusCode() == http.StatusOK, nil
}

func newSturdy(name string, m mode, opts clientOptions) (*client, error) {
	options := []sturdy.Option{sturdy.WithHeaderAuth(headerAuthID, headerAuthSignature)}
	switch name {
	case nameSturdyNoLog:
		options = append(options, sturdy.WithoutLogging())
	case nameSturdyAuthOnly:
		options = append(options, sturdy.WithoutLogging(), sturdy.WithoutRetry())
	default:
		options = append(options, sturdy.WithLogger(infoLogger()))
	}
	if name == nameSturdyNoBudget {
		options = append(options, sturdy.WithoutRetryBudget())
	}
	switch {
	case m == modeEqual:
		options = append(options,
			sturdy.WithMaxRetries(equalRetries),
			sturdy.WithBackoff(equalBaseWait, equalMaxWait))
	case opts.waitScale > 1:
		options = append(options, sturdy.WithBackoff(
			middleware.DefaultBaseWait/time.Duration(opts.waitScale),
			middleware.DefaultMaxWait/time.Duration(opts.waitScale)))
	}
	if opts.transport != nil {
		options = append(options, sturdy.WithTransport(opts.transport))
	}
	c, err := sturdy.New(options...)
	if err != nil {
		return nil, err
	}
	return &client{
		name: name,
		get: func(ctx context.Context, url, id string) (bool, error) {
			return doResty(c.R().SetContext(ctx), url, id)
		},
		closeIdle: c.CloseIdleConnections,
	}, nil
}

func newRetryableHTTP(m mode, opts clientOptions) *client {
	rc := retryablehttp.NewClient()
	// Its default logger writes a line per request to stderr; every
	// other client here is quiet.
	rc.Logger = nil
	switch {
	case m == modeEqual:
		rc.RetryMax = equalRetries
		rc.RetryWaitMin, rc.RetryWaitMax = equalBaseWait, equalMaxWait
	case opts.waitScale > 1:
		rc.RetryWaitMin /= time.Duration(opts.waitScale)
		rc.RetryWaitMax /= time.Duration(opts.waitScale)
	}
	if m != modeDefaults || opts.transport != nil {
		rc.HTTPClient = &http.Client{Transport: opts.innermost(m)}
	}
	return &client{
		name: nameRetryableHTTP,
		get: func(ctx context.Context, url, id string) (bool, error) {
			req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return false, err
			}
			if id != "" {
				req.Header.Set(headerRequestID, id)
			}
			return readOK(rc.Do(req))
		},
		closeIdle: rc.HTTPClient.CloseIdleConnections,
	}
}

func newFailsafe(m mode, opts clientOptions) *client {
	builder := failsafehttp.NewRetryPolicyBuilder()
	if m == modeEqual {
		builder = builder.WithMaxRetries(equalRetries).WithBackoff(equalBaseWait, equalMaxWait)
	}
	// Its default waits are zero, so opts.waitScale changes nothing.
	hc := &http.Client{Transport: failsafehttp.NewRoundTripper(opts.innermost(m), builder.Build())}
	return &client{
		name:      nameFailsafe,
		get:       func(ctx context.Context, url, id string) (bool, error) { return doStd(ctx, hc.Do, url, id) },
		closeIdle: hc.CloseIdleConnections,
	}
}
