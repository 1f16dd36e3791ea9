// Package bench compares sturdy with the HTTP clients that its users
// would otherwise pick: net/http, resty v2, hashicorp/go-retryablehttp and
// failsafe-go's HTTP integration. The benchmarks measure the healthy path,
// the cost of each middleware in the chain, and how each client behaves
// when the server fails. run.sh runs them and writes
// docs/performance.md; smoke.sh runs each once.
package bench
