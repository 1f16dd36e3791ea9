package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
)

// page is everything performance.md.tmpl shows.
type page struct {
	Machine     machine
	Command     string
	Commit      string
	Date        string
	Benchtime   string
	Rounds      int
	FaultRounds int

	HealthySeq, HealthyPar, HealthyMem table
	Paired                             table
	OwnWork                            table
	OwnWorkSlower, EstimateVsPaired    string
	SameWork                           string
	Goals                              table
	Chain                              table
	ChainPerMiddleware                 string

	Flaky, RetryAfter, Outage, Connections map[string]table

	Benchstat, ProfileCPU, ProfileAllocs, ProfileLogging string
}

// table is a Markdown table.
type table struct {
	Header []string
	Rows   [][]string
}

// Markdown renders t, right-aligning every column but the first.
func (t table) Markdown() string {
	if len(t.Rows) == 0 {
		return "(no results in this run)\n"
	}
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for i := range t.Header {
		if i == 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

// Client names in benchmark names, in table order, and their labels on
// the page.
var (
	healthyClients = []string{"nethttp", "resty", "resty-timeout", "resty-auth", "resty-samework", "sturdy", "sturdy-nolog", "sturdy-authonly", "retryablehttp", "failsafe"}
	faultClients   = []string{"nethttp", "resty", "sturdy", "sturdy-nolog", "sturdy-nobudget", "retryablehttp", "failsafe"}
	clientLabels   = map[string]string{
		"nethttp":         "net/http",
		"resty":           "resty v2",
		"resty-timeout":   "resty v2, 30 s timeout",
		"resty-auth":      "resty v2, sturdy's auth headers",
		"resty-samework":  "resty v2, doing sturdy's work",
		"sturdy":          "sturdy, default stack",
		"sturdy-nolog":    "sturdy, logging off",
		"sturdy-nobudget": "sturdy, retry budget off",
		"sturdy-authonly": "sturdy, auth only",
		"retryablehttp":   "go-retryablehttp",
		"failsafe":        "failsafe-go",
	}
	faultModes = []string{"defaults", "equal"}
)

// Units as benchfmt reads them.
const (
	unitTime   = "sec/op"
	unitCPU    = "cpu-sec/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
	unitOK     = "ok-%"
	unitP50    = "p50-ms"
	unitP99    = "p99-ms"
	unitReqs   = "reqs/call"
	unitEarly  = "early-retries/call"
	unitConns  = "conns"
	unitRatio  = "ratio-to-resty"
	unitOwn    = "own-sec/op"
	// unitPerMiddleware is "ns-per-middleware" as benchfmt tidies it.
	unitPerMiddleware = "sec-per-middleware"
)

func buildPage(r results) page {
	p := page{
		HealthySeq:  healthyTable(r, "seq", unitTime),
		HealthyPar:  healthyTable(r, "par", unitTime),
		HealthyMem:  healthyTable(r, "mem", unitCPU),
		Paired:      pairedTable(r),
		OwnWork:     ownWorkTable(r),
		Flaky:       map[string]table{},
		RetryAfter:  map[string]table{},
		Outage:      map[string]table{},
		Connections: map[string]table{},
	}
	p.Chain, p.ChainPerMiddleware = chainTable(r)
	p.OwnWorkSlower = ownWorkSlower(r)
	p.EstimateVsPaired = estimateVsPaired(r)
	p.SameWork = sameWork(r)
	for _, m := range faultModes {
		p.Flaky[m] = faultTable(r, "Flaky", m,
			[]string{"Client", "Calls that succeed", "p50 latency", "p99 latency", "Requests per call"},
			[]cell{percentCell(unitOK), millisCell(unitP50), millisCell(unitP99), numberCell(unitReqs, 2)})
		p.RetryAfter[m] = faultTable(r, "RetryAfter", m,
			[]string{"Client", "Retries before the second is up, per call", "Calls that succeed", "p50 latency"},
			[]cell{numberCell(unitEarly, 2), percentCell(unitOK), millisCell(unitP50)})
		p.Outage[m] = faultTable(r, "Outage", m,
			[]string{"Client", "Requests per call", "p50 time to fail", "p99 time to fail"},
			[]cell{numberCell(unitReqs, 2), millisCell(unitP50), millisCell(unitP99)})
		p.Connections[m] = faultTable(r, "Connections", m,
			[]string{"Client", "TCP connections opened", "Calls that succeed", "Requests per call"},
			[]cell{numberCell(unitConns, 0), percentCell(unitOK), numberCell(unitReqs, 3)})
	}
	return p
}

func healthyName(run, client string) string {
	return fmt.Sprintf("Healthy/%s/client=%s", run, client)
}

// healthyTable returns the table of one healthy-path run, with ratios of
// the time in unit: wall time, or CPU time for the in-memory run.
func healthyTable(r results, run, unit string) table {
	header := []string{"Client", "Time per request"}
	if unit == unitCPU {
		header = append(header, "CPU per request")
	}
	t := table{Header: append(header, "× resty", "× net/http", "B/op", "allocs/op", "allocs vs resty")}
	resty := r.get(healthyName(run, "resty"), unit)
	nethttp := r.get(healthyName(run, "nethttp"), unit)
	restyAllocs := r.get(healthyName(run, "resty"), unitAllocs)
	for _, c := range healthyClients {
		name := healthyName(run, c)
		tm := r.get(name, unitTime)
		if !tm.ok {
			continue
		}
		row := []string{clientLabels[c], withSpread(formatSeconds(tm.center()), tm)}
		measured := tm
		if unit == unitCPU {
			measured = r.get(name, unitCPU)
			row = append(row, withSpread(formatSeconds(measured.center()), measured))
		}
		allocs := r.get(name, unitAllocs)
		t.Rows = append(t.Rows, append(row,
			ratio(measured, resty),
			ratio(measured, nethttp),
			formatNumber(r.get(name, unitBytes).center(), 0),
			formatNumber(allocs.center(), 0),
			difference(allocs, restyAllocs),
		))
	}
	return t
}

func pairedName(run, client string) string {
	return fmt.Sprintf("Paired/%s/client=%s", run, client)
}

// pairedTable returns the ratios of BenchmarkPaired. The ratio to
// net/http divides a client's ratio to resty by net/http's.
func pairedTable(r results) table {
	t := table{Header: []string{"Client", "Loopback: × resty", "Loopback: × net/http", "In memory: × resty", "In memory: × net/http"}}
	for _, c := range healthyClients {
		row := []string{clientLabels[c]}
		for _, run := range []string{"seq", "mem"} {
			own, nethttp := pairedRatio(r, run, c), pairedRatio(r, run, "nethttp")
			if !own.ok {
				row = append(row, "–", "–")
				continue
			}
			cellText := fmt.Sprintf("%.2f×", own.center())
			if sp := own.spread(); sp != "" && c != "resty" {
				cellText += " " + sp
			}
			vsNetHTTP := "–"
			if nethttp.ok && nethttp.center() > 0 {
				vsNetHTTP = fmt.Sprintf("%.2f×", own.center()/nethttp.center())
			}
			row = append(row, cellText, vsNetHTTP)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func ownWorkName(run, client string) string {
	return fmt.Sprintf("OwnWork/%s/client=%s", run, client)
}

// ownWorkTable returns the time of each client's own work from
// BenchmarkOwnWork, over loopback and in memory, and what each client adds
// to bare resty's.
func ownWorkTable(r results) table {
	t := table{Header: []string{"Client", "Over loopback", "In memory", "Loopback ÷ in memory",
		"Over loopback: added to resty", "In memory: added to resty"}}
	restyLoop, restyMem := r.get(ownWorkName("seq", "resty"), unitOwn), r.get(ownWorkName("mem", "resty"), unitOwn)
	added := func(s, resty stat) string {
		if !s.ok || !resty.ok {
			return "–"
		}
		return formatSeconds(s.center() - resty.center())
	}
	for _, c := range healthyClients {
		loop, mem := r.get(ownWorkName("seq", c), unitOwn), r.get(ownWorkName("mem", c), unitOwn)
		if !loop.ok || !mem.ok {
			continue
		}
		t.Rows = append(t.Rows, []string{clientLabels[c],
			withSpread(formatSeconds(loop.center()), loop),
			withSpread(formatSeconds(mem.center()), mem),
			ratio(loop, mem),
			added(loop, restyLoop),
			added(mem, restyMem),
		})
	}
	return t
}

// ownWorkSlower returns the sentence on whether the own work of every
// client took longer over loopback than in memory in this run, and names
// the clients for which it did not.
func ownWorkSlower(r results) string {
	var measured int
	var notSlower []string
	for _, c := range healthyClients {
		loop, mem := r.get(ownWorkName("seq", c), unitOwn), r.get(ownWorkName("mem", c), unitOwn)
		if !loop.ok || !mem.ok {
			continue
		}
		measured++
		if loop.center() <= mem.center() {
			notSlower = append(notSlower, `"`+clientLabels[c]+`"`)
		}
	}
	switch {
	case measured == 0:
		return ""
	case len(notSlower) == 0:
		return "The same work takes longer over loopback than in memory, for every client."
	case len(notSlower) == measured:
		return "In this run, the same work took longer over loopback than in memory for no client."
	default:
		return fmt.Sprintf("In this run, the same work took longer over loopback than in memory for every client except %s.",
			strings.Join(notSlower, ", "))
	}
}

// estimateVsPaired returns the sentence that compares the estimate of the
// time goal from the in-memory CPU time with the paired ratio and its
// confidence interval.
func estimateVsPaired(r results) string {
	est, ok := estimatedRatio(r)
	paired := pairedRatio(r, "seq", "sturdy")
	if !ok || !usableRatio(paired) {
		return ""
	}
	if !hasInterval(paired) {
		switch {
		case roundRatio(est) < roundRatio(paired.center()):
			return "In this run, the estimate from the in-memory CPU time comes out below the paired ratio."
		case roundRatio(est) > roundRatio(paired.center()):
			return "In this run, the estimate from the in-memory CPU time comes out above the paired ratio."
		default:
			return "In this run, the estimate from the in-memory CPU time equals the paired ratio."
		}
	}
	switch {
	case est < paired.summary.Lo:
		return "In this run, the estimate from the in-memory CPU time comes out below the paired ratio and its interval."
	case est > paired.summary.Hi:
		return "In this run, the estimate from the in-memory CPU time comes out above the paired ratio and its interval."
	default:
		return "In this run, the estimate from the in-memory CPU time lies within the interval of the paired ratio, so the two do not differ."
	}
}

// sameWork returns a sentence that compares, in this run, resty doing the
// default stack's work with the time goal and with the default stack.
func sameWork(r results) string {
	same, sturdy := pairedRatio(r, "seq", "resty-samework"), pairedRatio(r, "seq", "sturdy")
	if !usableRatio(same) || !usableRatio(sturdy) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "In this run, resty doing that work itself takes %.2f× bare resty, ", same.center())
	b.WriteString(againstGoal(same))
	b.WriteString(" ")

	sameCenter, sturdyCenter := roundRatio(same.center()), roundRatio(sturdy.center())
	switch {
	case sturdyCenter == sameCenter:
		fmt.Fprintf(&b, "The default stack takes %.2f× bare resty too.", sturdy.center())
	case !hasInterval(same) || !hasInterval(sturdy):
		verb := "longer"
		if sturdyCenter < sameCenter {
			verb = "less time"
		}
		fmt.Fprintf(&b, "The default stack takes %s, %.2f×, but without intervals, which need 6 rounds or more, the difference may be noise.", verb, sturdy.center())
	case same.summary.Hi < sturdy.summary.Lo:
		b.WriteString("The default stack takes longer than it, beyond the intervals of both.")
	case same.summary.Lo > sturdy.summary.Hi:
		b.WriteString("The default stack takes less time than it, beyond the intervals of both.")
	default:
		b.WriteString("The intervals of the default stack and of resty doing the same work overlap, so the two do not differ clearly.")
	}
	return b.String()
}

// againstGoal returns the end of sameWork's sentence: how the ratio s of
// resty doing the default stack's work, and its interval where the run
// has one, compare with timeGoal.
func againstGoal(s stat) string {
	above := roundRatio(s.center()) > timeGoal
	switch {
	case !hasInterval(s) && above:
		return fmt.Sprintf("above the goal of %.2f×.", timeGoal)
	case !hasInterval(s):
		return fmt.Sprintf("within the goal of %.2f×.", timeGoal)
	case roundRatio(s.summary.Lo) > timeGoal:
		return fmt.Sprintf("so that work alone costs more than the goal of %.2f× allows, beyond its interval.", timeGoal)
	case above:
		return fmt.Sprintf("above the goal of %.2f×, but its interval includes the goal.", timeGoal)
	case roundRatio(s.summary.Hi) > timeGoal:
		return fmt.Sprintf("within the goal of %.2f×, but its interval reaches above the goal.", timeGoal)
	default:
		return fmt.Sprintf("within the goal of %.2f×, and so is its interval.", timeGoal)
	}
}

// usableRatio reports whether s holds a ratio that can be printed and
// compared: present, positive and finite.
func usableRatio(s stat) bool {
	c := s.center()
	return s.ok && c > 0 && !math.IsInf(c, 0) && !math.IsNaN(c)
}

// hasInterval reports whether s has a finite confidence interval, which
// benchstat gives from 6 samples on.
func hasInterval(s stat) bool {
	lo, hi := s.summary.Lo, s.summary.Hi
	return s.ok && s.n >= 2 && !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && !math.IsNaN(lo) && !math.IsNaN(hi)
}

// roundRatio rounds a ratio to the two decimals that the page prints, so
// that a verdict never contradicts the figure next to it. It rounds
// through the printed text, because math.Round(ratio*100)/100 differs
// from "%.2f" for values such as 1.055, which float64 holds just below.
func roundRatio(ratio float64) float64 {
	rounded, err := strconv.ParseFloat(fmt.Sprintf("%.2f", ratio), 64)
	if err != nil {
		return ratio
	}
	return rounded
}

// pairedRatio returns the ratio to resty of client in BenchmarkPaired,
// which is 1 for resty itself.
func pairedRatio(r results, run, client string) stat {
	if client == "resty" {
		return stat{ok: true, n: 1, summary: benchmath.Summary{Center: 1, Lo: 1, Hi: 1}}
	}
	return r.get(pairedName(run, client), unitRatio)
}

// chainName returns the name of a BenchmarkChain run: transport is
// "loopback", "memory" or "paired".
func chainName(transport string, n int) string {
	return fmt.Sprintf("Chain/%s/middleware=%d", transport, n)
}

// chainLengths are the numbers of middleware that BenchmarkChain runs.
var chainLengths = []int{0, 1, 4, 16, 64}

// chainTable returns the chain-growth table and a sentence giving the
// cost of one more middleware: allocations from a line fitted over all
// lengths, time from the paired run with the longest chain.
func chainTable(r results) (table, string) {
	t := table{Header: []string{"No-op middleware", "Loopback: time", "Loopback: allocs/op",
		"In memory: time", "In memory: B/op", "In memory: allocs/op", "Paired, in memory: time per middleware"}}
	var xs, memAllocs []float64
	for _, n := range chainLengths {
		loop, mem := chainName("loopback", n), chainName("memory", n)
		lt, mt := r.get(loop, unitTime), r.get(mem, unitTime)
		if !lt.ok || !mt.ok {
			continue
		}
		perMiddleware := "–"
		if pm := r.get(chainName("paired", n), unitPerMiddleware); pm.ok {
			perMiddleware = withSpread(formatSeconds(pm.center()), pm)
		}
		t.Rows = append(t.Rows, []string{
			strconv.Itoa(n),
			withSpread(formatSeconds(lt.center()), lt),
			formatNumber(r.get(loop, unitAllocs).center(), 0),
			withSpread(formatSeconds(mt.center()), mt),
			formatNumber(r.get(mem, unitBytes).center(), 0),
			formatNumber(r.get(mem, unitAllocs).center(), 0),
			perMiddleware,
		})
		xs = append(xs, float64(n))
		memAllocs = append(memAllocs, r.get(mem, unitAllocs).center())
	}
	if len(xs) < 2 {
		return t, "There are too few chain lengths in this run to fit a cost per middleware."
	}
	last := chainLengths[len(chainLengths)-1]
	sentence := fmt.Sprintf("A least-squares line through the in-memory medians gives %s allocations per extra middleware.",
		formatNumber(slope(xs, memAllocs), 2))
	if pm := r.get(chainName("paired", last), unitPerMiddleware); pm.ok {
		sentence += fmt.Sprintf(" With %d middleware, the paired run puts the time of each at %s, %s in all.",
			last, formatSeconds(pm.center()), formatSeconds(pm.center()*float64(last)))
		lo, hi := formatSeconds(pm.summary.Lo), formatSeconds(pm.summary.Hi)
		switch {
		case hasInterval(pm) && pm.summary.Hi < 0:
			sentence += fmt.Sprintf(" Its interval, from %s to %s, lies below 0. A middleware cannot save time, so the difference is noise, and in this run the cost of one middleware is too small to measure.", lo, hi)
		case hasInterval(pm) && pm.summary.Lo <= 0:
			sentence += fmt.Sprintf(" Its interval, from %s to %s, includes 0, so in this run the cost of one middleware is too small to tell from the noise. The upper end of the interval is %s.", lo, hi, hi)
		case !hasInterval(pm) && pm.center() <= 0:
			sentence += " A middleware cannot save time, so a figure of 0 or below is noise, and in this run the cost of one middleware is too small to measure."
		}
	}
	return t, sentence
}

// slope returns the slope of the least-squares line through the points.
func slope(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(xs))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// cell formats one measurement of a fault benchmark.
type cell struct {
	unit   string
	format func(stat) string
}

func percentCell(unit string) cell {
	return cell{unit, func(s stat) string { return formatNumber(s.center(), 1) + "%" }}
}

func millisCell(unit string) cell {
	return cell{unit, func(s stat) string { return formatMillis(s.center()) }}
}

func numberCell(unit string, prec int) cell {
	return cell{unit, func(s stat) string { return formatNumber(s.center(), prec) }}
}

func faultTable(r results, benchmark, mode string, header []string, cells []cell) table {
	t := table{Header: header}
	for _, c := range faultClients {
		name := fmt.Sprintf("%s/mode=%s/client=%s", benchmark, mode, c)
		if _, ok := r[name]; !ok {
			continue
		}
		row := []string{clientLabels[c]}
		for _, cl := range cells {
			s := r.get(name, cl.unit)
			if !s.ok {
				row = append(row, "–")
				continue
			}
			row = append(row, cl.format(s))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// goals compares the healthy-path and chain figures with the targets
// that sturdy sets itself. loggingAllocs is the number of allocations
// that the profile with logging off attributes to logging, or -1.
func goals(r results, loggingAllocs int64) table {
	t := table{Header: []string{"Goal", "Measured", "Met"}}
	if paired := pairedRatio(r, "seq", "sturdy"); usableRatio(paired) {
		measured := fmt.Sprintf("%.2f× with paired requests", paired.center())
		sturdySeq, restySeq := r.get(healthyName("seq", "sturdy"), unitTime), r.get(healthyName("seq", "resty"), unitTime)
		if sturdySeq.ok && restySeq.ok && restySeq.center() > 0 {
			measured += fmt.Sprintf(", %.2f× between separate runs", sturdySeq.center()/restySeq.center())
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("Default stack at most %.2f× bare resty in time, over loopback", timeGoal),
			measured, yesNo(roundRatio(paired.center()) <= timeGoal)})
		if est, ok := estimatedRatio(r); ok {
			t.Rows = append(t.Rows, []string{"The same, estimated from the in-memory CPU time",
				fmt.Sprintf("%.2f×", est), "not the judge"})
		}
		if same := pairedRatio(r, "seq", "resty-samework"); usableRatio(same) {
			t.Rows = append(t.Rows,
				[]string{"For comparison: resty doing the default stack's work itself (30 s timeout, auth headers, completion line), over bare resty",
					fmt.Sprintf("%.2f× with paired requests", same.center()), withinGoal(same.center())},
				[]string{"For comparison: the default stack over resty doing the same work",
					fmt.Sprintf("%.2f×, the quotient of the two paired ratios", paired.center()/same.center()), "not a goal"})
		}
	}
	sturdyAllocs, restyAllocs := r.get(healthyName("seq", "sturdy"), unitAllocs), r.get(healthyName("seq", "resty"), unitAllocs)
	if sturdyAllocs.ok && restyAllocs.ok {
		d := sturdyAllocs.center() - restyAllocs.center()
		t.Rows = append(t.Rows, []string{"Default stack at most 10 allocations per request above bare resty",
			fmt.Sprintf("%+.0f allocs/op", d), yesNo(d <= 10)})
		if timed := r.get(healthyName("seq", "resty-timeout"), unitAllocs); timed.ok {
			t.Rows = append(t.Rows, []string{"For comparison: the same, above resty with sturdy's 30 s timeout",
				fmt.Sprintf("%+.0f allocs/op", sturdyAllocs.center()-timed.center()), "not a goal"})
		}
	}
	if loggingAllocs >= 0 {
		t.Rows = append(t.Rows, []string{"Logging off adds no allocation",
			fmt.Sprintf("%d allocations in the logging middleware and zerolog with logging off", loggingAllocs),
			yesNo(loggingAllocs == 0)})
	}
	a0, a64 := r.get(chainName("memory", 0), unitAllocs), r.get(chainName("memory", 64), unitAllocs)
	if a0.ok && a64.ok {
		d := a64.center() - a0.center()
		t.Rows = append(t.Rows, []string{"An extra middleware adds no allocation",
			fmt.Sprintf("%+.0f allocs/op from 0 to 64 middleware", d), yesNo(d == 0)})
	}
	// "Small" is judged against the request itself: under 1% of a bare
	// resty request in memory, the cheapest request that sturdy builds on.
	perMiddleware, resty := r.get(chainName("paired", 64), unitPerMiddleware), r.get(healthyName("mem", "resty"), unitTime)
	if perMiddleware.ok && resty.ok {
		// Where the run gives an interval, its upper end is judged, because
		// with few middleware the centre can sit in the noise around 0.
		limit := resty.center() / 100
		measured, judged := formatSeconds(perMiddleware.center())+" per middleware with 64, paired in memory", perMiddleware.center()
		if hasInterval(perMiddleware) {
			judged = perMiddleware.summary.Hi
			measured += ", with the upper end of its interval at " + formatSeconds(judged)
		}
		// Judged on the printed figures too, so that "86 ns" is never
		// called under a limit printed as "86 ns".
		under := judged < limit && formatSeconds(judged) != formatSeconds(limit)
		t.Rows = append(t.Rows, []string{"An extra middleware adds a small constant time: under 1% of a bare resty request in memory (" + formatSeconds(limit) + ")",
			measured, yesNo(under)})
	}
	return t
}

// estimatedRatio estimates the loopback time of sturdy's default stack
// over bare resty's as (resty's loopback time + the CPU time that sturdy
// adds in memory) / resty's loopback time. The in-memory CPU time is far
// less disturbed by other processes than the loopback wall time.
func estimatedRatio(r results) (float64, bool) {
	loop := r.get(healthyName("seq", "resty"), unitTime)
	sturdy, resty := r.get(healthyName("mem", "sturdy"), unitCPU), r.get(healthyName("mem", "resty"), unitCPU)
	if !loop.ok || !sturdy.ok || !resty.ok || loop.center() == 0 {
		return 0, false
	}
	est := (loop.center() + sturdy.center() - resty.center()) / loop.center()
	return est, est > 0 && !math.IsInf(est, 0) && !math.IsNaN(est)
}

// LoggingAllocations returns the allocations that the profile of sturdy
// with logging off attributes to the logging middleware and zerolog, as
// pprof's "Showing nodes accounting for N" line gives them, or -1 when
// the profile is missing.
func (p page) LoggingAllocations() int64 {
	m := regexp.MustCompile(`Showing nodes accounting for (\d+)`).FindStringSubmatch(p.ProfileLogging)
	if m == nil {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// timeGoal is the maximum time of a request through sturdy's default
// stack, as a multiple of the time of one through bare resty.
const timeGoal = 1.05

// withinGoal marks a comparison row of the time goal by whether its
// ratio is within timeGoal.
func withinGoal(ratio float64) string {
	if roundRatio(ratio) <= timeGoal {
		return fmt.Sprintf("not a goal (within %.2f×)", timeGoal)
	}
	return fmt.Sprintf("not a goal (above %.2f×)", timeGoal)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func withSpread(value string, s stat) string {
	if sp := s.spread(); sp != "" {
		return value + " " + sp
	}
	return value
}

func ratio(a, b stat) string {
	if !a.ok || !b.ok || b.center() == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a.center()/b.center())
}

func difference(a, b stat) string {
	if !a.ok || !b.ok {
		return "–"
	}
	return fmt.Sprintf("%+.0f", a.center()-b.center())
}

// formatSeconds formats a duration in seconds with a unit that suits it.
func formatSeconds(s float64) string {
	abs := math.Abs(s)
	switch {
	case abs < 1e-8:
		return fmt.Sprintf("%.1f ns", s*1e9)
	case abs < 1e-6:
		return fmt.Sprintf("%.0f ns", s*1e9)
	case abs < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	case abs < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	default:
		return fmt.Sprintf("%.2f s", s)
	}
}

func formatMillis(ms float64) string { return formatSeconds(ms / 1000) }

// formatNumber formats v with prec decimals and thin spaces between
// thousands.
func formatNumber(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}
