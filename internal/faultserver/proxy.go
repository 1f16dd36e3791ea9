package faultserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// Direction is the way the bytes a toxic acts on flow.
type Direction string

// The directions of a toxic.
const (
	// Upstream is the request: bytes from the client to the server.
	Upstream Direction = "upstream"
	// Downstream is the response: bytes from the server to the client.
	Downstream Direction = "downstream"
)

// Proxy is an in-process toxiproxy listening on 127.0.0.1 in front of
// one upstream address. Its methods are safe for concurrent use; those
// that fail the test must be called from the test's goroutine.
type Proxy struct {
	// URL is the proxy's base URL, such as http://127.0.0.1:40124.
	URL string
	// Addr is the host and port the proxy listens on.
	Addr string

	tb    testing.TB
	proxy *toxiproxy.Proxy
	mu    sync.Mutex // serialises Enable and Disable
	seq   atomic.Int64
}

var proxySeq atomic.Int64

// StartProxy starts a proxy on 127.0.0.1 that forwards every connection
// to upstream, a host and port such as Server.Addr, and stops it when tb
// ends. It fails tb if the proxy cannot listen.
func StartProxy(tb testing.TB, upstream string) *Proxy {
	tb.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	name := fmt.Sprintf("faultserver-%d", proxySeq.Add(1))
	p := toxiproxy.NewProxy(api, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		tb.Fatalf("faultserver: starting proxy to %s: %v", upstream, err)
	}
	tb.Cleanup(p.Stop)
	return &Proxy{URL: "http://" + p.Listen, Addr: p.Listen, tb: tb, proxy: p}
}

// Add adds a toxic of type kind (latency, bandwidth, slicer, timeout,
// reset_peer, limit_data or slow_close) with the attributes that
// toxiproxy documents for it, and returns its name. toxicity, from 0 to
// 1, is the share of connections it applies to. Add fails the test if
// toxiproxy rejects the toxic.
func (p *Proxy) Add(kind string, dir Direction, toxicity float64, attributes map[string]any) string {
	p.tb.Helper()
	name := fmt.Sprintf("%s_%s_%d", kind, dir, p.seq.Add(1))
	spec, err := json.Marshal(map[string]any{
		"name":       name,
		"type":       kind,
		"stream":     string(dir),
		"toxicity":   toxicity,
		"attributes": attributes,
	})
	if err != nil {
		p.tb.Fatalf("faultserver: encoding toxic %s: %v", name, err)
	}
	if _, err := p.proxy.Toxics.AddToxicJson(bytes.NewReader(spec)); err != nil {
		p.tb.Fatalf("faultserver: adding toxic %s: %v", spec, err)
	}
	return name
}

// Latency delays every chunk of data flowing in dir by latency, plus or
// minus up to jitter.
func (p *Proxy) Latency(dir Direction, latency, jitter time.Duration) string {
	p.tb.Helper()
	return p.Add("latency", dir, 1, map[string]any{
		"latency": latency.Milliseconds(),
		"jitter":  jitter.Milliseconds(),
	})
}

// BlackHole swallows all data flowing in dir and keeps the connection
// open until the other side closes it: the server accepted the
// connection and never responds.
func (p *Proxy) BlackHole(dir Direction) string {
	p.tb.Helper()
	return p.Add("timeout", dir, 1, map[string]any{"timeout": 0})
}

// Timeout swallows all data flowing in dir and closes the connection
// after d.
func (p *Proxy) Timeout(dir Direction, d time.Duration) string {
	p.tb.Helper()
	return p.Add("timeout", dir, 1, map[string]any{"timeout": d.Milliseconds()})
}

// ResetPeer resets each connection (TCP RST) after the first data flows
// in dir, once after has passed; that data is dropped. The RST is sent
// only on connections opened after the toxic is added: on those already
// open the connection closes with a FIN instead.
func (p *Proxy) ResetPeer(dir Direction, after time.Duration) string {
	p.tb.Helper()
	return p.Add("reset_peer", dir, 1, map[string]any{"timeout": after.Milliseconds()})
}

// Slicer splits the data flowing in dir into slices of about size bytes,
// varying by up to variation, with delay between slices.
func (p *Proxy) Slicer(dir Direction, size, variation int, delay time.Duration) string {
	p.tb.Helper()
	return p.Add("slicer", dir, 1, map[string]any{
		"average_size":   size,
		"size_variation": variation,
		"delay":          delay.Microseconds(),
	})
}

// Bandwidth limits the data flowing in dir to kilobytesPerSecond KB/s.
func (p *Proxy) Bandwidth(dir Direction, kilobytesPerSecond int64) string {
	p.tb.Helper()
	return p.Add("bandwidth", dir, 1, map[string]any{"rate": kilobytesPerSecond})
}

// LimitData closes each connection once n bytes have flowed in dir.
func (p *Proxy) LimitData(dir Direction, n int64) string {
	p.tb.Helper()
	return p.Add("limit_data", dir, 1, map[string]any{"bytes": n})
}

// Remove removes the toxic named name. It fails the test if there is no
// such toxic.
func (p *Proxy) Remove(name string) {
	p.tb.Helper()
	if err := p.proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
		p.tb.Fatalf("faultserver: removing toxic %s: %v", name, err)
	}
}

// RemoveAll removes every toxic.
func (p *Proxy) RemoveAll() {
	p.proxy.Toxics.ResetToxics(context.Background())
}

// Disable stops the proxy: it closes its listener, so that dials are
// refused, and every connection through it.
func (p *Proxy) Disable() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.proxy.Stop()
}

// Enable listens again on the proxy's address after Disable.
func (p *Proxy) Enable() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.proxy.Start(); err != nil && err != toxiproxy.ErrProxyAlreadyStarted {
		return fmt.Errorf("faultserver: restarting proxy on %s: %w", p.Addr, err)
	}
	return nil
}
