// Package middleware defines the unit that a sturdy chain runs around each
// attempt of a request, and the middleware that sturdy ships: auth
// (HeaderAuth, BearerToken, BasicAuth, Signer), Logging with zerolog, and
// Retry with jittered exponential backoff (Backoff and the Jitter
// strategies).
//
// A Middleware is a plain struct of optional hooks with a unique name. A
// middleware can be tested alone: put it in a chain with sturdy.NewChain,
// install the chain on a resty client whose transport is an httpmock
// MockTransport, and assert on the calls the mock received.
package middleware
