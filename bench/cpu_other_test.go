//go:build !unix

package bench

import "time"

// processCPUTime reports false where getrusage is missing.
func processCPUTime() (time.Duration, bool) { return 0, false }
