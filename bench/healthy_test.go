package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// payload is the small JSON document that every healthy request gets.
var payload = []byte(`{"id":4711,"sku":"WID-0042","name":"Widget","price":9.99,"currency":"EUR","stock":128,"tags":["blue","small"]}`)

// parallelGoroutines is the number of goroutines of the parallel
// healthy-path benchmark.
const parallelGoroutines = 64

// chainLengths are the numbers of no-op middleware of BenchmarkChain.
var chainLengths = []int{0, 1, 4, 16, 64}

// healthyServerEnv, set in the environment of the test binary, makes it
// serve payload instead of running tests; see startHealthyServer.
const healthyServerEnv = "STURDY_BENCH_HEALTHY_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(healthyServerEnv) != "" {
		if err := serveHealthy(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// serveHealthy starts a loopback server that responds to every request
// with payload, writes its URL to out and serves until in is closed.
func serveHealthy(in io.Reader, out io.Writer) error {
	srv := httptest.NewServer(healthyHandler())
	defer srv.Close()
	if _, err := fmt.Fprintln(out, srv.URL); err != nil {
		return fmt.Errorf("writing the server URL: %w", err)
	}
	io.Copy(io.Discard, in)
	return nil
}

func healthyHandler() http.Handler {
	length := strconv.Itoa(len(payload))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		w.Write(payload)
	})
}

// startHealthyServer runs serveHealthy in a child process, this test
// binary started again, and returns the server's URL. The server's
// allocations then stay out of B/op and allocs/op, which count the client
// alone. The server still shares the machine's cores with the client.
// The child stops when the benchmark ends.
func startHealthyServer(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), healthyServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting the server process: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close() // the child stops when its input ends
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("reading the server URL from the server process: %v", err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkHealthy measures one small JSON GET through each client
// against a server that never fails. It runs one request at a time (seq),
// requests from parallelGoroutines goroutines (par), and one request at a
// time through an in-memory transport, which leaves only the client's own
// work (mem).
//
// The sequential runs also report cpu-ns/op, the CPU time that the
// process used per request. In memory, nothing but the client runs, so
// that is the client's own work, and other processes on the machine
// barely change it. Over loopback it also counts the Go scheduler
// spinning while it waits for the network, so there it does not measure
// the client's work.
func BenchmarkHealthy(b *testing.B) {
	url := startHealthyServer(b) + "/api/products/4711"
	for _, run := range []string{"seq", "par", "mem"} {
		for _, name := range healthyClientNames {
			b.Run(fmt.Sprintf("%s/client=%s", run, name), func(b *testing.B) {
				var opts clientOptions
				if run == "mem" {
					opts.transport = memoryTransport{}
				}
				c, err := newClient(name, modeHealthy, opts)
				if err != nil {
					b.Fatal(err)
				}
				defer c.closeIdle()
				if run == "par" {
					benchParallel(b, c, url)
				} else {
					benchSequential(b, c, url)
				}
			})
		}
	}
}

func benchSequential(b *testing.B, c *client, url string) {
	ctx := context.Background()
	// Warm the pool, so that dialing stays out of the measurement.
	if ok, err := c.get(ctx, url, ""); !ok || err != nil {
		b.Fatalf("%s: first request failed: ok=%v, err=%v", c.name, ok, err)
	}
	b.ReportAllocs()
	cpuStart, cpuOK := processCPUTime()
	for b.Loop() {
		if ok, err := c.get(ctx, url, ""); !ok || err != nil {
			b.Fatalf("%s: ok=%v, err=%v", c.name, ok, err)
		}
	}
	if cpuEnd, ok := processCPUTime(); ok && cpuOK && b.N > 0 {
		b.ReportMetric(float64(cpuEnd-cpuStart)/float64(b.N), "cpu-ns/op")
	}
}

func benchParallel(b *testing.B, c *client, url string) {
	ctx := context.Background()
	b.SetParallelism(max(1, parallelGoroutines/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := c.get(ctx, url, ""); !ok || err != nil {
				b.Errorf("%s: ok=%v, err=%v", c.name, ok, err)
				return
			}
		}
	})
}

// BenchmarkChain measures a request through sturdy's default stack with
// a growing number of no-op middleware added by sturdy.WithMiddleware.
// Over loopback, the server and the network stack are part of every
// figure. Over an in-memory transport only the client remains, so the
// cost of each middleware shows. The paired runs alternate, in memory,
// one request through a client with n middleware and one through a
// client with none, and report the time that each middleware adds to a
// request: ns-per-middleware.
func BenchmarkChain(b *testing.B) {
	url := startHealthyServer(b) + "/api/products/4711"
	for _, transport := range []string{"loopback", "memory"} {
		for _, n := range chainLengths {
			b.Run(fmt.Sprintf("%s/middleware=%d", transport, n), func(b *testing.B) {
				var rt http.RoundTripper
				if transport == "memory" {
					rt = memoryTransport{}
				}
				c := newChainClient(b, n, rt)
				defer c.closeIdle()
				benchSequential(b, c, url)
			})
		}
	}
	for _, n := range chainLengths[1:] {
		b.Run(fmt.Sprintf("paired/middleware=%d", n), func(b *testing.B) {
			longer := newChainClient(b, n, memoryTransport{})
			shorter := newChainClient(b, 0, memoryTransport{})
			added := pairedDifference(b, longer, shorter, url)
			b.ReportMetric(float64(added.Nanoseconds())/float64(n), "ns-per-middleware")
		})
	}
}

// newChainClient returns sturdy's default stack with n no-op middleware,
// sending through rt, or through its own pool when rt is nil.
func newChainClient(b *testing.B, n int, rt http.RoundTripper) *client {
	options := []sturdy.Option{
		sturdy.WithHeaderAuth(headerAuthID, headerAuthSignature),
		sturdy.WithLogger(infoLogger()),
		sturdy.WithMiddleware(noopMiddleware(n)...),
	}
	if rt != nil {
		options = append(options, sturdy.WithTransport(rt))
	}
	c, err := sturdy.New(options...)
	if err != nil {
		b.Fatal(err)
	}
	return &client{
		name: fmt.Sprintf("sturdy with %d middleware", n),
		get: func(ctx context.Context, url, id string) (bool, error) {
			return doResty(c.R().SetContext(ctx), url, id)
		},
		closeIdle: c.CloseIdleConnections,
	}
}

// noopMiddleware returns n middleware whose only hook does nothing.
func noopMiddleware(n int) []middleware.Middleware {
	mws := make([]middleware.Middleware, n)
	for i := range mws {
		mws[i] = middleware.Middleware{
			Name:          fmt.Sprint(i),
			BeforeAttempt: func(*middleware.Attempt) error { return nil },
		}
	}
	return mws
}

// memoryTransport returns payload for every request without any I/O.
type memoryTransport struct{}

func (memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(payload)),
		ContentLength: int64(len(payload)),
		Request:       req,
	}, nil
}

// BenchmarkPaired alternates one request through each client with one
// through bare resty, over loopback (seq) and in memory (mem), and
// reports the ratio of the time each took: ratio-to-resty. Both clients
// meet the same moments of the machine, so a burst of load from another
// process slows both alike, and the ratio stays stable where the times of
// separate runs do not. The order of the two requests alternates too.
func BenchmarkPaired(b *testing.B) {
	url := startHealthyServer(b) + "/api/products/4711"
	for _, run := range []string{"seq", "mem"} {
		for _, name := range healthyClientNames {
			if name == nameResty {
				continue
			}
			b.Run(fmt.Sprintf("%s/client=%s", run, name), func(b *testing.B) {
				var opts clientOptions
				if run == "mem" {
					opts.transport = memoryTransport{}
				}
				benchPaired(b, name, opts, url)
			})
		}
	}
}

func benchPaired(b *testing.B, name string, opts clientOptions, url string) {
	measured, err := newClient(name, modeHealthy, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer measured.closeIdle()
	resty, err := newClient(nameResty, modeHealthy, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer resty.closeIdle()
	measuredTime, restyTime := pairedTimes(b, measured, resty, url)
	if restyTime > 0 {
		b.ReportMetric(float64(measuredTime)/float64(restyTime), "ratio-to-resty")
	}
}

// pairedDifference returns how much longer a request through first takes
// than one through second, on average, from pairedTimes.
func pairedDifference(b *testing.B, first, second *client, url string) time.Duration {
	firstTime, secondTime := pairedTimes(b, first, second, url)
	if b.N == 0 {
		return 0
	}
	return (firstTime - secondTime) / time.Duration(b.N)
}

// pairedTimes makes b.N pairs of requests, one through first and one
// through second in alternating order, and returns the total time that
// each client took.
func pairedTimes(b *testing.B, first, second *client, url string) (firstTime, secondTime time.Duration) {
	ctx := context.Background()
	timed := func(c *client) time.Duration {
		start := time.Now()
		if ok, err := c.get(ctx, url, ""); !ok || err != nil {
			b.Fatalf("%s: ok=%v, err=%v", c.name, ok, err)
		}
		return time.Since(start)
	}
	timed(first) // warm both pools
	timed(second)
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			firstTime += timed(first)
			secondTime += timed(second)
		} else {
			secondTime += timed(second)
			firstTime += timed(first)
		}
	}
	return firstTime, secondTime
}
