package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pairedResults returns the paired ratios of resty doing sturdy's work
// and of sturdy's default stack, one value per round. A nil slice leaves
// the client out.
func pairedResults(same, stack []float64) results {
	r := results{}
	if same != nil {
		r[pairedName("seq", "resty-samework")] = map[string][]float64{unitRatio: same}
	}
	if stack != nil {
		r[pairedName("seq", "sturdy")] = map[string][]float64{unitRatio: stack}
	}
	return r
}

// rounds returns n copies of v.
func rounds(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestSameWorkSentence(t *testing.T) {
	cases := []struct {
		name        string
		same, stack []float64
		want        []string
	}{
		{
			name:  "interval above the goal, stack slower",
			same:  rounds(6, 1.08),
			stack: rounds(6, 1.10),
			want: []string{
				"takes 1.08× bare resty, so that work alone costs more than the goal of 1.05× allows, beyond its interval.",
				"The default stack takes longer than it, beyond the intervals of both.",
			},
		},
		{
			name:  "centre above, interval includes the goal, intervals overlap",
			same:  []float64{1.04, 1.06, 1.07, 1.07, 1.08, 1.09},
			stack: []float64{1.05, 1.07, 1.08, 1.09, 1.10, 1.11},
			want: []string{
				"takes 1.07× bare resty, above the goal of 1.05×, but its interval includes the goal.",
				"The intervals of the default stack and of resty doing the same work overlap",
			},
		},
		{
			name:  "centre within, interval reaches above, stack faster",
			same:  []float64{1.01, 1.02, 1.03, 1.03, 1.04, 1.10},
			stack: rounds(6, 1.00),
			want: []string{
				"takes 1.03× bare resty, within the goal of 1.05×, but its interval reaches above the goal.",
				"The default stack takes less time than it, beyond the intervals of both.",
			},
		},
		{
			name:  "rounds to the goal",
			same:  rounds(6, 1.0504),
			stack: rounds(6, 1.08),
			want:  []string{"takes 1.05× bare resty, within the goal of 1.05×, and so is its interval."},
		},
		{
			name:  "too few rounds for intervals",
			same:  rounds(3, 1.08),
			stack: rounds(3, 1.10),
			want: []string{
				"takes 1.08× bare resty, above the goal of 1.05×.",
				"The default stack takes longer, 1.10×, but without intervals",
			},
		},
		{
			name:  "same printed ratio",
			same:  []float64{1.099, 1.099, 1.099, 1.099, 1.099, 1.099},
			stack: rounds(6, 1.101),
			want:  []string{"The default stack takes 1.10× bare resty too."},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sameWork(pairedResults(c.same, c.stack))
			for _, want := range c.want {
				if !strings.Contains(got, want) {
					t.Errorf("sentence %q\nlacks %q", got, want)
				}
			}
		})
	}
}

func TestSameWorkSentenceOmitted(t *testing.T) {
	cases := map[string]results{
		"resty doing the work missing": pairedResults(nil, rounds(6, 1.10)),
		"default stack missing":        pairedResults(rounds(6, 1.08), nil),
		"ratio not a number":           pairedResults(rounds(6, math.NaN()), rounds(6, 1.10)),
		"ratio zero":                   pairedResults(rounds(6, 0), rounds(6, 1.10)),
	}
	for name, r := range cases {
		if got := sameWork(r); got != "" {
			t.Errorf("%s: got %q, want no sentence", name, got)
		}
	}
}

func TestWithinGoalRounds(t *testing.T) {
	cases := map[float64]string{
		1.00:   "not a goal (within 1.05×)",
		1.0504: "not a goal (within 1.05×)",
		1.0551: "not a goal (above 1.05×)",
		1.10:   "not a goal (above 1.05×)",
	}
	for ratio, want := range cases {
		if got := withinGoal(ratio); got != want {
			t.Errorf("withinGoal(%v) = %q, want %q", ratio, got, want)
		}
	}
}

func TestGoalsOrder(t *testing.T) {
	r := pairedResults(rounds(6, 1.07), rounds(6, 1.10))
	for _, client := range []string{"sturdy", "resty"} {
		r[healthyName("seq", client)] = map[string][]float64{unitTime: rounds(6, 100e-6)}
		r[healthyName("mem", client)] = map[string][]float64{unitCPU: rounds(6, 5e-6)}
	}
	rows := goals(r, -1).Rows
	if len(rows) < 4 {
		t.Fatalf("got %d rows, want at least 4: %v", len(rows), rows)
	}
	wantStarts := []string{
		"Default stack at most 1.05×",
		"The same, estimated from the in-memory CPU time",
		"For comparison: resty doing the default stack's work itself",
		"For comparison: the default stack over resty doing the same work",
	}
	for i, want := range wantStarts {
		if !strings.HasPrefix(rows[i][0], want) {
			t.Errorf("row %d: got %q, want it to start with %q", i, rows[i][0], want)
		}
	}
	if got := rows[0][2]; got != "no" {
		t.Errorf("time goal met: got %q, want no", got)
	}
	if got := rows[3][1]; got != "1.03×, the quotient of the two paired ratios" {
		t.Errorf("default stack over resty doing the same work: got %q", got)
	}
}

func TestChainSentenceIntervalSpansZero(t *testing.T) {
	r := results{}
	for _, n := range chainLengths {
		r[chainName("loopback", n)] = map[string][]float64{unitTime: rounds(6, 100e-6), unitAllocs: rounds(6, 74)}
		r[chainName("memory", n)] = map[string][]float64{unitTime: rounds(6, 5e-6), unitAllocs: rounds(6, 36), unitBytes: rounds(6, 5700)}
	}
	r[chainName("paired", 64)] = map[string][]float64{unitPerMiddleware: {-6e-9, -1e-9, 3e-9, 4e-9, 8e-9, 10e-9}}
	_, sentence := chainTable(r)
	want := "Its interval, from -6.0 ns to 10 ns, includes 0, so in this run the cost of one middleware is too small to tell from the noise. The upper end of the interval is 10 ns."
	if !strings.Contains(sentence, want) {
		t.Errorf("sentence %q\nlacks %q", sentence, want)
	}

	r[chainName("paired", 64)] = map[string][]float64{unitPerMiddleware: rounds(6, 3e-9)}
	if _, sentence := chainTable(r); strings.Contains(sentence, "includes 0") || strings.Contains(sentence, "noise") {
		t.Errorf("sentence %q: the interval lies above 0", sentence)
	}

	r[chainName("paired", 64)] = map[string][]float64{unitPerMiddleware: {-6e-9, -5e-9, -4e-9, -3e-9, -2e-9, -2e-9}}
	if _, sentence := chainTable(r); !strings.Contains(sentence, "Its interval, from -6.0 ns to -2.0 ns, lies below 0.") {
		t.Errorf("sentence %q: want the interval below 0 named", sentence)
	}

	r[chainName("paired", 64)] = map[string][]float64{unitPerMiddleware: rounds(3, -3e-9)}
	if _, sentence := chainTable(r); !strings.Contains(sentence, "a figure of 0 or below is noise") {
		t.Errorf("sentence %q: want a figure below 0 without an interval called noise", sentence)
	}
}

func TestRoundRatioMatchesPrint(t *testing.T) {
	for _, ratio := range []float64{1.045, 1.05, 1.0504, 1.055, 1.065, 1.075, 1.0999} {
		printed := fmt.Sprintf("%.2f", ratio)
		if got := fmt.Sprintf("%.2f", roundRatio(ratio)); got != printed {
			t.Errorf("roundRatio(%v) prints %s, want %s", ratio, got, printed)
		}
	}
	if got := withinGoal(1.055); got != "not a goal (within 1.05×)" {
		t.Errorf("withinGoal(1.055), printed as 1.05×: got %q", got)
	}
}

func TestSpread(t *testing.T) {
	cases := []struct {
		name   string
		values []float64
		want   string
	}{
		{"six rounds", []float64{1.0, 1.0, 1.1, 1.1, 1.2, 1.2}, "±"},
		{"three rounds", rounds(3, 1.1), ""},
		{"interval spans 0", []float64{-1, -1, 1, 2, 3, 4}, "(interval spans 0)"},
		{"interval below 0", []float64{-6, -5, -4, -3, -2, -2}, "(interval below 0)"},
	}
	for _, c := range cases {
		s := results{"b": {"u": c.values}}.get("b", "u")
		if got := s.spread(); !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("%s: spread %q, want %q", c.name, got, c.want)
		}
	}
}

func TestGetSkipsNonFinite(t *testing.T) {
	s := results{"b": {"u": {1, 2, math.NaN(), 3, math.Inf(1), 4, 5, 6}}}.get("b", "u")
	if s.n != 6 {
		t.Errorf("n = %d, want the 6 finite values", s.n)
	}
	if s.center() != 3.5 {
		t.Errorf("median = %v, want 3.5", s.center())
	}
}

func TestReadResultsTidiesZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.txt")
	text := "BenchmarkChain/paired/middleware=64-2 \t 100 \t 5 ns/op \t 0 ns-per-middleware\n" +
		"BenchmarkChain/paired/middleware=64-2 \t 100 \t 5 ns/op \t 4 ns-per-middleware\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := readResults(path)
	if err != nil {
		t.Fatal(err)
	}
	got := r[chainName("paired", 64)][unitPerMiddleware]
	if len(got) != 2 || got[0] != 0 || got[1] != 4e-9 {
		t.Errorf("%s values %v, want [0 4e-09]", unitPerMiddleware, got)
	}
}
