package sturdy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them, such
// as a retry loop still waiting or a response body left open.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
