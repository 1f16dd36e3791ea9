package bench

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
)

// percentile returns the q-quantile of durations by the nearest-rank
// method: the smallest value that at least q of them do not exceed. It
// sorts durations in place and returns 0 for an empty slice.
func percentile(durations []time.Duration, q float64) time.Duration {
	if len(durations) == 0 {
		return 0
	}
	slices.Sort(durations)
	rank := int(math.Ceil(q * float64(len(durations))))
	return durations[min(max(rank, 1), len(durations))-1]
}

// appendLatencies appends one CSV line per call to path: the benchmark's
// name, the latency in seconds and whether the call succeeded.
func appendLatencies(path, benchmark string, calls []call) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening latency file: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, c := range calls {
		fmt.Fprintf(w, "%s,%.6f,%t\n", benchmark, c.latency.Seconds(), c.ok)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing latency file: %w", err)
	}
	return f.Close()
}
