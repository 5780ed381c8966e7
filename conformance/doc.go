// Package conformance holds the test suites every adapter of a hexauth port must pass,
// in the manner of testing/fstest.TestFS: an adapter's own tests call the suite with a
// constructor, and the suite runs one subtest per behaviour of the port's contract.
//
// TestCacheStore checks a ports.CacheStore; BenchmarkCacheStore measures its indexed
// look-up at growing numbers of cached accounts.
//
// TestFlows runs the flows of DESIGN §3 end to end — sign-in, silent hits and refreshes
// (proactive, concurrent, refused, family fallback), the auth code flow with its state,
// issuer (RFC 9207) and ID-token checks, client credentials per tenant, the legacy
// authorization code, accounts and partitions — over a FlowHarness: the harness builds
// each scenario a fresh FlowEnv (a FakeProvider, an empty store, a clock and the flows
// bound to a client and partition) and declares in FlowFeatures what its fake can
// express; scenarios needing more are skipped with the reason. After every refused call
// the suite also checks that nothing was cached.
//
// The package imports only domain, ports, testing and the standard library, so every
// adapter can use it.
package conformance
