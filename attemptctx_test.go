package sturdy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitDone fails t unless ctx is done within a second.
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("context not done after 1s")
	}
}

// queueLen returns the number of entries of q and whether its timer is
// set to fire.
func queueLen(q *timeoutQueue) (n int, armed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for a := q.head; a != nil; a = a.next {
		n++
	}
	return n, q.armed
}

func TestAttemptContextTimesOut(t *testing.T) {
	q := new(timeoutQueue)
	a := new(attemptContext)
	before := time.Now()
	a.start(context.Background(), 20*time.Millisecond, q)

	if d, ok := a.Deadline(); !ok || d.Before(before.Add(20*time.Millisecond)) || d.After(time.Now().Add(20*time.Millisecond)) {
		t.Errorf("Deadline: got %v, %v; want 20ms after start", d, ok)
	}
	if err := a.Err(); err != nil {
		t.Fatalf("Err before the timeout: %v", err)
	}
	waitDone(t, a)
	if !errors.Is(a.Err(), context.DeadlineExceeded) {
		t.Errorf("Err: got %v, want context.DeadlineExceeded", a.Err())
	}
	if cause := context.Cause(a); !errors.Is(cause, context.DeadlineExceeded) {
		t.Errorf("Cause: got %v, want context.DeadlineExceeded", cause)
	}
	if n, armed := queueLen(q); n != 0 || armed {
		t.Errorf("queue after the timeout: %d entries, armed %v; want empty and idle", n, armed)
	}
	a.release()
	if !errors.Is(a.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after release: got %v, want the timeout to stay", a.Err())
	}
}

func TestAttemptContextRelease(t *testing.T) {
	q := new(timeoutQueue)
	a := new(attemptContext)
	a.start(context.Background(), time.Hour, q)
	done := a.Done()
	if n, _ := queueLen(q); n != 1 {
		t.Fatalf("queue: %d entries, want 1", n)
	}
	a.release()
	select {
	case <-done:
	default:
		t.Fatal("Done not closed by release")
	}
	if !errors.Is(a.Err(), context.Canceled) {
		t.Errorf("Err: got %v, want context.Canceled", a.Err())
	}
	if n, _ := queueLen(q); n != 0 {
		t.Errorf("queue after release: %d entries, want 0", n)
	}

	// A Done channel requested after the end is already closed.
	b := new(attemptContext)
	b.start(context.Background(), time.Hour, q)
	b.release()
	waitDone(t, b)
}

func TestAttemptContextFollowsParent(t *testing.T) {
	t.Run("parent cancelled later", func(t *testing.T) {
		q := new(timeoutQueue)
		parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
		a := new(attemptContext)
		a.start(parent, time.Hour, q)
		if got := a.Value(ctxKey{}); got != "v" {
			t.Errorf("Value: got %v, want the parent's value", got)
		}
		stop := errors.New("caller gave up")
		cancel(stop)
		waitDone(t, a)
		if !errors.Is(a.Err(), context.Canceled) {
			t.Errorf("Err: got %v, want context.Canceled", a.Err())
		}
		if got := context.Cause(a); got != stop {
			t.Errorf("Cause: got %v, want the parent's cause", got)
		}
		if n, _ := queueLen(q); n != 0 {
			t.Errorf("queue: %d entries, want 0", n)
		}
	})

	t.Run("parent already cancelled", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		cancel()
		a := new(attemptContext)
		a.start(parent, time.Hour, new(timeoutQueue))
		if !errors.Is(a.Err(), context.Canceled) {
			t.Errorf("Err: got %v, want context.Canceled at once", a.Err())
		}
	})

	t.Run("parent deadline first", func(t *testing.T) {
		q := new(timeoutQueue)
		parent, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		want, _ := parent.Deadline()
		a := new(attemptContext)
		a.start(parent, time.Hour, q)
		if got, _ := a.Deadline(); !got.Equal(want) {
			t.Errorf("Deadline: got %v, want the parent's %v", got, want)
		}
		if n, armed := queueLen(q); n != 0 || armed {
			t.Errorf("queue: %d entries, armed %v; want nothing queued when the parent ends first", n, armed)
		}
		waitDone(t, a)
		if !errors.Is(a.Err(), context.DeadlineExceeded) {
			t.Errorf("Err: got %v, want context.DeadlineExceeded", a.Err())
		}
	})
}

type ctxKey struct{}

func TestAttemptContextChildren(t *testing.T) {
	q := new(timeoutQueue)
	a := new(attemptContext)
	a.start(context.Background(), 30*time.Millisecond, q)

	child, cancelChild := context.WithCancel(a)
	defer cancelChild()
	stopped, stopChild := context.WithCancel(a)
	stopChild() // unlinks itself from a

	ran := make(chan struct{})
	context.AfterFunc(a, func() { close(ran) })
	never := context.AfterFunc(a, func() { t.Error("stopped AfterFunc ran") })
	if !never() {
		t.Error("stop of a pending AfterFunc: got false, want true")
	}

	waitDone(t, child)
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("child Err: got %v, want context.DeadlineExceeded", child.Err())
	}
	if !errors.Is(context.Cause(child), context.DeadlineExceeded) {
		t.Errorf("child Cause: got %v, want context.DeadlineExceeded", context.Cause(child))
	}
	if !errors.Is(stopped.Err(), context.Canceled) {
		t.Errorf("stopped child: Err %v, want its own Canceled", stopped.Err())
	}
	select {
	case <-ran:
	case <-time.After(time.Second):
		t.Fatal("AfterFunc did not run")
	}

	// A function registered after the end runs at once.
	late := make(chan struct{})
	context.AfterFunc(a, func() { close(late) })
	select {
	case <-late:
	case <-time.After(time.Second):
		t.Fatal("AfterFunc after the end did not run")
	}
}

func TestTimeoutQueueKeepsDeadlineOrder(t *testing.T) {
	q := new(timeoutQueue)
	now := time.Now()
	offsets := []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour, time.Hour, 4 * time.Hour}
	entries := make([]*attemptContext, len(offsets))
	for i, off := range offsets {
		entries[i] = &attemptContext{parent: context.Background()}
		q.add(entries[i], now.Add(off))
	}
	var got []time.Duration
	q.mu.Lock()
	for a := q.head; a != nil; a = a.next {
		got = append(got, a.own.Sub(now))
		if a.next != nil && a.next.prev != a {
			t.Error("broken prev link")
		}
	}
	if !q.armedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("timer set for %v, want the head's deadline", q.armedAt.Sub(now))
	}
	q.mu.Unlock()
	want := []time.Duration{time.Hour, time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour}
	if len(got) != len(want) {
		t.Fatalf("queue: got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("queue: got %v, want %v", got, want)
		}
	}

	for _, a := range []*attemptContext{entries[4], entries[1], entries[0]} {
		a.release() // tail, head and middle
	}
	if n, _ := queueLen(q); n != 2 {
		t.Errorf("queue after removing 3 of 5: %d entries, want 2", n)
	}
	entries[2].release()
	entries[3].release()
	if n, armed := queueLen(q); n != 0 || !armed {
		t.Errorf("queue: %d entries, armed %v; want empty, timer left set", n, armed)
	}
	q.timer.Stop()
}

func TestTimeoutQueueConcurrentUse(t *testing.T) {
	qs := newTimeoutQueues()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				// Even attempts end before their deadline, odd ones
				// time out after 1 to 3 ms.
				a := new(attemptContext)
				timeout := time.Duration(1+(g+i)%3) * time.Millisecond
				if i%2 == 0 {
					timeout = time.Hour
				}
				a.start(context.Background(), timeout, qs.pick())
				child, cancel := context.WithCancel(a)
				if i%2 == 0 {
					a.release()
				} else {
					<-a.Done()
				}
				<-child.Done()
				cancel()
			}
		}()
	}
	wg.Wait()
	for i := range qs {
		if n, _ := queueLen(&qs[i]); n != 0 {
			t.Errorf("queue %d: %d entries left", i, n)
		}
	}
}

func TestAttemptContextAllocations(t *testing.T) {
	q := new(timeoutQueue)
	warm := new(attemptContext)
	warm.start(context.Background(), time.Hour, q) // sets the queue's timer once
	defer warm.release()

	// One allocation is the context itself, which a call holds inline.
	allocs := testing.AllocsPerRun(100, func() {
		a := new(attemptContext)
		a.start(context.Background(), time.Hour, q)
		a.release()
	})
	if allocs > 1 {
		t.Errorf("start and release with a parent that is never cancelled: %v allocations, want 1", allocs)
	}
}
