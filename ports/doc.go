// Package ports declares the interfaces hexauth's use cases need from the outside world:
// an identity provider, a token cache store, a clock, a browser, an optional sealer
// for secrets at rest and an optional observer for traces and metrics. Adapters implement them; the conformance package tests that an
// adapter honours the contracts written here.
//
// Mocks of every port, generated with github.com/golang/mock/mockgen v1.6.0, live in
// package ports/mocks.
package ports
