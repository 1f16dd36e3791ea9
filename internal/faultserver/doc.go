// Package faultserver runs HTTP servers on loopback that fail on purpose,
// for the reliability tests and benchmarks of sturdy. It works with
// *testing.T and *testing.B alike, and stops everything it started when
// the test or benchmark ends.
//
// # Server
//
// Start listens on 127.0.0.1 on a free port and serves HTTP/1.1:
//
//	srv := faultserver.Start(t)
//	srv.Script("/flaky", faultserver.Behavior{FailFirst: 2})
//	// GET srv.URL+"/flaky" returns 503, 503, then 200 with a JSON body.
//
// Every request runs a [Behavior]. A path given to [Server.Script] or
// [WithScript] runs that script. Any other path runs the behaviour that
// its query parameters describe (see [ParseBehavior]), so a benchmark can
// choose one per request without scripting the server first:
//
//	GET /anything?fail_first=1&fail=reset&bytes=4096
//
// The handler reads the whole request body before it does anything else,
// so a request that it counts is one the server processed. A request then
// fails or succeeds:
//
//   - it fails when it is among the first FailFirst requests with the same
//     path and query, or, after those, with probability FailRate drawn
//     from a generator seeded with Seed;
//   - a failing request fails in the way its [Fault] names: a status
//     (503 unless FailStatus is set, with Retry-After when RetryAfter is
//     set), a TCP reset in the middle of the body, a body cut short of its
//     Content-Length, a body that stalls or trickles after the headers, or
//     no response at all;
//   - a succeeding request gets Status (200 unless set) after Delay,
//     with a JSON body of Bytes bytes, written in slices when Trickle is
//     set.
//
// # Counters
//
// [Server.Stats] returns a snapshot of what the server saw: requests that
// reached the handler, POSTs among them, scripted failures, complete
// successful responses, and TCP connections opened and still open, as
// reported to http.Server.ConnState. [Server.PathRequests] counts one
// path, and [Server.RequestIDCount] counts the requests that carried one
// value of the [HeaderRequestID] header, which is how a test proves that
// a request was neither lost nor sent twice.
//
// # Outages
//
// [Server.Down] closes the listener and every connection, so that dials
// are refused, and [Server.Up] listens again on the same address.
// [Server.CloseIdleConns] closes the keep-alive connections that are idle,
// as a server does when its idle timeout passes.
//
// # Proxy
//
// [StartProxy] puts an in-process toxiproxy (github.com/Shopify/toxiproxy/v2)
// in front of any TCP address, a Server's included, and adds faults to the
// bytes that flow through it:
//
//	proxy := faultserver.StartProxy(t, srv.Addr)
//	proxy.Latency(faultserver.Downstream, 200*time.Millisecond, 0)
//	// requests to proxy.URL now see their responses 200 ms late.
//	proxy.RemoveAll()
//
// A toxic applies to new connections and to those already open. Each
// method that adds one returns its name for [Proxy.Remove].
//
// # Limits
//
// Servers speak HTTP/1.1 without TLS. Each distinct path and query keeps a
// small state for its failure count, and each request ID keeps a counter,
// until [Server.ResetStats], so a long run should reuse paths and IDs or
// reset between phases.
//
// NOTE: toxiproxy v2.5.0 leaves a goroutine blocked for good when a
// connection closes while a toxic still holds a further chunk of data for
// it, as a slicer does for a response that the client abandons half-way.
// A test that checks for leaked goroutines should send through a proxy
// only responses that are one write, or read every response to its end.
package faultserver
