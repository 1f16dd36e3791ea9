// Command quickstart shows sturdy doing its job against a real HTTP
// server. By default it starts go-httpbin on a loopback port, wrapped so
// that one path fails a few times before it succeeds, and makes four calls
// through the default stack:
//
//  1. GET /headers, whose auth headers the server echoes back; the log
//     shows them redacted;
//  2. GET /flaky, which returns 503 twice and then 200;
//  3. GET /status/400, which is not retried;
//  4. GET /status/503, which exhausts the retries and ends in *sturdy.Error.
//
// With -base-url (or STURDY_BASE_URL) it calls that API instead: one GET
// of -path with the auth values from -auth-id and -auth-signature (or
// STURDY_AUTH_ID and STURDY_AUTH_SIGNATURE).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"github.com/rs/zerolog"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package has printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

type settings struct {
	baseURL   string
	path      string
	authID    string
	signature string
	baseWait  time.Duration
	// baseWaitSet records whether -base-wait was given.
	baseWaitSet bool
	level       string
}

func parseFlags(args []string, out io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&s.baseURL, "base-url", os.Getenv("STURDY_BASE_URL"), "URL of a real API to call instead of the local server (env STURDY_BASE_URL)")
	fs.StringVar(&s.path, "path", "/", "path to GET on the real API given by -base-url")
	fs.StringVar(&s.authID, "auth-id", envOr("STURDY_AUTH_ID", "demo-id"), "value of the api-auth-id header (env STURDY_AUTH_ID)")
	fs.StringVar(&s.signature, "auth-signature", envOr("STURDY_AUTH_SIGNATURE", "demo-signature"), "value of the api-auth-signature header (env STURDY_AUTH_SIGNATURE)")
	fs.DurationVar(&s.baseWait, "base-wait", 50*time.Millisecond, "wait before the first retry against the local server, and against -base-url when given; without it a real API gets the library's default of 1s")
	fs.StringVar(&s.level, "log-level", "debug", "lowest log level shown: debug, info, warn or error")
	err := fs.Parse(args)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "base-wait" {
			s.baseWaitSet = true
		}
	})
	return s, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run(args []string, out io.Writer) error {
	s, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	level, err := zerolog.ParseLevel(s.level)
	if err != nil {
		return fmt.Errorf("invalid -log-level %q: use debug, info, warn or error", s.level)
	}
	// A program, unlike a library, may set zerolog's globals: this one
	// keeps milliseconds in timestamps.
	zerolog.TimeFieldFormat = time.RFC3339Nano
	console := zerolog.ConsoleWriter{Out: out, TimeFormat: "15:04:05.000", NoColor: !isTerminal(out)}
	log := zerolog.New(console).Level(level).With().Timestamp().Logger()

	if s.baseURL != "" {
		return callRealAPI(s, log)
	}

	// Check the options before starting the server, so a bad flag fails
	// fast.
	if _, err := sturdy.New(sturdy.WithHeaderAuth(s.authID, s.signature), sturdy.WithBackoff(s.baseWait, 30*time.Second)); err != nil {
		return err
	}
	server, err := startServer()
	if err != nil {
		return err
	}
	defer server.Close()
	baseURL := "http://" + server.Addr
	log.Info().Str("url", baseURL).Str("base_wait", s.baseWait.String()).
		Msg("started go-httpbin on loopback; retry n waits base_wait × 2^(n−1) ±25%; logged durations are in ms")

	client, err := sturdy.New(
		sturdy.WithBaseURL(baseURL),
		sturdy.WithHeaderAuth(s.authID, s.signature),
		sturdy.WithBackoff(s.baseWait, 30*time.Second),
		sturdy.WithLogger(log),
		sturdy.WithLogHeaders(),
		// The retry budget's floor counts real seconds, which the demo's
		// shortened waits do not reach, so a budget would cut the 503
		// storm short of its retries.
		sturdy.WithoutRetryBudget(),
	)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()

	steps := []func(*sturdy.Client, settings, zerolog.Logger) error{
		echoHeaders, flaky, badRequest, outage,
	}
	for _, step := range steps {
		if err := step(client, s, log); err != nil {
			return err
		}
	}
	log.Info().Msg("demo finished")
	return nil
}

// echoHeaders calls /headers, which returns the request's headers, and
// checks that both auth headers arrived intact.
func echoHeaders(c *sturdy.Client, s settings, log zerolog.Logger) error {
	log.Info().Msg("1. GET /headers: the server echoes the auth headers back")
	var echoed struct {
		Headers http.Header `json:"headers"`
	}
	resp, err := c.R().SetResult(&echoed).Get("/headers")
	if err != nil {
		return fmt.Errorf("GET /headers: %w", err)
	}
	intact := echoed.Headers.Get(middleware.HeaderAuthID) == s.authID &&
		echoed.Headers.Get(middleware.HeaderAuthSignature) == s.signature
	redacted, _ := json.Marshal(middleware.RedactHeader(echoed.Headers, nil))
	log.Info().Int("status", resp.StatusCode()).RawJSON("echoed_headers", redacted).
		Bool("auth_intact", intact).Msg("server received the auth headers")
	if !intact {
		return errors.New("the server did not receive the auth headers that were set")
	}
	return nil
}

// flaky calls /flaky, which fails twice before it succeeds.
func flaky(c *sturdy.Client, _ settings, log zerolog.Logger) error {
	log.Info().Msg("2. GET /flaky: 503 twice, then 200")
	resp, err := c.R().Get("/flaky")
	if err != nil {
		return fmt.Errorf("GET /flaky: %w", err)
	}
	log.Info().Int("status", resp.StatusCode()).Msg("flaky endpoint succeeded after retries")
	return nil
}

// badRequest calls /status/400, which is final and so is not retried.
func badRequest(c *sturdy.Client, _ settings, log zerolog.Logger) error {
	log.Info().Msg("3. GET /status/400: a client error is not retried")
	resp, err := c.R().Get("/status/400")
	if err != nil {
		return fmt.Errorf("GET /status/400: %w", err)
	}
	log.Info().Int("status", resp.StatusCode()).Msg("400 returned after a single attempt")
	return nil
}

// outage calls /status/503 until the retries run out.
func outage(c *sturdy.Client, _ settings, log zerolog.Logger) error {
	log.Info().Msg("4. GET /status/503: a 503 storm exhausts the retries")
	_, err := c.R().Get("/status/503")
	var se *sturdy.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("GET /status/503: got error %v, expected *sturdy.Error", err)
	}
	for _, a := range se.Attempts {
		log.Info().Int("attempt", a.Number).Int("status", a.Status).Dur("wait", a.Wait).Msg("attempt record")
	}
	log.Info().Int("attempts", len(se.Attempts)).
		Bool("retries_exhausted", errors.Is(err, sturdy.ErrRetriesExhausted)).
		Str("error", se.Error()).Msg("call ended in *sturdy.Error as expected")
	return nil
}

// callRealAPI makes one GET through the default stack to the API given on
// the command line.
func callRealAPI(s settings, log zerolog.Logger) error {
	opts := []sturdy.Option{
		sturdy.WithBaseURL(s.baseURL),
		sturdy.WithHeaderAuth(s.authID, s.signature),
		sturdy.WithLogger(log),
	}
	if s.baseWaitSet {
		opts = append(opts, sturdy.WithBackoff(s.baseWait, 30*time.Second))
	}
	client, err := sturdy.New(opts...)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := client.R().SetContext(ctx).Get(s.path)
	if err != nil {
		return fmt.Errorf("GET %s: %w", s.path, err)
	}
	log.Info().Int("status", resp.StatusCode()).Int("bytes", len(resp.Body())).Msg("real API responded")
	return nil
}

// startServer serves go-httpbin on a loopback port, with /flaky added: it
// returns 503 for its first two requests and then passes on to /get.
func startServer() (*http.Server, error) {
	bin := httpbin.New().Handler()
	var flakyCalls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flakyCalls.Add(1) <= 2 {
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		r.URL.Path = "/get"
		bin.ServeHTTP(w, r)
	})
	mux.Handle("/", bin)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	server := &http.Server{Addr: ln.Addr().String(), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go server.Serve(ln)
	return server, nil
}
