// Package msalgo benchmarks hexauth beside MSAL Go v1.10.1 in one run, on one fixture
// (Entra-sized tokens: a 1.37 KB ID token, a 1.6 KB access token and a 1.2 KB refresh
// token per account), through each library's public API: the silent cache hit at 1, 10k
// and 100k accounts, account listing and removal at 100k, and the refresh stampede
// (100 concurrent silent calls that need one refresh: token requests sent).
//
// It is a module of its own so that the core module never depends on MSAL Go. Its
// benchmarks are long and do not run in CI (which only vets and compiles them):
//
//	cd bench/msalgo && go test -run '^$' -bench . -benchtime 200x -count 5 -timeout 60m
//
// docs/benchmarks.md ("Side by side with MSAL Go") holds the figures.
package msalgo
