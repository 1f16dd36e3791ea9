package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkOwnWork measures the time that each client spends on its own
// work, one request at a time: the wall time minus the time spent in the
// transport below the client and in reading the response body from it.
// It runs over loopback (seq) and in memory (mem) and reports own-ns/op,
// so that the same work can be compared with and without the network and
// the server running between two requests.
func BenchmarkOwnWork(b *testing.B) {
	url := startHealthyServer(b) + "/api/products/4711"
	for _, run := range []string{"seq", "mem"} {
		for _, name := range healthyClientNames {
			b.Run(fmt.Sprintf("%s/client=%s", run, name), func(b *testing.B) {
				var below http.RoundTripper = pooledTransport()
				if run == "mem" {
					below = memoryTransport{}
				}
				timed := &timedTransport{next: below}
				c, err := newClient(name, modeHealthy, clientOptions{transport: timed})
				if err != nil {
					b.Fatal(err)
				}
				defer c.closeIdle()
				benchOwnWork(b, c, timed, url)
			})
		}
	}
}

func benchOwnWork(b *testing.B, c *client, timed *timedTransport, url string) {
	ctx := context.Background()
	// Warm the pool, so that dialing stays out of the measurement.
	if ok, err := c.get(ctx, url, ""); !ok || err != nil {
		b.Fatalf("%s: first request failed: ok=%v, err=%v", c.name, ok, err)
	}
	timed.spent = 0
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		ok, err := c.get(ctx, url, "")
		total += time.Since(start)
		if !ok || err != nil {
			b.Fatalf("%s: ok=%v, err=%v", c.name, ok, err)
		}
	}
	if b.N > 0 {
		b.ReportMetric(float64(total-timed.spent)/float64(b.N), "own-ns/op")
	}
}

// timedTransport adds up the time that requests spend in next and in
// reading and closing the bodies of its responses. It is not safe for
// concurrent use.
type timedTransport struct {
	next  http.RoundTripper
	spent time.Duration
}

func (t *timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.spent += time.Since(start)
	if resp != nil && resp.Body != nil {
		resp.Body = &timedBody{ReadCloser: resp.Body, t: t}
	}
	return resp, err
}

func (t *timedTransport) CloseIdleConnections() {
	if closer, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}

// timedBody is a response body whose reads and close count towards the
// time of its timedTransport.
type timedBody struct {
	io.ReadCloser
	t *timedTransport
}

func (b *timedBody) Read(p []byte) (int, error) {
	start := time.Now()
	n, err := b.ReadCloser.Read(p)
	b.t.spent += time.Since(start)
	return n, err
}

func (b *timedBody) Close() error {
	start := time.Now()
	err := b.ReadCloser.Close()
	b.t.spent += time.Since(start)
	return err
}
