package bench

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy/internal/faultserver"
)

const headerRequestID = faultserver.HeaderRequestID

// latencyFile, when set, receives the latency of every call of
// BenchmarkFlaky as CSV, for the latency chart.
var latencyFile = flag.String("latencies", "", "append the latency of every call of BenchmarkFlaky to this CSV `file`")

// Settings of the fault scenarios. Each call of every fault benchmark
// has callDeadline to finish, as a caller's context would give it.
const (
	callDeadline = 5 * time.Second

	flakyRate     = 0.2
	flakyCalls    = 400
	flakyPerSec   = 200
	flakySeed     = 20240611
	outageCallers = 100

	retryAfterCallers = 20
	// retryAfterWindow is when BenchmarkRetryAfter counts the requests of
	// a call: 10 ms before the second that the server asked for is up,
	// so that timer delays cannot let a punctual retry in.
	retryAfterWindow = 990 * time.Millisecond

	connGoroutines = 64
	connCalls      = 10_000
	connRate       = 0.1
	connSeed       = 7
	// connWaitScale divides the default waits in BenchmarkConnections,
	// whose 10 000 calls would otherwise sleep for about 20 s per client.
	connWaitScale = 1000
)

// faultModes are the two settings every fault benchmark runs with.
var faultModes = []mode{modeDefaults, modeEqual}

// call is the outcome of one call in a fault scenario.
type call struct {
	latency time.Duration
	ok      bool
	// earlyRetries counts the retries that reached the server before the
	// wait it requested was over; only BenchmarkRetryAfter sets it.
	earlyRetries int64
}

// totals sums what the server saw over every run of a scenario.
type totals struct {
	requests    int64
	connsPerRun float64
}

// scenario runs one fault scenario for one client against srv and
// returns its calls. It is run once per b.N iteration.
type scenario func(c *client, srv *faultserver.Server, short bool) []call

// runFaults runs scenario for every client and fault mode, and reports
// the success rate, the latency percentiles and the server requests per
// call. extra reports further metrics from the server's statistics.
func runFaults(b *testing.B, opts clientOptions, run scenario, extra func(b *testing.B, t totals, calls []call)) {
	for _, m := range faultModes {
		for _, name := range faultClientNames {
			b.Run(fmt.Sprintf("mode=%s/client=%s", m, name), func(b *testing.B) {
				srv := faultserver.Start(b)
				modeOpts := opts
				if m != modeDefaults {
					modeOpts = clientOptions{}
				}
				var all []call
				var requests, conns int64
				for range b.N {
					b.StopTimer()
					c, err := newClient(name, m, modeOpts)
					if err != nil {
						b.Fatal(err)
					}
					srv.ResetStats()
					before := srv.Stats().ConnsOpened
					b.StartTimer()

					calls := run(c, srv, testing.Short())

					b.StopTimer()
					c.closeIdle()
					st := srv.Stats()
					requests += st.Requests
					conns += st.ConnsOpened - before
					all = append(all, calls...)
					if *latencyFile != "" {
						if err := appendLatencies(*latencyFile, b.Name(), calls); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
				}
				reportCalls(b, all, requests)
				if extra != nil {
					extra(b, totals{
						requests:    requests,
						connsPerRun: float64(conns) / float64(b.N),
					}, all)
				}
			})
		}
	}
}

// reportCalls reports the success rate, the median and 99th percentile
// latency and the server requests per call.
func reportCalls(b *testing.B, calls []call, requests int64) {
	if len(calls) == 0 {
		return
	}
	ok := 0
	latencies := make([]time.Duration, len(calls))
	for i, c := range calls {
		if c.ok {
			ok++
		}
		latencies[i] = c.latency
	}
	b.ReportMetric(100*float64(ok)/float64(len(calls)), "ok-%")
	b.ReportMetric(milliseconds(percentile(latencies, 0.50)), "p50-ms")
	b.ReportMetric(milliseconds(percentile(latencies, 0.99)), "p99-ms")
	b.ReportMetric(float64(requests)/float64(len(calls)), "reqs/call")
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timedCall makes one call with its own deadline and measures it.
func timedCall(c *client, url, id string, deadline time.Duration) call {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	ok, err := c.get(ctx, url, id)
	return call{latency: time.Since(start), ok: ok && err == nil}
}

// BenchmarkFlaky sends calls at a steady rate to a server that responds
// with 503 to a random, seeded 20% of requests. It reports the share of
// calls that succeed and their latency.
func BenchmarkFlaky(b *testing.B) {
	runFaults(b, clientOptions{}, func(c *client, srv *faultserver.Server, short bool) []call {
		url := srv.URLFor("/api/products", faultserver.Behavior{FailRate: flakyRate, Seed: flakySeed})
		n := flakyCalls
		if short {
			n /= 4
		}
		return openLoop(n, flakyPerSec, func(int) call { return timedCall(c, url, "", callDeadline) })
	}, nil)
}

// openLoop starts n calls at perSecond calls a second, each on its own
// goroutine, whatever the latency of earlier calls, as independent users
// would, and returns their outcomes in order.
func openLoop(n, perSecond int, do func(i int) call) []call {
	interval := time.Second / time.Duration(perSecond)
	calls := make([]call, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() { calls[i] = do(i) })
	}
	wg.Wait()
	return calls
}

// concurrently makes n calls at once, one per goroutine, and returns
// their outcomes in order.
func concurrently(n int, do func(i int) call) []call {
	calls := make([]call, n)
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-start
			calls[i] = do(i)
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	return calls
}

// BenchmarkRetryAfter sends concurrent calls to a server that responds
// to the first request of each call with 429 and "Retry-After: 1", and to
// the next ones with 200. Just before the second is up, it reads how many
// requests of each call reached the server. Every request after the first
// is a retry sent before the server said it would be ready.
func BenchmarkRetryAfter(b *testing.B) {
	behavior := faultserver.Behavior{FailFirst: 1, FailStatus: 429, RetryAfter: "1"}
	runFaults(b, clientOptions{}, func(c *client, srv *faultserver.Server, short bool) []call {
		base := srv.URLFor("/api/products", behavior)
		n := retryAfterCallers
		if short {
			n /= 4
		}
		return concurrently(n, func(i int) call {
			// A query of its own gives each call its own failure count.
			id := fmt.Sprintf("call-%d", i)
			url := base + "&call=" + id
			early := make(chan int64, 1)
			time.AfterFunc(retryAfterWindow, func() { early <- srv.RequestIDCount(id) - 1 })
			res := timedCall(c, url, id, callDeadline)
			res.earlyRetries = <-early
			return res
		})
	}, func(b *testing.B, t totals, calls []call) {
		var early int64
		for _, c := range calls {
			early += c.earlyRetries
		}
		b.ReportMetric(float64(early)/float64(len(calls)), "early-retries/call")
	})
}

// BenchmarkOutage sends one call from each of outageCallers goroutines
// at once to a server that responds to every request with 503. It reports
// how many requests each call sent to the server.
func BenchmarkOutage(b *testing.B) {
	runFaults(b, clientOptions{}, func(c *client, srv *faultserver.Server, short bool) []call {
		url := srv.URLFor("/api/products", faultserver.Behavior{FailRate: 1})
		return concurrently(outageCallers, func(int) call { return timedCall(c, url, "", callDeadline) })
	}, nil)
}

// BenchmarkConnections makes connCalls calls from connGoroutines
// goroutines to a server that responds with 503 to a random, seeded 10%
// of requests. It reports the TCP connections that the server accepted.
// In the defaults mode the waits are divided by connWaitScale: a wait
// holds no connection, and every pool here keeps idle connections for
// 90 s, so shorter waits shorten the run without changing what the pools
// do.
func BenchmarkConnections(b *testing.B) {
	runFaults(b, clientOptions{waitScale: connWaitScale}, func(c *client, srv *faultserver.Server, short bool) []call {
		url := srv.URLFor("/api/products", faultserver.Behavior{FailRate: connRate, Seed: connSeed})
		n := connCalls
		if short {
			n /= 10
		}
		return closedLoop(connGoroutines, n, func() call { return timedCall(c, url, "", callDeadline) })
	}, func(b *testing.B, t totals, _ []call) {
		b.ReportMetric(t.connsPerRun, "conns")
	})
}

// closedLoop makes n calls from goroutines goroutines, each starting its
// next call when its last one ends.
func closedLoop(goroutines, n int, do func() call) []call {
	calls := make([]call, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				calls[i] = do()
			}
		})
	}
	wg.Wait()
	return calls
}
