#!/usr/bin/env bash
# Runs every test and benchmark of the suite once, with fewer calls in
# the fault benchmarks (-short), so that CI notices a benchmark that no
# longer builds or runs. Takes about a minute and a half on 2 cores.
set -euo pipefail

cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"
# The library's go.mod may have changed since bench/go.mod was tidied;
# let the go command add what the build needs.
export GOFLAGS=-mod=mod

go vet ./...
go test -count=1 -short -run . -bench . -benchtime=1x ./...
