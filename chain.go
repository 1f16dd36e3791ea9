package sturdy

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sturdyhttp/sturdy/middleware"
)

// Chain is an ordered list of named middleware, each enabled or disabled.
// It is safe for concurrent use: it may be inspected and changed while
// requests run on other goroutines.
//
// A change applies from the next request on. Each call through a
// Transport reads the chain once, when it starts, and uses what it read
// for all of its attempts and waits, so a request in flight never sees a
// half-applied change and is never affected by a later one. A redirect is
// a new call through the Transport and reads the chain afresh.
//
// The zero Chain is empty and ready to use.
type Chain struct {
	mu    sync.Mutex // serialises changes; readers never take it
	state atomic.Pointer[chainState]
}

// Entry describes one middleware of a chain.
type Entry struct {
	Name    string
	Enabled bool
}

type entry struct {
	mw      middleware.Middleware
	enabled bool
}

// chainState is an immutable snapshot of a chain, with the hooks of its
// enabled middleware gathered in the order in which they run.
type chainState struct {
	entries []entry

	before    []namedHook
	after     []namedHook // reverse chain order
	retryIf   []func(*middleware.Attempt) bool
	schedule  func(*middleware.Attempt) (time.Duration, error)
	onRetry   []func(middleware.RetryEvent)
	onSuccess []func(middleware.Result)
	onError   []func(middleware.Result)
	sensitive []string
}

type namedHook struct {
	name string
	fn   func(*middleware.Attempt) error
}

var emptyState = &chainState{}

// NewChain returns a chain of mws, in order and all enabled.
func NewChain(mws ...middleware.Middleware) (*Chain, error) {
	c := &Chain{}
	for _, mw := range mws {
		if err := c.Append(mw); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Chain) load() *chainState {
	if c == nil {
		return emptyState
	}
	if s := c.state.Load(); s != nil {
		return s
	}
	return emptyState
}

// Entries returns the chain's middleware in order, with whether each is
// enabled.
func (c *Chain) Entries() []Entry {
	s := c.load()
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = Entry{Name: e.mw.Name, Enabled: e.enabled}
	}
	return out
}

// Names returns the names of the chain's middleware in order, disabled
// ones included.
func (c *Chain) Names() []string {
	s := c.load()
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.mw.Name
	}
	return out
}

// Get returns the middleware named name.
func (c *Chain) Get(name string) (middleware.Middleware, bool) {
	s := c.load()
	if i := s.index(name); i >= 0 {
		return s.entries[i].mw, true
	}
	return middleware.Middleware{}, false
}

// SensitiveHeaders returns the canonical names of the headers that the
// enabled middleware declare as credentials.
func (c *Chain) SensitiveHeaders() []string {
	return slices.Clone(c.load().sensitive)
}

// Append adds mw, enabled, at the end of the chain.
func (c *Chain) Append(mw middleware.Middleware) error {
	return c.update(func(entries []entry) ([]entry, error) {
		return append(entries, entry{mw: mw, enabled: true}), nil
	}, mw)
}

// InsertBefore adds mw, enabled, just before the middleware named name.
func (c *Chain) InsertBefore(name string, mw middleware.Middleware) error {
	return c.insert(name, 0, mw)
}

// InsertAfter adds mw, enabled, just after the middleware named name.
func (c *Chain) InsertAfter(name string, mw middleware.Middleware) error {
	return c.insert(name, 1, mw)
}

func (c *Chain) insert(name string, offset int, mw middleware.Middleware) error {
	return c.update(func(entries []entry) ([]entry, error) {
		i, err := find(entries, name)
		if err != nil {
			return nil, err
		}
		return slices.Insert(entries, i+offset, entry{mw: mw, enabled: true}), nil
	}, mw)
}

// Replace puts mw, enabled, in the place of the middleware named name.
// mw may keep that name or take a new one that is unique in the chain.
func (c *Chain) Replace(name string, mw middleware.Middleware) error {
	return c.update(func(entries []entry) ([]entry, error) {
		i, err := find(entries, name)
		if err != nil {
			return nil, err
		}
		entries[i] = entry{mw: mw, enabled: true}
		return entries, nil
	}, mw)
}

// Remove takes the middleware named name out of the chain.
func (c *Chain) Remove(name string) error {
	return c.update(func(entries []entry) ([]entry, error) {
		i, err := find(entries, name)
		if err != nil {
			return nil, err
		}
		return slices.Delete(entries, i, i+1), nil
	})
}

// Enable turns the middleware named name on. Enabling an enabled
// middleware does nothing.
func (c *Chain) Enable(name string) error { return c.setEnabled(name, true) }

// Disable turns the middleware named name off: its hooks stop running,
// but it keeps its place and can be enabled again. Disabling the retry
// middleware makes every request a single attempt.
func (c *Chain) Disable(name string) error { return c.setEnabled(name, false) }

func (c *Chain) setEnabled(name string, on bool) error {
	return c.update(func(entries []entry) ([]entry, error) {
		i, err := find(entries, name)
		if err != nil {
			return nil, err
		}
		entries[i].enabled = on
		return entries, nil
	})
}

// update applies change to a copy of the entries, validates the result
// and publishes it. added lists middleware the change adds, which must be
// valid on their own.
func (c *Chain) update(change func([]entry) ([]entry, error), added ...middleware.Middleware) error {
	if c == nil {
		return errors.New("sturdy: chain is nil; create one with NewChain or use Client.Chain")
	}
	for _, mw := range added {
		if err := mw.Validate(); err != nil {
			return err
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	entries, err := change(slices.Clone(c.load().entries))
	if err != nil {
		return err
	}
	next, err := compile(entries)
	if err != nil {
		return err
	}
	c.state.Store(next)
	return nil
}

// compile checks entries and gathers the hooks of the enabled ones.
func compile(entries []entry) (*chainState, error) {
	s := &chainState{entries: entries}
	scheduleOwner := ""
	for i, e := range entries {
		name := e.mw.Name
		if j := slices.IndexFunc(entries[:i], func(o entry) bool { return o.mw.Name == name }); j >= 0 {
			return nil, fmt.Errorf("sturdy: middleware name %q is used twice in the chain (positions %d and %d); give each middleware a unique name or use Replace", name, j, i)
		}
		if !e.enabled {
			continue
		}
		mw := e.mw
		if mw.Schedule != nil {
			if scheduleOwner != "" {
				return nil, fmt.Errorf("sturdy: middleware %q and %q both set a retry schedule; disable or remove one of them", scheduleOwner, name)
			}
			scheduleOwner, s.schedule = name, mw.Schedule
		}
		if mw.BeforeAttempt != nil {
			s.before = append(s.before, namedHook{name, mw.BeforeAttempt})
		}
		if mw.AfterAttempt != nil {
			s.after = append(s.after, namedHook{name, mw.AfterAttempt})
		}
		if mw.RetryIf != nil {
			s.retryIf = append(s.retryIf, mw.RetryIf)
		}
		if mw.OnRetry != nil {
			s.onRetry = append(s.onRetry, mw.OnRetry)
		}
		if mw.OnSuccess != nil {
			s.onSuccess = append(s.onSuccess, mw.OnSuccess)
		}
		if mw.OnError != nil {
			s.onError = append(s.onError, mw.OnError)
		}
		for _, h := range mw.SensitiveHeaders {
			h = http.CanonicalHeaderKey(h)
			if !slices.Contains(s.sensitive, h) {
				s.sensitive = append(s.sensitive, h)
			}
		}
	}
	slices.Reverse(s.after)
	return s, nil
}

func (s *chainState) index(name string) int {
	return slices.IndexFunc(s.entries, func(e entry) bool { return e.mw.Name == name })
}

func find(entries []entry, name string) (int, error) {
	i := slices.IndexFunc(entries, func(e entry) bool { return e.mw.Name == name })
	if i < 0 {
		names := make([]string, len(entries))
		for j, e := range entries {
			names[j] = e.mw.Name
		}
		return -1, fmt.Errorf("sturdy: no middleware named %q in the chain %q; use one of those names or add the middleware first", name, names)
	}
	return i, nil
}
