package reliability_test

import (
	"testing"

	"github.com/sturdyhttp/sturdy/internal/faultserver"
)

// TestClientCloseIdleConnections checks that Client.CloseIdleConnections
// closes the kept-alive connections of the client's pool.
func TestClientCloseIdleConnections(t *testing.T) {
	checkLeaks(t)
	srv := faultserver.Start(t)
	client, _ := newClient(t, srv.URL)
	if _, err := client.R().Get("/"); err != nil {
		t.Fatalf("GET: %v", err)
	}
	if open := srv.Stats().ConnsOpen; open != 1 {
		t.Fatalf("server connections open after one call: got %d, want 1", open)
	}

	client.CloseIdleConnections()
	var open int64
	if !eventually(func() bool { open = srv.Stats().ConnsOpen; return open == 0 }) {
		t.Errorf("server connections open after CloseIdleConnections: got %d, want 0", open)
	}
}
