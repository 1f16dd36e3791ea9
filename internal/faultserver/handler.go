package faultserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// resetPause is how long FaultReset and FaultCut wait between sending
// half the body and ending the connection, so that the client has read
// the headers and is reading the body when the connection ends.
const resetPause = 20 * time.Millisecond

// stallHead is the number of body bytes FaultStall sends before it stalls.
const stallHead = 8

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Add(-1)

	// Read the whole request first, so that a counted request is one the
	// server processed.
	io.Copy(io.Discard, r.Body)
	b, scripted, down := s.count(r)
	if !scripted {
		var err error
		if b, err = ParseBehavior(r.URL.Query()); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}

	rs := &response{w: w, r: r, b: b, down: down}
	if s.decide(r.URL.RequestURI(), b) {
		s.failed.Add(1)
		s.fail(rs)
		return
	}
	if rs.succeed() {
		s.succeeded.Add(1)
	}
}

// response is the reply to one request, while it is written.
type response struct {
	w    http.ResponseWriter
	r    *http.Request
	b    Behavior
	down <-chan struct{}
}

// wait waits for d and reports whether it passed before the client went
// away or the server went down.
func (rs *response) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-rs.r.Context().Done():
		return false
	case <-rs.down:
		return false
	}
}

// succeed writes a successful response and reports whether it was
// written in full.
func (rs *response) succeed() bool {
	if !rs.wait(rs.b.Delay) {
		return false
	}
	body := jsonBody(rs.b.Bytes)
	rs.writeHeader(rs.b.status(), len(body))
	if rs.b.Trickle > 0 {
		return rs.trickle(body)
	}
	_, err := rs.w.Write(body)
	return err == nil
}

func (rs *response) writeHeader(status, length int) {
	h := rs.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(length))
	rs.w.WriteHeader(status)
}

// trickle writes body a slice at a time and reports whether all of it
// was written.
func (rs *response) trickle(body []byte) bool {
	step := rs.b.trickleBytes()
	flusher, _ := rs.w.(http.Flusher)
	for len(body) > 0 {
		n := min(step, len(body))
		if _, err := rs.w.Write(body[:n]); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		body = body[n:]
		if len(body) > 0 && !rs.wait(rs.b.trickle()) {
			return false
		}
	}
	return true
}

func (s *Server) fail(rs *response) {
	switch rs.b.Fail {
	case FaultStatus:
		if rs.b.RetryAfter != "" {
			rs.w.Header().Set("Retry-After", rs.b.RetryAfter)
		}
		body := []byte(http.StatusText(rs.b.failStatus()))
		rs.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rs.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		rs.w.WriteHeader(rs.b.failStatus())
		rs.w.Write(body)
	case FaultReset, FaultCut:
		s.breakResponse(rs, rs.b.Fail == FaultReset)
	case FaultStall:
		body := jsonBody(rs.b.Bytes)
		rs.writeHeader(http.StatusOK, len(body))
		rs.w.Write(body[:min(stallHead, len(body)-1)])
		if f, ok := rs.w.(http.Flusher); ok {
			f.Flush()
		}
		rs.wait(time.Duration(1<<63 - 1))
	case FaultTrickle:
		body := jsonBody(rs.b.Bytes)
		rs.writeHeader(http.StatusOK, len(body))
		rs.trickle(body)
	case FaultHang:
		rs.wait(time.Duration(1<<63 - 1))
	}
}

// breakResponse takes over the connection, sends the headers of a 200
// response with the full Content-Length and half its body, then resets
// the connection (RST) when reset is true, or closes it (FIN).
func (s *Server) breakResponse(rs *response, reset bool) {
	conn, buf, err := http.NewResponseController(rs.w).Hijack()
	if err != nil {
		http.Error(rs.w, "faultserver: cannot take over the connection: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !s.addHijacked(conn) {
		conn.Close()
		return
	}
	defer s.removeHijacked(conn)

	body := jsonBody(rs.b.Bytes)
	writeBrokenResponse(buf, body)
	if err := buf.Flush(); err == nil {
		pause(rs.down, resetPause)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		tcp.SetLinger(0) // close sends RST and discards unsent data
	}
	conn.Close()
}

func writeBrokenResponse(w *bufio.ReadWriter, body []byte) {
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	w.Write(body[:len(body)/2])
}

// pause waits for d or until down is closed.
func pause(down <-chan struct{}, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-down:
	}
}

// jsonBody returns a JSON object of n bytes, or the shortest such object
// the server writes when n is smaller.
func jsonBody(n int) []byte {
	const head, tail = `{"ok":true,"pad":"`, `"}`
	pad := max(n-len(head)-len(tail), 0)
	out := make([]byte, 0, len(head)+pad+len(tail))
	out = append(out, head...)
	for range pad {
		out = append(out, 'x')
	}
	return append(out, tail...)
}
