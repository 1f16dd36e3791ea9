package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

// TestClients checks that every client, in every mode, fetches the
// payload, so that a benchmark never measures a broken client.
func TestClients(t *testing.T) {
	url := startHealthyServer(t) + "/api/products/4711"
	for _, m := range []mode{modeHealthy, modeDefaults, modeEqual} {
		names := faultClientNames
		if m == modeHealthy {
			names = healthyClientNames
		}
		for _, name := range names {
			t.Run(fmt.Sprintf("%s/%s", m, name), func(t *testing.T) {
				c, err := newClient(name, m, clientOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer c.closeIdle()
				ok, err := c.get(context.Background(), url, "")
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				if !ok {
					t.Fatal("get: got a failed call, want status 200")
				}
			})
		}
	}
}

// TestRestySameWorkMatchesSturdy checks resty doing sturdy's work as the
// benchmarks build it, against sturdy's default stack. Both must send the
// same auth headers, and the resty client must keep sturdy's timeout,
// pool and lack of resty retries. Each call must write one completion
// line like the default stack's: the same level, message and fields, in
// the same order, of the same JSON types, with durations in the same unit.
func TestRestySameWorkMatchesSturdy(t *testing.T) {
	var mu sync.Mutex
	var received []http.Header
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":4711}`)
	}))
	defer server.Close()
	var lines bytes.Buffer
	logOutput = &lines
	defer func() { logOutput = io.Discard }()

	same, err := newClient(nameRestySameWork, modeHealthy, clientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer same.closeIdle()
	stack, err := newClient(nameSturdy, modeHealthy, clientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.closeIdle()

	// Several calls, so that a client that logs only some of them fails.
	const calls = 3
	sameLines := callAndTakeLines(t, same, server.URL, calls, &lines)
	stackLines := callAndTakeLines(t, stack, server.URL, calls, &lines)

	if same.name != nameRestySameWork {
		t.Errorf("name: got %q, want %q", same.name, nameRestySameWork)
	}
	hc := same.resty.GetClient()
	if hc.Timeout != sturdy.DefaultTimeout {
		t.Errorf("timeout after the calls: got %v, want %v", hc.Timeout, sturdy.DefaultTimeout)
	}
	if same.resty.RetryCount != 0 {
		t.Errorf("resty retries: got %d, want 0", same.resty.RetryCount)
	}
	if pool, ok := hc.Transport.(*http.Transport); !ok || pool.MaxIdleConnsPerHost != sturdy.DefaultPool.MaxIdleConnsPerHost {
		t.Errorf("transport %T: want an *http.Transport with sturdy's pool", hc.Transport)
	}
	inMemory, err := newClient(nameRestySameWork, modeHealthy, clientOptions{transport: memoryTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := inMemory.resty.GetClient().Transport; got != (memoryTransport{}) {
		t.Errorf("in-memory transport: got %T, want memoryTransport", got)
	}

	if len(received) != 2*calls {
		t.Fatalf("server received %d requests, want %d", len(received), 2*calls)
	}
	for i := range calls {
		for _, name := range []string{middleware.HeaderAuthID, middleware.HeaderAuthSignature} {
			got, want := received[i].Values(name), received[calls+i].Values(name)
			if !slices.Equal(got, want) || len(want) != 1 {
				t.Errorf("call %d, header %s: resty sent %q, sturdy %q", i+1, name, got, want)
			}
		}
	}

	for i := range calls {
		sameLine, stackLine := sameLines[i], stackLines[i]
		if !slices.Equal(sameLine.keys, stackLine.keys) {
			t.Errorf("call %d, fields: resty wrote %v, sturdy %v", i+1, sameLine.keys, stackLine.keys)
		}
		for _, key := range stackLine.keys {
			got, want := sameLine.fields[key], stackLine.fields[key]
			if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
				t.Errorf("call %d, field %q: resty wrote %T %v, sturdy %T %v", i+1, key, got, got, want, want)
				continue
			}
			if key != middleware.FieldDuration && got != want {
				t.Errorf("call %d, field %q: resty wrote %v, sturdy %v", i+1, key, got, want)
			}
		}
	}

	// zerolog writes durations in milliseconds by default. Calls to the
	// same server take about as long, so another unit, which differs by a
	// factor of 1000 or more, shows in the ratio of the medians.
	sameMillis, stackMillis := durations(t, sameLines), durations(t, stackLines)
	timeoutMillis := float64(sturdy.DefaultTimeout / time.Millisecond)
	for _, d := range append(slices.Clone(sameMillis), stackMillis...) {
		if d <= 0 || d >= timeoutMillis {
			t.Errorf("duration %v, want milliseconds between 0 and %v", d, timeoutMillis)
		}
	}
	if ratio := median(sameMillis) / median(stackMillis); ratio > 100 || ratio < 0.01 {
		t.Errorf("median duration: resty wrote %v, sturdy %v: want the same unit", median(sameMillis), median(stackMillis))
	}
}

// logLine is one decoded log line: its keys in order and its fields.
type logLine struct {
	keys   []string
	fields map[string]any
}

// callAndTakeLines makes n calls through c and returns the log line of
// each. Every call must write exactly one line into lines.
func callAndTakeLines(t *testing.T, c *client, url string, n int, lines *bytes.Buffer) []logLine {
	t.Helper()
	var out []logLine
	for i := range n {
		if ok, err := c.get(context.Background(), url, ""); !ok || err != nil {
			t.Fatalf("%s, call %d: ok=%v, err=%v", c.name, i+1, ok, err)
		}
		keys, fields := takeLine(t, lines)
		out = append(out, logLine{keys, fields})
	}
	return out
}

// durations returns the duration field of each line, which must be a
// JSON number.
func durations(t *testing.T, lines []logLine) []float64 {
	t.Helper()
	var out []float64
	for _, line := range lines {
		d, ok := line.fields[middleware.FieldDuration].(float64)
		if !ok {
			t.Fatalf("duration %v: want a JSON number", line.fields[middleware.FieldDuration])
		}
		out = append(out, d)
	}
	return out
}

// median returns the median of values, which must not be empty.
func median(values []float64) float64 {
	sorted := slices.Sorted(slices.Values(values))
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// takeLine decodes the only log line in lines and empties it. It returns
// the line's keys in order and its fields.
func takeLine(t *testing.T, lines *bytes.Buffer) ([]string, map[string]any) {
	t.Helper()
	text := bytes.TrimSpace(lines.Bytes())
	lines.Reset()
	if len(text) == 0 {
		t.Fatal("got no log line, want 1")
	}
	if n := bytes.Count(text, []byte("\n")) + 1; n != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", n, text)
	}

	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("log line %s: want a JSON object (token %v, error %v)", text, tok, err)
	}
	var keys []string
	fields := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("log line %s: %v", text, err)
		}
		key := tok.(string)
		var value any
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("log line %s, field %q: %v", text, key, err)
		}
		keys = append(keys, key)
		fields[key] = value
	}
	return keys, fields
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 0.99, 4 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9 * time.Millisecond},
	}
	for _, c := range cases {
		if got := percentile(c.values, c.q); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.values, c.q, got, c.want)
		}
	}
}
