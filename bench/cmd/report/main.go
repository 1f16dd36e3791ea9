// Command report writes docs/performance.md from the output of the
// benchmarks in this module, the benchstat summaries and the profiles
// that run.sh collects.
//
// Usage:
//
//	go run ./cmd/report -results results -out ../docs/performance.md
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

//go:embed performance.md.tmpl
var pageTemplate string

// Files that run.sh writes into the results directory.
const (
	fileHealthy        = "healthy.txt"
	fileFaults         = "faults.txt"
	fileBenchstat      = "benchstat.txt"
	fileProfileCPU     = "profile-cpu.txt"
	fileProfileAllocs  = "profile-allocs.txt"
	fileProfileLogging = "profile-nolog-logging.txt"
)

// options are the command's flags.
type options struct {
	results   string
	out       string
	command   string
	commit    string
	rounds    int
	faultRuns int
	benchtime string
}

func main() {
	var o options
	flag.StringVar(&o.results, "results", "results", "`directory` holding the files that run.sh writes")
	flag.StringVar(&o.out, "out", "../docs/performance.md", "`file` to write the page to")
	flag.StringVar(&o.command, "command", "bash bench/run.sh", "command that reproduces the figures, shown on the page")
	flag.StringVar(&o.commit, "commit", "", "commit of sturdy that was measured, shown on the page")
	flag.IntVar(&o.rounds, "rounds", 0, "rounds of the healthy-path and chain benchmarks, shown on the page")
	flag.IntVar(&o.faultRuns, "fault-rounds", 0, "rounds of the fault benchmarks, shown on the page")
	flag.StringVar(&o.benchtime, "benchtime", "", "-benchtime of the healthy-path and chain benchmarks, shown on the page")
	flag.Parse()

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	res, err := readResults(filepath.Join(o.results, fileHealthy), filepath.Join(o.results, fileFaults))
	if err != nil {
		return err
	}
	page := buildPage(res)
	page.Machine = describeMachine()
	page.Command = o.command
	page.Commit = o.commit
	page.Date = time.Now().UTC().Format("2006-01-02")
	page.Rounds, page.FaultRounds, page.Benchtime = o.rounds, o.faultRuns, o.benchtime
	page.Benchstat = readText(filepath.Join(o.results, fileBenchstat))
	page.ProfileCPU = readText(filepath.Join(o.results, fileProfileCPU))
	page.ProfileAllocs = readText(filepath.Join(o.results, fileProfileAllocs))
	page.ProfileLogging = readText(filepath.Join(o.results, fileProfileLogging))
	page.Goals = goals(res, page.LoggingAllocations())

	tmpl, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, page); err != nil {
		return err
	}
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}

// readText returns the contents of path without trailing blank lines, or
// a note that it is missing.
func readText(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%s was not written by this run)", filepath.Base(path))
	}
	return strings.TrimRight(string(data), "\n")
}
