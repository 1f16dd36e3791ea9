#!/usr/bin/env bash
# Runs the benchmark suite, summarises it with benchstat, profiles
# sturdy's healthy path, draws the charts and rewrites
# docs/performance.md. Takes 10 to 15 minutes on 2 cores with the
# defaults below; set these variables to change them:
#
#   ROUNDS        rounds of the healthy-path and chain benchmarks (10)
#   FAULT_ROUNDS  rounds of the fault benchmarks (3)
#   BENCHTIME     -benchtime of the healthy-path and chain benchmarks (0.5s)
#
# Each round runs every benchmark once, so that a slow spell of the
# machine affects every client alike.
set -euo pipefail

cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"
# The library's go.mod may have changed since bench/go.mod was tidied;
# let the go command add what the build needs.
export GOFLAGS=-mod=mod

rounds=${ROUNDS:-10}
fault_rounds=${FAULT_ROUNDS:-3}
benchtime=${BENCHTIME:-0.5s}
results=$PWD/results
profiles=$results/profiles
repo=$(cd .. && pwd)

mkdir -p "$results" "$profiles"
rm -f "$results/healthy.txt" "$results/faults.txt" "$results/latencies.csv"

echo "--- building the benchmarks"
go test -c -o "$results/bench.test" .
bin=$results/bench.test

for i in $(seq "$rounds"); do
	echo "--- healthy path and chain, round $i of $rounds"
	"$bin" -test.run '^$' -test.bench '^Benchmark(Healthy|Paired|OwnWork|Chain)$' \
		-test.benchtime="$benchtime" | tee -a "$results/healthy.txt"
done

for i in $(seq "$fault_rounds"); do
	echo "--- faults, round $i of $fault_rounds"
	"$bin" -test.run '^$' -test.bench '^Benchmark(Flaky|RetryAfter|Outage|Connections)$' \
		-test.benchtime=1x -latencies="$results/latencies.csv" | tee -a "$results/faults.txt"
done

echo "--- profiles"
# clean_profile drops the lines of pprof's header that change with every
# build and shortens file paths.
clean_profile() {
	grep -v -e '^Build ID:' -e '^Time:' -e '^File:' |
		sed -e "s#$repo/##g" -e "s#$(go env GOROOT)/src/##g" -e "s#$(go env GOMODCACHE)/##g"
}
requests=20000
for client in resty sturdy sturdy-nolog; do
	"$bin" -test.run '^$' -test.bench "^BenchmarkHealthy\$/^seq\$/^client=$client\$" \
		-test.benchtime=${requests}x -test.memprofilerate=1 \
		-test.memprofile "$profiles/$client.mem" >/dev/null
done
{
	echo "# Allocations of sturdy's default stack minus those of bare resty,"
	echo "# over $requests requests each: divide by $requests for allocations per request."
	go tool pprof -sample_index=alloc_objects -top -lines -nodecount=30 \
		-diff_base "$profiles/resty.mem" "$bin" "$profiles/sturdy.mem" 2>/dev/null | clean_profile
} >"$results/profile-allocs.txt"
go tool pprof -sample_index=alloc_objects -top -focus='middleware\.loggingHooks|zerolog' \
	"$bin" "$profiles/sturdy-nolog.mem" 2>/dev/null | clean_profile >"$results/profile-nolog-logging.txt"
"$bin" -test.run '^$' -test.bench '^BenchmarkHealthy$/^mem$/^client=sturdy$' \
	-test.benchtime=3s -test.cpuprofile "$profiles/cpu.out" >/dev/null
go tool pprof -top -cum -nodecount=500 "$bin" "$profiles/cpu.out" 2>/dev/null | clean_profile |
	grep -E -e '^(Type|Duration|Showing|Dropped| *flat)' -e 'sturdyhttp/sturdy(/middleware)?\.' -e ' reflect\.' |
	grep -v 'sturdy/bench\.' >"$results/profile-cpu.txt"

echo "--- benchstat"
# From within the results, so that benchstat names the files without the
# path of this checkout.
(
	cd "$results"
	go run golang.org/x/perf/cmd/benchstat healthy.txt
	echo
	go run golang.org/x/perf/cmd/benchstat faults.txt
) >"$results/benchstat.txt"

echo "--- charts and docs/performance.md"
go run ./cmd/charts -latencies "$results/latencies.csv" -out ../docs/img

commit=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C .. status --porcelain -- . ':!bench' ':!docs' 2>/dev/null)" ]]; then
	commit="$commit with uncommitted changes"
fi
go run ./cmd/report -results "$results" -out ../docs/performance.md \
	-command "ROUNDS=$rounds FAULT_ROUNDS=$fault_rounds BENCHTIME=$benchtime bash bench/run.sh" \
	-commit "$commit" -rounds "$rounds" -fault-rounds "$fault_rounds" -benchtime "$benchtime"
echo "wrote docs/performance.md and docs/img/"
