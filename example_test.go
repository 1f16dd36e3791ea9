package sturdy_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jarcoal/httpmock"

	"github.com/sturdyhttp/sturdy"
	"github.com/sturdyhttp/sturdy/middleware"
	"github.com/sturdyhttp/sturdy/sturdytest"
)

// A client with the default stack retries a flaky endpoint until it
// answers. The mock transport stands in for a real API; the short,
// unjittered backoff keeps the example fast and its output fixed.
func ExampleNew() {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/products",
		sturdytest.FailThenSucceed(2,
			httpmock.NewStringResponder(503, "busy"),
			httpmock.NewStringResponder(200, `[{"code":"A-1"}]`)))

	var waits []time.Duration
	client, err := sturdy.New(
		sturdy.WithBaseURL("https://api.example.com"),
		sturdy.WithHeaderAuth("tenant-id", "tenant-signature"),
		sturdy.WithBackoff(10*time.Millisecond, time.Second),
		sturdy.WithJitter(middleware.NoJitter{}),
		sturdy.WithTransport(mock),
		sturdy.WithMiddleware(middleware.Middleware{
			Name:    "record-waits",
			OnRetry: func(ev middleware.RetryEvent) { waits = append(waits, ev.Wait) },
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	resp, err := client.R().Get("/products")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode(), resp.String())
	fmt.Println("attempts:", mock.GetTotalCallCount())
	fmt.Println("waits:", waits)
	// Output:
	// 200 [{"code":"A-1"}]
	// attempts: 3
	// waits: [10ms 20ms]
}

// When retries run out, the request's error is an *sturdy.Error that
// records every attempt, and the response is the last one received.
func ExampleError() {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/orders",
		httpmock.NewStringResponder(503, "maintenance"))
	client, err := sturdy.New(
		sturdy.WithMaxRetries(2),
		sturdy.WithBackoff(time.Millisecond, time.Second),
		sturdy.WithJitter(middleware.NoJitter{}),
		sturdy.WithTransport(mock),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	resp, err := client.R().Get("https://api.example.com/orders")

	var se *sturdy.Error
	if errors.As(err, &se) {
		for _, a := range se.Attempts {
			fmt.Printf("attempt %d: status %d, then wait %v\n", a.Number, a.Status, a.Wait)
		}
		fmt.Println("retries exhausted:", errors.Is(err, sturdy.ErrRetriesExhausted))
		fmt.Println("last body:", string(se.Body))
	}
	fmt.Println("response:", resp.StatusCode(), resp.String())
	fmt.Println(err)
	// Output:
	// attempt 1: status 503, then wait 1ms
	// attempt 2: status 503, then wait 2ms
	// attempt 3: status 503, then wait 0s
	// retries exhausted: true
	// last body: maintenance
	// response: 503 maintenance
	// sturdy: GET https://api.example.com/orders: 3 attempts failed: last status 503 Service Unavailable (sturdy: retries exhausted)
}

// A chain can run on a resty client the caller already owns. Set the
// client's transport first: Install wraps it.
func ExampleChain_Install() {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/health",
		sturdytest.FailThenSucceed(1,
			httpmock.NewStringResponder(502, "bad gateway"),
			httpmock.NewStringResponder(200, "healthy")))
	rc := resty.New().SetTransport(mock)

	retry, err := middleware.Retry(middleware.RetryConfig{
		MaxRetries: 3,
		Backoff:    middleware.Backoff{Base: time.Millisecond, Max: time.Second},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	chain, err := sturdy.NewChain(retry)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := chain.Install(rc); err != nil {
		fmt.Println(err)
		return
	}

	resp, err := rc.R().Get("https://api.example.com/health")
	fmt.Println(resp.String(), err, mock.GetTotalCallCount())
	// Output:
	// healthy <nil> 2
}

// The chain of a client can be inspected and changed while the client is
// in use; each request keeps the chain it started with.
func ExampleChain() {
	client, err := sturdy.New(sturdy.WithBearerToken("token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	chain := client.Chain()
	fmt.Println(chain.Names())

	timing := middleware.Middleware{
		Name:          "timing",
		BeforeAttempt: func(a *middleware.Attempt) error { return nil },
	}
	if err := chain.InsertAfter(middleware.AuthName, timing); err != nil {
		fmt.Println(err)
		return
	}
	if err := chain.Disable(middleware.LoggingName); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range chain.Entries() {
		fmt.Println(e.Name, e.Enabled)
	}

	fmt.Println(chain.Remove("cache"))
	// Output:
	// [auth logging retry]
	// auth true
	// timing true
	// logging false
	// retry true
	// sturdy: no middleware named "cache" in the chain ["auth" "timing" "logging" "retry"]; use one of those names or add the middleware first
}

// In tests, sturdytest.Swap replaces a middleware with a fake for the
// length of the test. Here the auth middleware is replaced directly.
func ExampleChain_Replace() {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/me",
		func(r *http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(200, r.Header.Get("Authorization")), nil
		})
	client, err := sturdy.New(sturdy.WithBearerToken("production-token"), sturdy.WithTransport(mock))
	if err != nil {
		fmt.Println(err)
		return
	}

	fake, err := middleware.BearerToken("test-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := client.Chain().Replace(middleware.AuthName, fake); err != nil {
		fmt.Println(err)
		return
	}

	resp, _ := client.R().Get("https://api.example.com/me")
	fmt.Println(resp.String())
	// Output:
	// Bearer test-token
}
