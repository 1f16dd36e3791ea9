package sturdy

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-resty/resty/v2"
)

// Install runs the chain on every request of rc, a resty client the caller
// already owns. It wraps the transport of rc's http.Client in a Transport
// and adds a response hook that turns a response whose retries ran out
// into the request's error.
//
// A per-request timeout set on rc (resty's SetTimeout, which sets
// http.Client.Timeout) becomes the Transport's AttemptTimeout, and
// http.Client.Timeout is cleared: resty applies that timeout to each
// attempt, and so does the chain, whereas http.Client.Timeout would bound
// all attempts and waits together.
//
// Install rejects a client whose resty retries are on (RetryCount above
// zero), because the two retry loops would multiply attempts, and a client
// on which a chain is already installed.
//
// NOTE: testing tools that swap the http.Client's transport after Install,
// such as httpmock.ActivateNonDefault, remove the chain with it. Activate
// httpmock first and install afterwards, or pass a mock transport to
// WithTransport.
//
// NOTE: resty runs response hooks only for parsed responses. With
// SetDoNotParseResponse, a retryable status that ran out of retries is
// returned without an error; call ResponseError on the raw response.
func (c *Chain) Install(rc *resty.Client) error {
	if rc == nil {
		return errors.New("sturdy: resty client is nil; pass the client to install the chain on")
	}
	if rc.RetryCount > 0 {
		return fmt.Errorf("sturdy: resty client has RetryCount %d; call SetRetryCount(0) first, because the chain's retry middleware replaces resty's retries", rc.RetryCount)
	}
	hc := rc.GetClient()
	if _, ok := hc.Transport.(*Transport); ok {
		return errors.New("sturdy: a chain is already installed on this resty client; change that chain instead of installing another")
	}

	rc.SetTransport(&Transport{
		Chain:          c,
		Next:           hc.Transport,
		AttemptTimeout: hc.Timeout,
	})
	hc.Timeout = 0
	rc.OnAfterResponse(failedResponseHook)
	return nil
}

func failedResponseHook(_ *resty.Client, resp *resty.Response) error {
	return ResponseError(resp.RawResponse)
}

// newBaseTransport returns the transport that sends attempts for a client
// made by New when WithTransport is not given.
func newBaseTransport(pool PoolConfig) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = pool.MaxIdleConns
	t.MaxIdleConnsPerHost = pool.MaxIdleConnsPerHost
	t.MaxConnsPerHost = pool.MaxConnsPerHost
	t.IdleConnTimeout = pool.IdleConnTimeout
	return t
}
