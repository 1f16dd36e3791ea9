//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPUTime returns the user and system CPU time that this process
// has used, or false where getrusage fails.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
