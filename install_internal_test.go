package sturdy

import (
	"testing"

	"github.com/go-resty/resty/v2"
)

// TestRestyFlagsFound fails when a resty upgrade renames the fields that
// tell a streamed response from one resty reads in full, which would turn
// body buffering, and so the retry of bodies that break mid-way, off.
func TestRestyFlagsFound(t *testing.T) {
	if !restyFlags().ok {
		t.Fatal("resty's notParseResponse or isSaveResponse field not found")
	}
	rc := resty.New()
	if streamsResponse(rc, rc.R()) {
		t.Error("a plain request counts as streamed")
	}
	if !streamsResponse(rc, rc.R().SetDoNotParseResponse(true)) {
		t.Error("a raw request does not count as streamed")
	}
	if !streamsResponse(rc, rc.R().SetOutput("/dev/null")) {
		t.Error("a request saved to a file does not count as streamed")
	}
	if !streamsResponse(resty.New().SetDoNotParseResponse(true), rc.R()) {
		t.Error("a request of a raw client does not count as streamed")
	}
}
