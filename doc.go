// Package sturdy builds resilient HTTP clients for Go backends that call
// APIs which fail: connections reset, attempts time out, servers answer
// 429 or a run of 5xx.
//
// A client is a github.com/go-resty/resty/v2 client with a chain of named
// middleware installed on its transport. The default stack from New is:
//
//	auth → your middleware → logging → retry
//
// Auth sets its headers on every attempt, logging writes a zerolog line for
// each attempt, retry and outcome, and retry decides whether a failed
// attempt is tried again and how long to wait first. The defaults retry
// network errors, timed-out attempts and the statuses 408, 429, 500, 502,
// 503 and 504, never 400, 401, 403 or another 4xx; they make up to 5
// retries with waits of 1, 2, 4, 8 and 16 s, each spread by ±25% jitter;
// and each attempt times out after 30 s.
//
//	client, err := sturdy.New(
//		sturdy.WithBaseURL("https://api.example.com"),
//		sturdy.WithHeaderAuth(id, signature),
//		sturdy.WithLogger(logger),
//	)
//	if err != nil {
//		return err
//	}
//	resp, err := client.R().SetContext(ctx).Get("/products")
//
// When a call fails for good, its error is an *Error that records every
// attempt and unwraps to the cause, so errors.Is works with context and
// network errors. The caller's context bounds the whole call: cancelling
// it ends a backoff wait at once, and a wait that would pass its deadline
// is not started.
//
// The chain of a client (Client.Chain) can be inspected and edited while
// requests run, and a chain can be installed on a resty client built
// elsewhere with Chain.Install. Package middleware holds the middleware
// constructors and the backoff types; package sturdytest helps test code
// that uses sturdy with httpmock.
package sturdy
