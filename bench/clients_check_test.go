package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
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
// benchmarks build it. It must set sturdy's timeout and auth headers. Its
// completion line must match that of sturdy's default stack: the same
// level, message and fields, in the same order and of the same JSON types.
func TestRestySameWorkMatchesSturdy(t *testing.T) {
	url := startHealthyServer(t) + "/api/products/4711"
	var lines bytes.Buffer
	logOutput = &lines
	defer func() { logOutput = io.Discard }()

	same, err := newClient(nameRestySameWork, modeHealthy, clientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer same.closeIdle()
	if got := same.resty.GetClient().Timeout; got != sturdy.DefaultTimeout {
		t.Errorf("timeout: got %v, want %v", got, sturdy.DefaultTimeout)
	}
	for name, want := range map[string]string{
		middleware.HeaderAuthID:        headerAuthID,
		middleware.HeaderAuthSignature: headerAuthSignature,
	} {
		if got := same.resty.Header.Get(name); got != want {
			t.Errorf("header %s: got %q, want %q", name, got, want)
		}
	}

	stack, err := newClient(nameSturdy, modeHealthy, clientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.closeIdle()

	if ok, err := same.get(context.Background(), url, ""); !ok || err != nil {
		t.Fatalf("%s: ok=%v, err=%v", nameRestySameWork, ok, err)
	}
	sameKeys, sameFields := takeLine(t, &lines)
	if ok, err := stack.get(context.Background(), url, ""); !ok || err != nil {
		t.Fatalf("%s: ok=%v, err=%v", nameSturdy, ok, err)
	}
	stackKeys, stackFields := takeLine(t, &lines)

	if !slices.Equal(sameKeys, stackKeys) {
		t.Errorf("fields: resty wrote %v, sturdy %v", sameKeys, stackKeys)
	}
	for _, key := range stackKeys {
		got, want := sameFields[key], stackFields[key]
		if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			t.Errorf("field %q: resty wrote %T %v, sturdy %T %v", key, got, got, want, want)
			continue
		}
		if key != middleware.FieldDuration && got != want {
			t.Errorf("field %q: resty wrote %v, sturdy %v", key, got, want)
		}
	}
	// zerolog writes durations in milliseconds by default.
	timeoutMillis := float64(sturdy.DefaultTimeout / time.Millisecond)
	for client, fields := range map[string]map[string]any{nameRestySameWork: sameFields, nameSturdy: stackFields} {
		if d, ok := fields[middleware.FieldDuration].(float64); !ok || d <= 0 || d >= timeoutMillis {
			t.Errorf("%s: duration %v, want milliseconds between 0 and %v", client, fields[middleware.FieldDuration], timeoutMillis)
		}
	}
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
