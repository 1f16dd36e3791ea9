package main

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// machine describes the computer that ran the benchmarks.
type machine struct {
	CPU    string
	Cores  int
	Go     string
	OS     string
	Kernel string
	Arch   string
}

// describeMachine reads the CPU model from /proc/cpuinfo, the
// distribution from /etc/os-release and the kernel release from
// /proc/sys/kernel/osrelease. Fields it cannot read are "unknown".
func describeMachine() machine {
	return machine{
		CPU:    firstField("/proc/cpuinfo", "model name", ':'),
		Cores:  runtime.NumCPU(),
		Go:     runtime.Version(),
		OS:     strings.Trim(firstField("/etc/os-release", "PRETTY_NAME", '='), `"`),
		Kernel: firstLine("/proc/sys/kernel/osrelease"),
		Arch:   runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// firstField returns the value of the first line of path whose key,
// before sep, is key.
func firstField(path, key string, sep byte) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), string(sep))
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}
