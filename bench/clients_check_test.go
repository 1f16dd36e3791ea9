package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
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
