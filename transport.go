package sturdy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sturdyhttp/sturdy/middleware"
)

// DefaultMaxReplayBytes caps the request body that a Transport buffers in
// memory so that a retry can send it again.
const DefaultMaxReplayBytes = 10 << 20

// errNoResponse replaces the nil error of a transport that returned
// neither a response nor an error, which breaks the http.RoundTripper
// contract.
var errNoResponse = errors.New("sturdy: the next transport returned neither a response nor an error")

// drainLimit caps the bytes read from a discarded response so that its
// connection can go back to the pool; a longer body closes the connection.
const drainLimit = 64 << 10

// Transport is an http.RoundTripper that runs a Chain around every
// attempt of a request and retries as the chain decides.
//
// For each call it makes attempts until one succeeds, the chain stops
// retrying, or the request's context ends. Every attempt gets its own copy
// of the request, so the caller's request is never modified, and its own
// timeout. The caller's context bounds the whole call, waits included:
// cancelling it ends a wait at once, and a wait that would end after its
// deadline is not started.
//
// When a retryable status runs out of retries, RoundTrip returns that last
// response with a nil error, as an http.RoundTripper must, and
// ResponseError reports the failure. A client made by New turns it into
// the request's error. Every other failure is returned as an *Error.
//
// A Transport is safe for concurrent use. Its fields must not change once
// it is in use, and it must not be copied after its first request.
type Transport struct {
	// Chain is the middleware run around each attempt. Nil means an empty
	// chain: one attempt, no hooks.
	Chain *Chain

	// Next sends each attempt. Nil means http.DefaultTransport.
	Next http.RoundTripper

	// AttemptTimeout bounds each attempt, from sending the request to
	// closing the response body. A timed-out attempt is retryable. Zero
	// means no per-attempt timeout.
	AttemptTimeout time.Duration

	// CallTimeout bounds each call as a whole, all attempts and waits
	// included, on top of the caller's context. When it passes, the call
	// fails with an error matching ErrTotalTimeout and
	// context.DeadlineExceeded. Zero means no such bound.
	CallTimeout time.Duration

	// Redactor adds sensitive headers and secret names to the defaults
	// for the call's error and for redirects. The headers that the chain's
	// middleware declare are always added.
	Redactor middleware.Redactor

	// CredentialHosts names hosts that may still receive credentials
	// when a redirect leaves the origin (scheme, host and port) of the
	// first request. On any other such redirect, every sensitive header
	// and the Referer are removed, and always on a redirect from https to
	// http. Each entry is a host name, which allows every port, or
	// host:port.
	CredentialHosts []string

	// bufferBodies is set by Install: the caller is resty, which reads
	// each response body in full, up to its limit, unless the request is
	// marked as streamed.
	bufferBodies bool

	// timeouts keep the deadlines of the attempts, made on first use.
	timeoutsOnce sync.Once
	timeouts     timeoutQueues

	// MaxReplayBytes caps the request body buffered in memory for retries
	// when the request has no GetBody. Such a call with a larger body
	// fails before its first attempt, instead of sending an empty body on
	// a retry. Zero means DefaultMaxReplayBytes. Requests whose GetBody is
	// set, as net/http sets it for bytes, strings and their readers, are
	// never buffered.
	MaxReplayBytes int64
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	chain := t.Chain
	if chain == nil {
		chain = &Chain{}
	}
	c := &call{
		t:     t,
		state: chain.load(),
		req:   req,
		ctx:   req.Context(),
		start: time.Now(),
	}
	c.stripCredentials = t.leavesOrigin(req)
	if t.bufferBodies {
		mode, _ := req.Context().Value(bodyModeKey{}).(bodyMode)
		c.buffer, c.bufferLimit = !mode.streamed, mode.limit
	}
	if t.CallTimeout <= 0 {
		return c.run()
	}

	var cancel context.CancelFunc
	c.timeoutCause = fmt.Errorf("%w after %v", ErrTotalTimeout, t.CallTimeout)
	c.callDeadline = c.start.Add(t.CallTimeout)
	c.ctx, cancel = context.WithDeadlineCause(c.ctx, c.callDeadline, c.timeoutCause)
	resp, err := c.run()
	if resp == nil {
		cancel()
		return nil, err
	}
	// The caller reads the body within the call's time; closing it ends
	// the call.
	resp.Body.(*attemptBody).endCall = cancel
	return resp, err
}

// CloseIdleConnections closes the idle connections of Next, when Next has
// a CloseIdleConnections method, as *http.Transport has. http.Client
// calls it from its own CloseIdleConnections.
func (t *Transport) CloseIdleConnections() {
	if closer, ok := t.next().(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}

// attemptQueue returns a queue for the timeout of an attempt.
func (t *Transport) attemptQueue() *timeoutQueue {
	t.timeoutsOnce.Do(func() { t.timeouts = newTimeoutQueues() })
	return t.timeouts.pick()
}

func (t *Transport) next() http.RoundTripper {
	if t.Next == nil {
		return http.DefaultTransport
	}
	return t.Next
}

// call is the state of one RoundTrip.
type call struct {
	// first, firstBody, firstReq and firstCtx are the first attempt, its
	// response body, request and context, allocated with the call because
	// nearly every call makes one.
	first     middleware.Attempt
	firstBody attemptBody
	firstReq  http.Request
	firstCtx  attemptContext

	t       *Transport
	state   *chainState
	req     *http.Request
	ctx     context.Context
	start   time.Time
	getBody func() (io.ReadCloser, error)
	bodyLen int64 // length of a buffered body, or -1
	// bufferLimit, when above 0, is resty's response body limit: the
	// attempt reads no more than that, plus one byte, and hands a longer
	// body on with the rest unread.
	bufferLimit int64
	records     []AttemptRecord

	// buffer is set when the caller reads every response body in full,
	// as resty does unless asked for the raw body. Each attempt then
	// reads its final response's body itself, so a failure mid-body can
	// be retried.
	buffer bool

	// stripCredentials is set for a redirect that leaves the origin of
	// the first request: every attempt loses its sensitive headers.
	stripCredentials bool

	// timeoutCause and callDeadline describe the total timeout, when
	// Transport.CallTimeout sets one.
	timeoutCause error
	callDeadline time.Time
}

func (c *call) run() (*http.Response, error) {
	// A call whose context is already done makes no attempt.
	if c.ctx.Err() != nil {
		closeRequestBody(c.req)
		return nil, c.fail(nil, c.reason(), nil)
	}

	// Make the body replayable before the first attempt consumes it.
	if err := c.prepareBody(); err != nil {
		return nil, c.fail(nil, nil, err)
	}

	for n := 1; ; n++ {
		a, err := c.send(n)
		if err != nil {
			// A middleware or body failure is final: a retry would fail
			// the same way.
			return nil, c.fail(a, nil, err)
		}
		retry := c.retryable(a)
		if c.buffer && a.Response != nil && !retry {
			// The response is final unless its body fails mid-way, which
			// turns the attempt into a network error.
			c.bufferBody(a)
			if a.Response == nil {
				retry = c.retryable(a)
			}
		}
		if !retry {
			return c.finish(a)
		}
		if c.ctx.Err() != nil {
			// The call ended while the attempt ran: a retryable status
			// is a failure, not a final response.
			return c.giveUp(a, c.reason())
		}

		wait, stop := c.state.schedule(a)
		if stop == nil {
			stop = middleware.CheckDeadline(c.ctx, wait)
		}
		if stop != nil {
			return c.giveUp(a, c.tagTotalTimeout(stop))
		}

		c.record(a, wait)
		discard(a.Response)
		for _, hook := range c.state.onRetry {
			hook(middleware.RetryEvent{Attempt: a, Wait: wait})
		}
		if err := sleep(c.ctx, wait); err != nil {
			return nil, c.fail(nil, c.reason(), nil)
		}
	}
}

// send makes attempt n. It returns a non-nil error only for failures of
// the chain itself, not for the attempt's own outcome.
func (c *call) send(n int) (*middleware.Attempt, error) {
	a := &c.first
	if n > 1 {
		a = new(middleware.Attempt)
	}
	*a = middleware.Attempt{
		Number:           n,
		CallStart:        c.start,
		CallContext:      c.ctx,
		SensitiveHeaders: c.state.sensitive,
	}
	ctx, actx := c.attemptContext(n)
	// A shallow copy with its own header map: hooks may change headers,
	// never the caller's, and must not change the URL in place.
	if n == 1 {
		c.firstReq = *c.req.WithContext(ctx)
		a.Request = &c.firstReq
	} else {
		a.Request = c.req.WithContext(ctx)
	}
	a.Request.Header = c.req.Header.Clone()
	if a.Request.Header == nil {
		a.Request.Header = make(http.Header)
	}
	if err := c.setBody(a.Request, n); err != nil {
		actx.release()
		return nil, err
	}

	for _, h := range c.state.before {
		if err := h.fn(a); err != nil {
			actx.release()
			closeRequestBody(a.Request)
			// a goes back so that the error is scrubbed of the headers
			// that earlier hooks set on its request.
			return a, fmt.Errorf("middleware %q before attempt %d: %w", h.name, n, err)
		}
	}
	if c.stripCredentials {
		c.redactor().Strip(a.Request.Header)
		// net/http sets Referer to the previous URL, whose query may
		// hold a secret.
		a.Request.Header.Del("Referer")
	}

	a.Start = time.Now()
	resp, err := c.t.next().RoundTrip(a.Request)
	a.Duration = time.Since(a.Start)
	if resp == nil && err == nil {
		err = errNoResponse
	}
	if resp != nil && resp.Request == nil {
		// http.Client finds the previous hop of a redirect through
		// Response.Request, which a custom transport may leave unset.
		resp.Request = c.req
	}
	var body *attemptBody
	if resp != nil {
		if resp.Body == nil {
			// net/http's client treats a nil body from a custom transport
			// as empty.
			resp.Body = http.NoBody
		}
		body = &c.firstBody
		if n > 1 {
			body = new(attemptBody)
		}
		*body = attemptBody{ReadCloser: resp.Body, attempt: actx}
		resp.Body = body
	} else {
		actx.release()
	}
	a.Response, a.Err = resp, err

	for _, h := range c.state.after {
		if err := h.fn(a); err != nil {
			c.record(a, 0)
			discard(a.Response)
			a.Response = nil
			return a, fmt.Errorf("middleware %q after attempt %d: %w", h.name, n, err)
		}
	}
	if a.Response != nil && a.Response.Body == nil {
		// A hook removed the body.
		a.Response.Body = http.NoBody
	}
	if a.Response != nil && a.Response.Body != body {
		// A hook wrapped the body, as body logging does. Closing the
		// wrapper closes the attempt's body, which ends its timeout.
		a.Response.Body = &attemptBody{ReadCloser: a.Response.Body}
	}
	return a, nil
}

// attemptContext returns the context of attempt n: the call's own when
// there is no attempt timeout, in which case the attemptContext is nil.
func (c *call) attemptContext(n int) (context.Context, *attemptContext) {
	if c.t.AttemptTimeout <= 0 {
		return c.ctx, nil
	}
	a := &c.firstCtx
	if n > 1 {
		a = new(attemptContext)
	}
	a.start(c.ctx, c.t.AttemptTimeout, c.t.attemptQueue())
	return a, a
}

// retryable reports whether a failed in a way that the chain retries.
func (c *call) retryable(a *middleware.Attempt) bool {
	if c.state.schedule == nil {
		return false
	}
	for _, cond := range c.state.retryIf {
		if cond(a) {
			return true
		}
	}
	return false
}

// finish ends the call with an attempt that no condition retries.
func (c *call) finish(a *middleware.Attempt) (*http.Response, error) {
	if a.Err != nil {
		c.record(a, 0)
		return nil, c.fail(a, c.reason(), a.Err)
	}
	r := middleware.Result{
		Request:          c.req,
		Response:         a.Response,
		Attempts:         a.Number,
		Duration:         time.Since(c.start),
		SensitiveHeaders: c.state.sensitive,
	}
	for _, hook := range c.state.onSuccess {
		hook(r)
	}
	return a.Response, nil
}

// giveUp ends the call after a retryable failure that will not be
// retried, for reason.
func (c *call) giveUp(a *middleware.Attempt, reason error) (*http.Response, error) {
	c.record(a, 0)
	if a.Response == nil {
		return nil, c.fail(a, reason, a.Err)
	}

	// Keep the start of the body for the error, and hand the whole body
	// on to the caller. A body that fails mid-way cannot be retried any
	// more; the error already explains why the call failed.
	resp := a.Response
	if c.buffer {
		c.bufferBody(a)
		if a.Response == nil {
			return nil, c.fail(a, reason, nil)
		}
	}
	body := resp.Body.(*attemptBody)
	head, _ := io.ReadAll(io.LimitReader(body.ReadCloser, MaxErrorBodyBytes))
	body.ReadCloser = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), body.ReadCloser), body.ReadCloser}

	e := c.newError(a, reason, nil)
	e.Body = head
	body.failure = e
	c.runOnError(resp, e)
	return resp, nil
}

// fail builds the call's error, runs the OnError hooks and returns the
// error. last is the last attempt sent, or nil.
func (c *call) fail(last *middleware.Attempt, reason, cause error) error {
	e := c.newError(last, reason, cause)
	c.runOnError(nil, e)
	return e
}

func (c *call) newError(last *middleware.Attempt, reason, cause error) *Error {
	r := c.redactor()
	secrets := r.Secrets(c.req)
	if last != nil {
		secrets = append(secrets, r.Secrets(last.Request)...)
		if cause == nil {
			cause = last.Err
		}
	}
	e := &Error{
		Method:   c.req.Method,
		URL:      r.URL(c.req.URL),
		Attempts: c.records,
		Reason:   redactError(reason, r, secrets),
		Err:      redactError(cause, r, secrets),
		secrets:  secrets,
	}
	for i := range e.Attempts {
		e.Attempts[i].Err = redactError(e.Attempts[i].Err, r, secrets)
	}
	if last != nil && last.Response != nil {
		e.Response = redactResponse(last.Response, r)
	}
	return e
}

// redactor returns the Transport's redactor with the chain's sensitive
// headers added.
func (c *call) redactor() middleware.Redactor {
	r := c.t.Redactor
	r.Headers = append(slices.Clip(r.Headers), c.state.sensitive...)
	return r
}

func (c *call) runOnError(resp *http.Response, err *Error) {
	if len(c.state.onError) == 0 {
		return
	}
	r := middleware.Result{
		Request:          c.req,
		Response:         resp,
		Err:              err,
		Attempts:         len(err.Attempts),
		Duration:         time.Since(c.start),
		SensitiveHeaders: c.state.sensitive,
	}
	for _, hook := range c.state.onError {
		hook(r)
	}
}

func (c *call) record(a *middleware.Attempt, wait time.Duration) {
	r := AttemptRecord{Number: a.Number, Err: a.Err, Duration: a.Duration, Wait: wait}
	if a.Response != nil {
		r.Status = a.Response.StatusCode
	}
	c.records = append(c.records, r)
}

// tagTotalTimeout adds the total timeout to a deadline error when the
// call's total timeout, not the caller's context, set the deadline.
func (c *call) tagTotalTimeout(err error) error {
	if c.timeoutCause == nil || !errors.Is(err, ErrDeadlineTooClose) {
		return err
	}
	parent, ok := c.req.Context().Deadline()
	if ok && !parent.After(c.callDeadline) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, c.timeoutCause)
}

// reason returns why the call's context ended: its cause, together with
// context.Canceled or context.DeadlineExceeded when the cause is a custom
// error that matches neither.
func (c *call) reason() error {
	cause := context.Cause(c.ctx)
	if err := c.ctx.Err(); err != nil && !errors.Is(cause, err) {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return cause
}

// prepareBody sets how each attempt gets the request body. A body
// without GetBody is read into memory, up to MaxReplayBytes, when the
// chain may retry.
func (c *call) prepareBody() error {
	c.bodyLen = -1
	req := c.req
	retries, set := middleware.RequestMaxRetries(c.ctx)
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil ||
		c.state.schedule == nil || (set && retries == 0) {
		c.getBody = req.GetBody
		return nil
	}

	limit := c.t.MaxReplayBytes
	if limit <= 0 {
		limit = DefaultMaxReplayBytes
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	req.Body.Close()
	if err != nil {
		return fmt.Errorf("reading request body to make it replayable: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("request body is larger than the replay limit of %d bytes and cannot be sent again on a retry; raise Transport.MaxReplayBytes, pass the body as bytes or a string, or send the request with middleware.WithRequestNoRetry", limit)
	}
	c.bodyLen = int64(len(data))
	c.getBody = func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return nil
}

// setBody gives attempt n of the request its body: the caller's body for
// a first attempt that needs no copy, a fresh copy otherwise.
func (c *call) setBody(req *http.Request, n int) error {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if n == 1 && c.bodyLen < 0 {
		return nil // Clone shares the caller's body, which is still unread.
	}
	if c.getBody == nil {
		return errors.New("request body cannot be sent again: the request has no GetBody")
	}
	body, err := c.getBody()
	if err != nil {
		return fmt.Errorf("rewinding request body for attempt %d: %w", n, err)
	}
	req.Body = body
	if c.bodyLen >= 0 {
		req.ContentLength = c.bodyLen
	}
	return nil
}

// bufferBody reads the body of a's response into memory within the
// attempt, so that a body which fails mid-way fails the attempt, where the
// chain can retry it, instead of failing later in the caller's read. On a
// read error it closes the response and records the error as the
// attempt's own.
func (c *call) bufferBody(a *middleware.Attempt) {
	body := a.Response.Body.(*attemptBody)
	complete, err := body.buffered.readFrom(body.ReadCloser, c.bufferLimit)
	if err == nil && !complete {
		// The body is longer than resty's limit. resty reads the buffered
		// start and then the rest, and fails the call at its limit.
		body.ReadCloser = newPrefixedBody(&body.buffered, body.ReadCloser)
		return
	}
	body.ReadCloser.Close()
	if err != nil {
		body.release()
		a.Response = nil
		a.Err = fmt.Errorf("reading response body: %w", err)
		return
	}
	body.ReadCloser = &body.buffered
}

// attemptBody is the body of a response that the chain hands on. Closing
// it releases the attempt's timeout, and failure marks a response whose
// retries ran out.
type attemptBody struct {
	io.ReadCloser
	failure *Error

	// attempt is the attempt's context, nil without an attempt timeout.
	attempt *attemptContext
	// endCall, when set, ends the call's total timeout.
	endCall context.CancelFunc

	// buffered holds the body when the attempt read it in full.
	buffered bufferedBody
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// release ends the attempt's timeout and the call's.
func (b *attemptBody) release() {
	b.attempt.release()
	if b.endCall != nil {
		b.endCall()
	}
}

// discard drains and closes a response that will not be handed on, so its
// connection can be reused.
func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
