package main

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests if the demo leaves a goroutine behind, such as
// its server or a pooled connection.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestDemoRunsEveryStep(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-base-wait=1ms", "-auth-signature=top-secret-signature"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	log := out.String()
	for _, want := range []string{
		"auth_intact=true",
		"REDACTED",
		"flaky endpoint succeeded after retries",
		"400 returned after a single attempt",
		"attempts=6",
		"retries_exhausted=true",
		"demo finished",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(log, "top-secret-signature") {
		t.Error("output contains the auth signature")
	}
	if strings.Contains(log, "\x1b[") {
		t.Error("output to a non-terminal contains colour codes")
	}
}

func TestDemoCallsGivenAPI(t *testing.T) {
	var gotID, gotSig string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID, gotSig = r.Header.Get("api-auth-id"), r.Header.Get("api-auth-signature")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer api.Close()

	var out bytes.Buffer
	t.Setenv("STURDY_AUTH_SIGNATURE", "env-signature")
	err := run([]string{"-base-url", api.URL, "-path", "/api/Products", "-auth-id", "tenant"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if gotID != "tenant" || gotSig != "env-signature" {
		t.Errorf("auth headers: got %q, %q; want tenant, env-signature", gotID, gotSig)
	}
	if !strings.Contains(out.String(), "real API responded") {
		t.Errorf("output lacks the API's answer:\n%s", out.String())
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-log-level=loud"}, &out); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Errorf("run: got %v, want an error naming the level", err)
	}
	if err := run([]string{"-base-wait=0s"}, &out); err == nil || !strings.Contains(err.Error(), "base wait 0s") {
		t.Errorf("run: got %v, want an error naming the wait", err)
	}
}

func TestDemoHelpIsNotAnError(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-help"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run -help: got %v, want flag.ErrHelp, which main treats as success", err)
	}
}
