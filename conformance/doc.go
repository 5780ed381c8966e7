// Package conformance holds the test suites every adapter of a hexauth port must pass,
// in the manner of testing/fstest.TestFS: an adapter's own tests call the suite with a
// constructor, and the suite runs one subtest per behaviour of the port's contract.
//
// TestCacheStore checks a ports.CacheStore; BenchmarkCacheStore measures its indexed
// look-up at growing numbers of cached accounts. The package imports only domain, ports,
// testing and the standard library, so every adapter can use it.
package conformance
