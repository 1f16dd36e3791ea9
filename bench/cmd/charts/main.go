// Command charts draws the charts of docs/performance.md as PNG files:
//
//   - waits.png: the distribution of the wait before each retry under
//     sturdy's default backoff and jitter, computed from
//     middleware.Backoff without sleeping;
//   - latency.png: the latency distribution of each client's calls under
//     20% faults, read from the CSV that BenchmarkFlaky writes with its
//     -latencies flag.
//
// Usage:
//
//	go run ./cmd/charts -latencies results/latencies.csv -out ../docs/img
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sturdyhttp/sturdy/middleware"
)

// waitSamples is the number of waits drawn for each retry.
const waitSamples = 200_000

// clientOrder lists the clients in the order of the report's tables.
var clientOrder = []string{
	"nethttp", "resty", "sturdy", "sturdy-nolog", "sturdy-nobudget", "retryablehttp", "failsafe",
}

// clientLabels names each client in chart legends as the performance
// page does.
var clientLabels = map[string]string{
	"nethttp":         "net/http",
	"resty":           "resty v2",
	"sturdy":          "sturdy, default stack",
	"sturdy-nolog":    "sturdy, logging off",
	"sturdy-nobudget": "sturdy, retry budget off",
	"retryablehttp":   "go-retryablehttp",
	"failsafe":        "failsafe-go",
}

// clientColors gives each client the same colour in every chart.
var clientColors = map[string]color.Color{
	"nethttp":         color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff},
	"resty":           color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	"sturdy":          color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"sturdy-nolog":    color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	"sturdy-nobudget": color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	"retryablehttp":   color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	"failsafe":        color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

func main() {
	latencies := flag.String("latencies", "", "CSV `file` of call latencies written by BenchmarkFlaky; without it latency.png is not drawn")
	out := flag.String("out", "../docs/img", "`directory` to write the PNG files to")
	flag.Parse()

	if err := run(*latencies, *out); err != nil {
		fmt.Fprintln(os.Stderr, "charts:", err)
		os.Exit(1)
	}
}

func run(latencies, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := drawWaits(filepath.Join(out, "waits.png")); err != nil {
		return fmt.Errorf("drawing waits.png: %w", err)
	}
	if latencies == "" {
		return nil
	}
	if err := drawLatencies(latencies, filepath.Join(out, "latency.png")); err != nil {
		return fmt.Errorf("drawing latency.png: %w", err)
	}
	return nil
}

// drawWaits draws one histogram per retry of the default policy, and one
// of the total wait of a call that uses all its retries.
func drawWaits(path string) error {
	backoff := middleware.Backoff{
		Rand: middleware.LockedRand(rand.New(rand.NewPCG(1, 2))),
	}
	retries := middleware.DefaultMaxRetries
	totals := make(plotter.Values, waitSamples)
	var plots [][]*plot.Plot
	for n := 1; n <= retries; n++ {
		waits := make(plotter.Values, waitSamples)
		for i := range waits {
			waits[i] = backoff.Wait(n).Seconds()
			totals[i] += waits[i]
		}
		title := fmt.Sprintf("Retry %d: nominal wait %v, ±%v%% jitter",
			n, backoff.Nominal(n), middleware.DefaultJitterFraction*100)
		p, err := histogram(title, waits)
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{p})
	}
	p, err := histogram(fmt.Sprintf("Total wait of a call that uses all %d retries", retries), totals)
	if err != nil {
		return err
	}
	p.X.Label.Text = "wait (s)"
	plots = append(plots, []*plot.Plot{p})
	return saveTiles(path, plots, 16*vg.Centimeter, vg.Length(len(plots))*4*vg.Centimeter)
}

// histogram returns a histogram of values in 60 bins, scaled so that its
// area is 1, which makes the height of a bin the share of values per
// second.
func histogram(title string, values plotter.Values) (*plot.Plot, error) {
	h, err := plotter.NewHist(values, 60)
	if err != nil {
		return nil, err
	}
	h.Normalize(1)
	h.FillColor = clientColors["sturdy"]
	h.LineStyle.Width = 0
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "share per s"
	p.Add(h)
	return p, nil
}

// drawLatencies draws, for each fault mode, the share of calls slower
// than each latency, one line per client, on log-log axes.
func drawLatencies(csvPath, path string) error {
	byMode, err := readLatencies(csvPath)
	if err != nil {
		return err
	}
	modes := []string{"defaults", "equal"}
	var plots [][]*plot.Plot
	for _, mode := range modes {
		clients := byMode[mode]
		if len(clients) == 0 {
			continue
		}
		p, err := ccdfPlot(mode, clients)
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{p})
	}
	if len(plots) == 0 {
		return fmt.Errorf("%s contains no latencies of BenchmarkFlaky; run it with -latencies=%s", csvPath, csvPath)
	}
	return saveTiles(path, plots, 16*vg.Centimeter, vg.Length(len(plots))*9*vg.Centimeter)
}

func ccdfPlot(mode string, clients map[string][]float64) (*plot.Plot, error) {
	p := plot.New()
	settings := map[string]string{"defaults": "each client's defaults", "equal": "equal settings"}[mode]
	p.Title.Text = fmt.Sprintf("Calls slower than a given latency, 20%% of responses 503 (%s)", settings)
	p.X.Label.Text = "latency of a call (ms)"
	p.Y.Label.Text = "share of calls slower"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	// The lines fall from the top left and rest on the share of calls
	// that were retried, so the top right stays free.
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	for _, name := range clientOrder {
		values := clients[name]
		if len(values) == 0 {
			continue
		}
		line, err := plotter.NewLine(ccdf(values))
		if err != nil {
			return nil, err
		}
		line.Color = clientColors[name]
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(clientLabels[name], line)
	}
	return p, nil
}

// ccdf returns, for each latency in ms, the share of latencies at or
// above it, as a step line.
func ccdf(latencies []float64) plotter.XYs {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	n := float64(len(sorted))
	points := make(plotter.XYs, 0, 2*len(sorted))
	for i, v := range sorted {
		above := (n - float64(i)) / n
		if i > 0 {
			points = append(points, plotter.XY{X: v, Y: points[len(points)-1].Y})
		}
		points = append(points, plotter.XY{X: v, Y: above})
	}
	return points
}

// readLatencies reads the CSV that BenchmarkFlaky writes and returns the
// latencies in ms by mode and client. Lines of other benchmarks are
// skipped.
func readLatencies(path string) (map[string]map[string][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	out := map[string]map[string][]float64{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		mode, client, ok := parseBenchmarkName(rec[0])
		if !ok {
			continue
		}
		seconds, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return nil, fmt.Errorf("invalid latency %q for %s: not a number of seconds", rec[1], rec[0])
		}
		if out[mode] == nil {
			out[mode] = map[string][]float64{}
		}
		// Log axes need a positive value; no call takes less than 1 µs.
		ms := max(seconds*1000, float64(time.Microsecond)/float64(time.Millisecond))
		out[mode][client] = append(out[mode][client], ms)
	}
}

// parseBenchmarkName reads the mode and client from a name such as
// BenchmarkFlaky/mode=defaults/client=sturdy.
func parseBenchmarkName(name string) (mode, client string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != "BenchmarkFlaky" {
		return "", "", false
	}
	mode, okMode := strings.CutPrefix(parts[1], "mode=")
	client, okClient := strings.CutPrefix(parts[2], "client=")
	return mode, client, okMode && okClient
}

// saveTiles draws plots in a grid of one column and writes it as a PNG.
func saveTiles(path string, plots [][]*plot.Plot, width, height vg.Length) error {
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{
		Rows:      len(plots),
		Cols:      1,
		PadX:      vg.Millimeter,
		PadY:      5 * vg.Millimeter,
		PadTop:    2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter,
		PadLeft:   2 * vg.Millimeter,
		PadRight:  4 * vg.Millimeter,
	}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
