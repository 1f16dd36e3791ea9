package faultserver

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// HeaderRequestID is the request header whose values the server counts,
// one counter per value; see Server.RequestIDCount.
const HeaderRequestID = "X-Request-Id"

// handlerWaitLimit bounds how long stopping a server waits for its
// handlers to return.
const handlerWaitLimit = 5 * time.Second

// Option configures a Server made by Start.
type Option func(*Server)

// WithScript makes requests to path run b. It is the same as calling
// Server.Script before the first request.
func WithScript(path string, b Behavior) Option {
	return func(s *Server) { s.scripts[path] = b }
}

// WithIdleTimeout sets how long the server keeps an idle keep-alive
// connection open before it closes it (http.Server.IdleTimeout). Unless
// set, idle connections stay open until the client closes them.
func WithIdleTimeout(d time.Duration) Option {
	return func(s *Server) { s.idleTimeout = d }
}

// Stats is a snapshot of a Server's counters.
type Stats struct {
	// Requests counts requests that reached the handler, whose body the
	// server read in full.
	Requests int64
	// Posts counts the POST requests among Requests.
	Posts int64
	// Failed counts requests that got a scripted failure.
	Failed int64
	// Succeeded counts successful responses written in full.
	Succeeded int64
	// ConnsOpened counts TCP connections accepted since Start.
	ConnsOpened int64
	// ConnsOpen is the number of connections accepted and not yet closed.
	ConnsOpen int64
}

// Server is an HTTP server on loopback that runs scripted behaviours. Its
// methods are safe for concurrent use, except Script, which fails the
// test and so must be called from the test's goroutine.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:40123.
	URL string
	// Addr is the host and port the server listens on.
	Addr string

	tb          testing.TB
	idleTimeout time.Duration

	requests, posts, failed, succeeded atomic.Int64
	active                             atomic.Int64 // handlers running

	mu       sync.Mutex
	http     *http.Server // nil while down
	listener net.Listener
	down     chan struct{}
	scripts  map[string]Behavior
	keys     map[string]*keyState
	paths    map[string]int64
	ids      map[string]int64
	conns    map[net.Conn]http.ConnState
	hijacked map[net.Conn]struct{}
	opened   int64
}

// keyState is the failure count and generator of one path and query.
type keyState struct {
	n   int
	rng *rand.Rand
}

// Start starts a Server on 127.0.0.1 and stops it when tb ends. It fails
// tb if the server cannot listen or an option is invalid.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:       tb,
		scripts:  map[string]Behavior{},
		keys:     map[string]*keyState{},
		paths:    map[string]int64{},
		ids:      map[string]int64{},
		conns:    map[net.Conn]http.ConnState{},
		hijacked: map[net.Conn]struct{}{},
	}
	for _, opt := range opts {
		opt(s)
	}
	for path, b := range s.scripts {
		if err := b.Validate(); err != nil {
			tb.Fatalf("faultserver: script for %s: %v", path, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("faultserver: listening on loopback: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.URL = "http://" + s.Addr
	s.mu.Lock()
	s.serveLocked(ln)
	s.mu.Unlock()
	tb.Cleanup(s.stop)
	return s
}

// Script makes requests to path run b from the next request on,
// replacing any earlier script for path. It fails the test if b is
// invalid.
func (s *Server) Script(path string, b Behavior) {
	s.tb.Helper()
	if err := b.Validate(); err != nil {
		s.tb.Fatalf("faultserver: script for %s: %v", path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[path] = b
}

// URLFor returns the URL of path with b in its query, for a path that
// has no script.
func (s *Server) URLFor(path string, b Behavior) string {
	q := b.Query().Encode()
	if q == "" {
		return s.URL + path
	}
	return s.URL + path + "?" + q
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Requests:    s.requests.Load(),
		Posts:       s.posts.Load(),
		Failed:      s.failed.Load(),
		Succeeded:   s.succeeded.Load(),
		ConnsOpened: s.opened,
		ConnsOpen:   int64(len(s.conns) + len(s.hijacked)),
	}
}

// PathRequests returns the number of requests to path that reached the
// handler.
func (s *Server) PathRequests(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path]
}

// RequestIDCount returns the number of requests that reached the handler
// with id as their HeaderRequestID header.
func (s *Server) RequestIDCount(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// RequestIDs returns a copy of the count of every HeaderRequestID value
// seen.
func (s *Server) RequestIDs() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.ids))
	for id, n := range s.ids {
		out[id] = n
	}
	return out
}

// ResetStats sets the request counters to zero and clears the failure
// counts of every path and query, so that FailFirst applies afresh. The
// connection counters are left as they are.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Store(0)
	s.posts.Store(0)
	s.failed.Store(0)
	s.succeeded.Store(0)
	// New maps, because clear keeps the memory of the old entries.
	s.keys = map[string]*keyState{}
	s.paths = map[string]int64{}
	s.ids = map[string]int64{}
}

// Down stops the server as a crash would: it closes the listener, so that
// dials are refused, and every connection, in the middle of a response
// or idle. Handlers that stall or hang return. Down on a server that is
// down does nothing.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return
	}
	// Close the listener here as well: Serve may not have started
	// tracking it yet, and would then close it only later.
	s.listener.Close()
	s.http.Close()
	s.http = nil
	for c := range s.hijacked {
		c.Close()
	}
	close(s.down)
}

// Up listens again on the server's address after Down. Up on a server
// that is up does nothing.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("faultserver: listening again on %s: %w", s.Addr, err)
	}
	s.serveLocked(ln)
	return nil
}

// CloseIdleConns closes the server side of every keep-alive connection
// that is idle between requests, as a server whose idle timeout passed
// does, and returns how many it closed.
func (s *Server) CloseIdleConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c, state := range s.conns {
		if state == http.StateIdle {
			c.Close()
			n++
		}
	}
	return n
}

// serveLocked serves on ln. s.mu must be held.
func (s *Server) serveLocked(ln net.Listener) {
	srv := &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ConnState:         s.trackConn,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.idleTimeout,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	s.http = srv
	s.listener = ln
	s.down = make(chan struct{})
	// Serve returns once Down closes the listener, with an error that
	// reports only that.
	go srv.Serve(ln)
}

// stop takes the server down for good and waits for its handlers.
func (s *Server) stop() {
	s.Down()
	deadline := time.Now().Add(handlerWaitLimit)
	for s.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := s.active.Load(); n > 0 {
		s.tb.Errorf("faultserver: %d handlers still running %v after the server stopped", n, handlerWaitLimit)
	}
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.opened++
		s.conns[c] = state
	case http.StateClosed, http.StateHijacked:
		// A hijacked connection is tracked by the handler that took it.
		delete(s.conns, c)
	default:
		s.conns[c] = state
	}
}

// count records a request that reached the handler, and returns the
// behaviour it runs and the channel closed when the server goes down.
func (s *Server) count(r *http.Request) (Behavior, bool, <-chan struct{}) {
	s.requests.Add(1)
	if r.Method == http.MethodPost {
		s.posts.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths[r.URL.Path]++
	if id := r.Header.Get(HeaderRequestID); id != "" {
		s.ids[id]++
	}
	b, scripted := s.scripts[r.URL.Path]
	return b, scripted, s.down
}

// decide counts a request with this path and query and reports whether
// it fails.
func (s *Server) decide(key string, b Behavior) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.keys[key]
	if st == nil {
		st = &keyState{rng: rand.New(rand.NewPCG(b.Seed, b.Seed^0x9e3779b97f4a7c15))}
		s.keys[key] = st
	}
	st.n++
	if st.n <= b.FailFirst {
		return true
	}
	return b.FailRate > 0 && st.rng.Float64() < b.FailRate
}

func (s *Server) addHijacked(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return false // Down ran after the handler started
	}
	s.hijacked[c] = struct{}{}
	return true
}

func (s *Server) removeHijacked(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hijacked, c)
}
