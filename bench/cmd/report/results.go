package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// results contains every measurement of a run, by benchmark name without
// its GOMAXPROCS suffix and by unit.
type results map[string]map[string][]float64

// readResults reads benchmark output files in the format of go test
// -bench.
func readResults(paths ...string) (results, error) {
	out := results{}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r := benchfmt.NewReader(f, path)
		for r.Scan() {
			res, ok := r.Result().(*benchfmt.Result)
			if !ok {
				continue
			}
			name := trimProcs(res.Name.String())
			if out[name] == nil {
				out[name] = map[string][]float64{}
			}
			for _, v := range res.Values {
				value, unit := v.Value, v.Unit
				if v.OrigUnit == "" {
					// benchfmt keeps a value whose tidying changes nothing,
					// such as 0 ns, under its original unit. Tidy the unit
					// here, so that every round of a benchmark is found
					// under the same unit.
					value, unit = benchunit.Tidy(value, unit)
				}
				out[name][unit] = append(out[name][unit], value)
			}
		}
		err = r.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return out, nil
}

// trimProcs removes the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

// stat is the median of the samples of one benchmark and unit, with its
// 95% confidence interval as benchstat computes it.
type stat struct {
	ok      bool
	n       int
	summary benchmath.Summary
}

// get returns the statistics of benchmark name in unit. Time is in the
// unit "sec/op", as benchfmt tidies "ns/op". Values that are not finite
// numbers are left out.
func (r results) get(name, unit string) stat {
	var values []float64
	for _, v := range r[name][unit] {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return stat{}
	}
	sample := benchmath.NewSample(values, &benchmath.DefaultThresholds)
	return stat{ok: true, n: len(values), summary: benchmath.AssumeNothing.Summary(sample, 0.95)}
}

func (s stat) center() float64 { return s.summary.Center }

// spread returns the half-width of the confidence interval as "±4%", or
// "" when there are too few samples for a finite one. An interval that
// does not lie above zero has no percentage, so it is marked instead.
func (s stat) spread() string {
	if !hasInterval(s) {
		return ""
	}
	switch {
	case s.summary.Hi < 0:
		return "(interval below 0)"
	case s.summary.Lo <= 0:
		return "(interval spans 0)"
	}
	return "±" + s.summary.PctRangeString()
}
