package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

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

// TestRestySameWorkLogsAsSturdy checks that resty doing sturdy's work
// writes the completion line of sturdy's default stack: the same level,
// message and fields.
func TestRestySameWorkLogsAsSturdy(t *testing.T) {
	url := startHealthyServer(t) + "/api/products/4711"
	var restyLog, sturdyLog bytes.Buffer

	rc := newRestySameWork(modeHealthy, clientOptions{}, zerolog.New(&restyLog).Level(zerolog.InfoLevel))
	defer rc.closeIdle()
	sc, err := sturdy.New(
		sturdy.WithHeaderAuth(headerAuthID, headerAuthSignature),
		sturdy.WithLogger(zerolog.New(&sturdyLog).Level(zerolog.InfoLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.CloseIdleConnections()

	if ok, err := rc.get(context.Background(), url, ""); !ok || err != nil {
		t.Fatalf("resty: ok=%v, err=%v", ok, err)
	}
	if _, err := sc.R().Get(url); err != nil {
		t.Fatalf("sturdy: %v", err)
	}

	restyLine, sturdyLine := decodeLine(t, &restyLog), decodeLine(t, &sturdyLog)
	if len(restyLine) != len(sturdyLine) {
		t.Errorf("resty line %v, sturdy line %v: want the same fields", restyLine, sturdyLine)
	}
	for key, want := range sturdyLine {
		got, ok := restyLine[key]
		if !ok {
			t.Errorf("resty line has no field %q", key)
			continue
		}
		if key != middleware.FieldDuration && got != want {
			t.Errorf("field %q: resty wrote %v, sturdy %v", key, got, want)
		}
	}
}

// decodeLine decodes the only line in buf.
func decodeLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf.Bytes())
	}
	var fields map[string]any
	if err := json.Unmarshal(lines[0], &fields); err != nil {
		t.Fatalf("log line %q: %v", lines[0], err)
	}
	return fields
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
