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
// With resty's response body limit set, it reads no more than the limit:
// a longer body is handed on with the rest unread, and resty fails the
// call with resty.ErrResponseBodyTooLarge.
//
// NOTE: resty stops running OnAfterResponse hooks at the first one that
// returns an error, and the hook that Install adds returns the error of a
// response whose retries ran out. Hooks added after Install therefore do
// not run for such a response. Add them before Install, or observe
// failures with resty's OnError hooks, whose error is a
// *resty.ResponseError that holds the response.
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
	rc.OnBeforeRequest(markRequest)
	rc.OnAfterResponse(failedResponseHook)
	return nil
}

// bodyModeKey is the context key of the bodyMode of a request whose
// response body the Transport must not read in full, or not past a limit.
// Other requests carry no value.
type bodyModeKey struct{}

// bodyMode describes how resty will read a request's response body, for
// the Transport of an installed chain.
type bodyMode struct {
	// streamed is set when resty hands the body to the caller unread, so
	// the Transport must not read it first.
	streamed bool
	// limit is resty's response body limit in bytes, or 0 for none. The
	// Transport reads no more than that, plus one byte, within the
	// attempt, so that resty still fails the call at its limit.
	limit int64
}

// markRequest records, in the request's context, how resty will read the
// response body, for the requests that ask for the raw body
// (SetDoNotParseResponse), save it to a file (SetOutput) or set a body
// limit (SetResponseBodyLimit). The Transport of an installed chain reads
// the body of every other response in full within its attempt, so that
// the chain can retry a body that fails mid-way.
//
// NOTE: OnBeforeRequest hooks added after Install run after this one. A
// body limit, SetOutput or SetDoNotParseResponse that such a hook sets is
// not recorded, and a hook that replaces the request's context with one
// not derived from r.Context() drops the record. The Transport then reads
// that request's whole body within the attempt.
func markRequest(c *resty.Client, r *resty.Request) error {
	if mode := requestBodyMode(c, r); mode != (bodyMode{}) {
		r.SetContext(context.WithValue(r.Context(), bodyModeKey{}, mode))
	}
	return nil
}

// requestBodyMode returns how resty will read the response body of r.
// resty v2 keeps these settings in unexported fields, so they are read by
// reflection, through field indexes looked up once. When a field cannot
// be found, the request counts as streamed, and its body is left to the
// caller as net/http leaves it.
func requestBodyMode(c *resty.Client, r *resty.Request) bodyMode {
	f := restyFields()
	if !f.ok {
		return bodyMode{streamed: true}
	}
	client := reflect.ValueOf(c).Elem()
	request := reflect.ValueOf(r).Elem()
	return bodyMode{
		streamed: client.FieldByIndex(f.clientNotParse).Bool() ||
			request.FieldByIndex(f.requestNotParse).Bool() ||
			request.FieldByIndex(f.requestSave).Bool(),
		limit: max(request.FieldByIndex(f.requestBodyLimit).Int(), 0),
	}
}

// restyFieldIndexes locates the fields that requestBodyMode reads.
type restyFieldIndexes struct {
	clientNotParse, requestNotParse, requestSave, requestBodyLimit []int
	ok                                                             bool
}

var restyFields = sync.OnceValue(func() restyFieldIndexes {
	find := func(t reflect.Type, name string, kind reflect.Kind) ([]int, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type.Kind() != kind {
			return nil, false
		}
		return f.Index, true
	}
	client, request := reflect.TypeFor[resty.Client](), reflect.TypeFor[resty.Request]()
	var idx restyFieldIndexes
	var ok1, ok2, ok3, ok4 bool
	idx.clientNotParse, ok1 = find(client, "notParseResponse", reflect.Bool)
	idx.requestNotParse, ok2 = find(request, "notParseResponse", reflect.Bool)
	idx.requestSave, ok3 = find(request, "isSaveResponse", reflect.Bool)
	idx.requestBodyLimit, ok4 = find(request, "responseBodyLimit", reflect.Int)
	idx.ok = ok1 && ok2 && ok3 && ok4
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
