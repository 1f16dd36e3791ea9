package sturdy

import (
	"testing"

	"github.com/go-resty/resty/v2"
)

// TestRestyFieldsFound fails when a resty upgrade renames the fields that
// tell how resty reads a response body. Without them every request counts
// as streamed, which turns body buffering, and so the retry of bodies
// that break mid-way, off.
func TestRestyFieldsFound(t *testing.T) {
	if !restyFields().ok {
		t.Fatal("resty's notParseResponse, isSaveResponse or responseBodyLimit field not found")
	}
	rc := resty.New()
	cases := []struct {
		name    string
		client  *resty.Client
		request *resty.Request
		want    bodyMode
	}{
		{"plain request", rc, rc.R(), bodyMode{}},
		{"raw request", rc, rc.R().SetDoNotParseResponse(true), bodyMode{streamed: true}},
		{"request saved to a file", rc, rc.R().SetOutput("/dev/null"), bodyMode{streamed: true}},
		{"request of a raw client", resty.New().SetDoNotParseResponse(true), rc.R(), bodyMode{streamed: true}},
		{"request with a body limit", rc, rc.R().SetResponseBodyLimit(1024), bodyMode{limit: 1024}},
		{"request of a client with a body limit", rc, resty.New().SetResponseBodyLimit(2048).R(), bodyMode{limit: 2048}},
		{"negative body limit", rc, rc.R().SetResponseBodyLimit(-1), bodyMode{}},
	}
	for _, c := range cases {
		if got := requestBodyMode(c.client, c.request); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
