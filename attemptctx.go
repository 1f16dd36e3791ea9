package sturdy

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// attemptContext is the context of an attempt with a timeout. It behaves
// as the context of context.WithTimeout does, but costs less per request.
// A timeoutQueue shared by the Transport's attempts keeps its timeout, so
// it needs no runtime timer of its own. A parent that can never be
// cancelled, such as context.Background, needs no link to it.
//
// NOTE: a parent that can be cancelled is linked through
// context.AfterFunc, so its end reaches the attempt's context from
// another goroutine, a moment after the parent's cancel returns, where
// context.WithTimeout would end it before. The call's own decisions read
// the parent, so they do not depend on that moment.
//
// Its zero value is not usable until start sets it up. It ends once,
// through the queue, the parent or cancel. Err then returns
// context.DeadlineExceeded when the timeout passed, the parent's error
// when the parent ended, and context.Canceled after cancel.
type attemptContext struct {
	parent   context.Context
	deadline time.Time // the earlier of the parent's deadline and the attempt's own

	done atomic.Value // chan struct{}, made on the first call to Done

	mu         sync.Mutex
	err        error
	funcs      []func() // from AfterFunc; an entry is nil once stopped
	firstFunc  [1]func()
	stopParent func() bool

	// The fields below belong to the queue and are guarded by its mutex.
	queue      *timeoutQueue
	own        time.Time // the attempt's own deadline
	prev, next *attemptContext
	queued     bool
}

// closedChan is the Done channel of an attemptContext cancelled before
// anything asked for its channel.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// start sets a up as a child of parent that times out after timeout,
// using q for the timeout. It must be called once, before a is used.
func (a *attemptContext) start(parent context.Context, timeout time.Duration, q *timeoutQueue) {
	a.parent = parent
	own := time.Now().Add(timeout)
	a.deadline = own
	parentDeadline, ok := parent.Deadline()
	if ok && !parentDeadline.After(own) {
		// The parent ends first, so only the parent can end a.
		a.deadline = parentDeadline
	} else {
		q.add(a, own)
	}

	if parent.Done() == nil {
		return
	}
	if err := parent.Err(); err != nil {
		a.cancel(err)
		return
	}
	stop := context.AfterFunc(parent, func() { a.cancel(parent.Err()) })
	a.mu.Lock()
	if a.err == nil {
		a.stopParent = stop
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	stop()
}

func (a *attemptContext) Deadline() (time.Time, bool) { return a.deadline, true }

func (a *attemptContext) Done() <-chan struct{} {
	if d := a.done.Load(); d != nil {
		return d.(chan struct{})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if d := a.done.Load(); d != nil {
		return d.(chan struct{})
	}
	ch := closedChan
	if a.err == nil {
		ch = make(chan struct{})
	}
	a.done.Store(ch)
	return ch
}

func (a *attemptContext) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *attemptContext) Value(key any) any { return a.parent.Value(key) }

// AfterFunc registers f to run when a ends, and returns a function that
// unregisters it. The context package calls it to link a to each context
// derived from it, such as the one net/http's transport derives for every
// request, without starting a goroutine per link. Unlike
// context.AfterFunc, the functions run in the goroutine that cancels a,
// because the context package registers only functions that cancel a
// child context.
func (a *attemptContext) AfterFunc(f func()) (stop func() bool) {
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if a.funcs == nil {
		a.funcs = a.firstFunc[:0]
	}
	i := len(a.funcs)
	a.funcs = append(a.funcs, f)
	a.mu.Unlock()
	return func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.err != nil || a.funcs[i] == nil {
			return false
		}
		a.funcs[i] = nil
		return true
	}
}

// cancel ends a with err, unless a has ended already. It closes Done,
// runs the functions registered by AfterFunc, and removes a from its
// queue and from its parent.
func (a *attemptContext) cancel(err error) {
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		return
	}
	a.err = err
	if d := a.done.Load(); d != nil {
		close(d.(chan struct{}))
	} else {
		a.done.Store(closedChan)
	}
	funcs := a.funcs
	a.funcs = nil
	stop := a.stopParent
	a.stopParent = nil
	a.mu.Unlock()

	for _, f := range funcs {
		if f != nil {
			f()
		}
	}
	if stop != nil {
		stop()
	}
	if a.queue != nil {
		a.queue.remove(a)
	}
}

// release cancels a, if it is not nil, as the end of its attempt.
func (a *attemptContext) release() {
	if a != nil {
		a.cancel(context.Canceled)
	}
}

// timeoutQueue cancels the attempt contexts whose own timeout passes.
// A Transport gives all its attempts the same timeout, so attempts that
// start later end later. A list sorted by deadline therefore grows at its
// tail and comes due at its head, and one timer serves the whole list.
//
// The timer is set for the head's deadline or earlier. An attempt that
// ends in time leaves the list but does not touch the timer. When the
// timer fires, it cancels the attempts that are due and is set again for
// the new head. While attempts keep coming, it fires about once per
// timeout, and once the list is empty it stays idle. A timer per attempt
// would instead be set and stopped on every request.
type timeoutQueue struct {
	mu         sync.Mutex
	head, tail *attemptContext
	timer      *time.Timer
	armed      bool      // the timer will fire
	armedAt    time.Time // when it will fire, if armed
}

// add enters a into the queue, to be cancelled at deadline.
func (q *timeoutQueue) add(a *attemptContext, deadline time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a.queue = q
	a.own = deadline
	a.queued = true

	// Find the entry a goes after. With one timeout for all attempts
	// that is the tail, or an entry or two before it when attempts that
	// started at the same moment reach the mutex in another order. A
	// timeout changed while attempts run puts a further forward.
	after := q.tail
	for after != nil && after.own.After(a.own) {
		after = after.prev
	}
	a.prev = after
	if after == nil {
		a.next = q.head
		q.head = a
	} else {
		a.next = after.next
		after.next = a
	}
	if a.next == nil {
		q.tail = a
	} else {
		a.next.prev = a
	}

	if !q.armed || a.own.Before(q.armedAt) {
		q.arm(a.own)
	}
}

// arm sets the timer to fire at t. q.mu must be held.
func (q *timeoutQueue) arm(t time.Time) {
	q.armed, q.armedAt = true, t
	d := time.Until(t)
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.expire)
		return
	}
	q.timer.Reset(d)
}

// remove takes a out of the queue, if it is still there.
func (q *timeoutQueue) remove(a *attemptContext) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.unlink(a)
}

// unlink takes a out of the list. q.mu must be held.
func (q *timeoutQueue) unlink(a *attemptContext) {
	if !a.queued {
		return
	}
	if a.prev == nil {
		q.head = a.next
	} else {
		a.prev.next = a.next
	}
	if a.next == nil {
		q.tail = a.prev
	} else {
		a.next.prev = a.prev
	}
	a.prev, a.next, a.queued = nil, nil, false
}

// expire runs when the timer fires: it cancels the attempts that are due
// and sets the timer for the next one.
func (q *timeoutQueue) expire() {
	now := time.Now()
	var due []*attemptContext
	q.mu.Lock()
	for q.head != nil && !q.head.own.After(now) {
		a := q.head
		q.unlink(a)
		due = append(due, a)
	}
	q.armed = false
	if q.head != nil {
		q.arm(q.head.own)
	}
	q.mu.Unlock()

	for _, a := range due {
		a.cancel(context.DeadlineExceeded)
	}
}

// timeoutQueues spreads the attempts of a Transport over several queues,
// so that goroutines on different processors seldom wait for the same
// mutex.
type timeoutQueues []timeoutQueue

func newTimeoutQueues() timeoutQueues {
	return make(timeoutQueues, min(runtime.GOMAXPROCS(0), 64))
}

// pick returns one of the queues at random.
func (qs timeoutQueues) pick() *timeoutQueue {
	return &qs[rand.IntN(len(qs))]
}
