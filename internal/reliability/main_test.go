// Package reliability_test checks that sturdy keeps working, loses no
// request and leaks nothing when the network misbehaves. Every test talks
// over real TCP connections on loopback to servers from
// internal/faultserver, most through an in-process toxiproxy. See
// docs/reliability.md for the fault matrix and how to run the soak test.
package reliability_test

import (
	"flag"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var soakDuration = flag.Duration("soak", 3*time.Second, "how long TestSoak sends requests; at most 1m")

// TestMain fails the package if a goroutine outlives its tests. It opens
// one loopback listener first, so that the runtime's network poller,
// which holds file descriptors for the life of the process, exists before
// any test counts descriptors.
func TestMain(m *testing.M) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability: listening on loopback:", err)
		os.Exit(1)
	}
	ln.Close()
	goleak.VerifyTestMain(m)
}
