package sturdy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"

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
// Unless a request asks for the raw body or saves it to a file, the
// Transport reads each final response body in full within its attempt, so
// a body that breaks off mid-way is retried like any other network error.
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
		bufferBodies:   true,
	})
	hc.Timeout = 0
	rc.OnBeforeRequest(markStreamedRequest)
	rc.OnAfterResponse(failedResponseHook)
	return nil
}

// streamedKey marks, in a request's context, a request whose response
// body resty hands to the caller unread, so the Transport must not read
// it first.
type streamedKey struct{}

// markStreamedRequest marks the requests that ask for the raw body
// (SetDoNotParseResponse) or save it to a file (SetOutput). The Transport
// of an installed chain reads the body of every other response within its
// attempt, so that the chain can retry a body that fails mid-way.
func markStreamedRequest(c *resty.Client, r *resty.Request) error {
	if streamsResponse(c, r) {
		r.SetContext(context.WithValue(r.Context(), streamedKey{}, true))
	}
	return nil
}

// streamsResponse reports whether resty hands the response body to the
// caller unread. resty v2 keeps these settings in unexported fields, so
// they are read by reflection, through field indexes looked up once. When
// a field cannot be found, the request counts as streamed, and its body
// is left to the caller as net/http leaves it.
func streamsResponse(c *resty.Client, r *resty.Request) bool {
	f := restyFlags()
	if !f.ok {
		return true
	}
	client := reflect.ValueOf(c).Elem()
	request := reflect.ValueOf(r).Elem()
	return client.FieldByIndex(f.clientNotParse).Bool() ||
		request.FieldByIndex(f.requestNotParse).Bool() ||
		request.FieldByIndex(f.requestSave).Bool()
}

// restyFlagIndexes locates the fields that streamsResponse reads.
type restyFlagIndexes struct {
	clientNotParse, requestNotParse, requestSave []int
	ok                                           bool
}

var restyFlags = sync.OnceValue(func() restyFlagIndexes {
	find := func(t reflect.Type, name string) ([]int, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type.Kind() != reflect.Bool {
			return nil, false
		}
		return f.Index, true
	}
	var idx restyFlagIndexes
	var ok1, ok2, ok3 bool
	idx.clientNotParse, ok1 = find(reflect.TypeFor[resty.Client](), "notParseResponse")
	idx.requestNotParse, ok2 = find(reflect.TypeFor[resty.Request](), "notParseResponse")
	idx.requestSave, ok3 = find(reflect.TypeFor[resty.Request](), "isSaveResponse")
	idx.ok = ok1 && ok2 && ok3
	return idx
})

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
