// Package e2e is hexauth's end-to-end suite against a real, OpenID Certified provider:
// node-oidc-provider, set up by provider/server.mjs with two issuers on one loopback host.
// Its tests carry the build tag e2e, so a plain go test ./... stays offline and fast; run
// them with
//
//	(cd e2e && npm ci) && go test -tags e2e ./e2e/
//
// The suite starts the provider itself and fails, never skips, when it cannot. See
// docs/e2e.md for what it proves.
package e2e
