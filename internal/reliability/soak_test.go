package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/internal/faultserver"
)

const (
	// maxSoak caps the -soak flag.
	maxSoak = time.Minute
	// soakWorkers is the number of goroutines that send calls.
	soakWorkers = 16
	// soakAttemptTimeout is the per-attempt timeout of the soak client;
	// the proxy's latency toxic exceeds it.
	soakAttemptTimeout = 100 * time.Millisecond
	// heapTolerance is how far the live heap may grow over the soak,
	// measured after a garbage collection with every call finished and
	// the server's counters cleared.
	heapTolerance = 4 << 20
	// goroutineTolerance is how many more goroutines than at the start
	// may run at the end, for runtime goroutines that start lazily.
	goroutineTolerance = 2
)

// soakScenario is one kind of call the soak test makes.
type soakScenario struct {
	name     string
	method   string
	behavior faultserver.Behavior
	// maxSeen is the most times the server may see the call. For a POST
	// it is the requests the server may reject plus the one it processes.
	maxSeen int64
	// proxied sends the call through the proxy and its toxics. Only
	// scenarios whose every response is one small write go through it:
	// toxiproxy v2.5.0 leaks a goroutine for each connection that closes
	// while a toxic still holds a further chunk of the same direction.
	proxied bool
}

var soakScenarios = []soakScenario{
	{"healthy GET", http.MethodGet, faultserver.Behavior{}, 6, true},
	{"healthy GET of 4 KiB", http.MethodGet, faultserver.Behavior{Bytes: 4096}, 6, false},
	{"GET after two 503s", http.MethodGet, faultserver.Behavior{FailFirst: 2}, 6, true},
	{"GET at a 20% failure rate", http.MethodGet, faultserver.Behavior{FailRate: 0.2, Seed: 7}, 6, true},
	{"GET reset mid-body", http.MethodGet, faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultReset, Bytes: 2048}, 6, false},
	{"GET hanging once", http.MethodGet, faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultHang}, 6, true},
	{"GET stalling once", http.MethodGet, faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultStall, Bytes: 2048}, 6, false},
	{"healthy POST", http.MethodPost, faultserver.Behavior{}, 1, true},
	{"POST after a 429", http.MethodPost, faultserver.Behavior{FailFirst: 1, FailStatus: http.StatusTooManyRequests}, 2, true},
	{"POST after a 503 with Retry-After", http.MethodPost, faultserver.Behavior{FailFirst: 1, RetryAfter: "1"}, 2, true},
	{"POST cut short", http.MethodPost, faultserver.Behavior{FailFirst: 1, Fail: faultserver.FaultCut}, 1, false},
}

// TestSoak sends calls from soakWorkers goroutines for the -soak
// duration to a server whose scripts fail in every way it can script,
// part of them through a proxy that delays or resets a share of the connections
// (see soakScenario.proxied). It
// checks that every call returns, that every failed call ends with a
// *sturdy.Error, that no POST reaches the server more often than its
// scenario allows, and that the live heap and the
// goroutine count after the run match those after a warm-up, within
// heapTolerance and goroutineTolerance.
func TestSoak(t *testing.T) {
	if *soakDuration > maxSoak {
		t.Fatalf("-soak %v is longer than the cap of %v", *soakDuration, maxSoak)
	}
	checkLeaks(t)
	srv := faultserver.Start(t)
	proxy := faultserver.StartProxy(t, srv.Addr)
	proxy.Add("latency", faultserver.Downstream, 0.03, map[string]any{"latency": 2 * soakAttemptTimeout.Milliseconds()})
	proxy.Add("reset_peer", faultserver.Downstream, 0.02, map[string]any{"timeout": 0})
	clients := soakClients{
		direct:  newSoakClient(t, srv.URL),
		proxied: newSoakClient(t, proxy.URL),
	}

	warmUp := max(*soakDuration/10, 300*time.Millisecond)
	runSoakPhase(t, clients, srv, "warm-up", warmUp, 1)
	heapBefore, goroutinesBefore := quiesce(t, clients, srv)

	stats := runSoakPhase(t, clients, srv, "soak", *soakDuration, 2)
	heapAfter, goroutinesAfter := quiesce(t, clients, srv)

	t.Logf("soak of %v: %s", *soakDuration, stats)
	t.Logf("live heap %d KiB before, %d KiB after; goroutines %d before, %d after",
		heapBefore>>10, heapAfter>>10, goroutinesBefore, goroutinesAfter)
	if stats.calls < 100 {
		t.Errorf("calls made: got %d, want at least 100", stats.calls)
	}
	if stats.otherErrors > 0 {
		t.Errorf("calls that failed without a *sturdy.Error: got %d, want 0", stats.otherErrors)
	}
	if heapAfter > heapBefore+heapTolerance {
		t.Errorf("live heap grew from %d to %d bytes, more than the tolerance of %d", heapBefore, heapAfter, heapTolerance)
	}
	if goroutinesAfter > goroutinesBefore+goroutineTolerance {
		t.Errorf("goroutines: got %d after the soak, want at most %d + %d", goroutinesAfter, goroutinesBefore, goroutineTolerance)
	}
}

// soakClients are the two clients of the soak test, one to the server
// and one to the proxy in front of it.
type soakClients struct {
	direct, proxied *sturdy.Client
}

func (c soakClients) pick(sc soakScenario) *sturdy.Client {
	if sc.proxied {
		return c.proxied
	}
	return c.direct
}

func newSoakClient(t *testing.T, baseURL string) *sturdy.Client {
	t.Helper()
	client, _ := newClient(t, baseURL, sturdy.WithTimeout(soakAttemptTimeout))
	return client
}

// soakStats counts the outcomes of a soak phase.
type soakStats struct {
	calls, ok, sturdyErrors, otherErrors int64
}

func (s soakStats) String() string {
	return fmt.Sprintf("%d calls: %d succeeded, %d ended with a *sturdy.Error, %d with another error",
		s.calls, s.ok, s.sturdyErrors, s.otherErrors)
}

// runSoakPhase sends calls for d and checks what the server saw of each
// POST. seed makes each phase draw its own scenarios.
func runSoakPhase(t *testing.T, clients soakClients, srv *faultserver.Server, phase string, d time.Duration, seed uint64) soakStats {
	t.Helper()
	var (
		calls, ok, sturdyErrors, otherErrors atomic.Int64
		wg                                   sync.WaitGroup
		mu                                   sync.Mutex
		posts                                = map[string]int64{} // request ID to maxSeen
	)
	end := time.Now().Add(d)
	for w := range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for n := 0; time.Now().Before(end); n++ {
				sc := soakScenarios[rng.IntN(len(soakScenarios))]
				id := fmt.Sprintf("%s-w%d-n%d", phase, w, n)
				if sc.method == http.MethodPost {
					mu.Lock()
					posts[id] = sc.maxSeen
					mu.Unlock()
				}
				err := soakCall(clients.pick(sc), sc, id)
				calls.Add(1)
				var se *sturdy.Error
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &se):
					sturdyErrors.Add(1)
				default:
					otherErrors.Add(1)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d + callDeadline + settleTime):
		t.Fatalf("%s: calls still running %v after the phase ended", phase, callDeadline+settleTime)
	}

	seen := srv.RequestIDs()
	for id, maxSeen := range posts {
		if got := seen[id]; got > maxSeen {
			t.Errorf("%s: POST %s reached the server %d times, want at most %d", phase, id, got, maxSeen)
		}
	}
	return soakStats{calls: calls.Load(), ok: ok.Load(), sturdyErrors: sturdyErrors.Load(), otherErrors: otherErrors.Load()}
}

// soakCall makes one call of scenario sc. Each call has a query of its
// own, so that its scripted failures count for it alone.
func soakCall(client *sturdy.Client, sc soakScenario, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
	defer cancel()
	q := sc.behavior.Query()
	q.Set("id", id)
	req := client.R().SetContext(ctx).SetHeader(faultserver.HeaderRequestID, id).SetQueryParamsFromValues(q)
	if sc.method == http.MethodPost {
		req.SetBody(map[string]string{"call": id})
	}
	resp, err := req.Execute(sc.method, "/soak")
	if err == nil && resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return err
}

// quiesce waits until no connection is open, clears the server's
// counters, and returns the live heap after a garbage collection and the
// number of goroutines.
func quiesce(t *testing.T, clients soakClients, srv *faultserver.Server) (uint64, int) {
	t.Helper()
	clients.direct.CloseIdleConnections()
	checkConnsReleased(t, clients.proxied, srv)
	srv.ResetStats()
	// Goroutines of closed connections end shortly after the close, the
	// proxy's after its latency toxic has held a chunk for up to twice
	// the attempt timeout: wait until the count holds for 300 ms.
	goroutines, steady := runtime.NumGoroutine(), 0
	eventually(func() bool {
		time.Sleep(10 * time.Millisecond)
		if n := runtime.NumGoroutine(); n != goroutines {
			goroutines, steady = n, 0
			return false
		}
		steady++
		return steady >= 30
	})
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, goroutines
}
