package sturdy

import (
	"testing"
	"unsafe"
)

// TestCallFitsSizeClass keeps the state of a call, allocated once per
// request, within the Go allocator's 896-byte size class. A field that
// pushes it past 896 bytes moves every request to the 1024-byte class
// and adds 128 bytes per request, which the benchmarks show as B/op.
// Order new fields so that they pack with others of their size.
func TestCallFitsSizeClass(t *testing.T) {
	if size := unsafe.Sizeof(call{}); size > 896 {
		t.Errorf("call is %d bytes, want at most 896", size)
	}
}
