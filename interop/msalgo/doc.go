// Package msalgo proves, in its tests, that a hexauth token cache survives round trips
// through real MSAL clients: MSAL Go v1.10.1 (a dependency of this module only, so that
// the core module never depends on MSAL) and MSAL Python (Debian's python3-msal, run
// with /usr/bin/python3).
//
// Each round trip signs a user in with hexauth against a fake provider served over TLS
// on loopback (idptest with Config.TLS), exports hexauth's cache, loads it into the MSAL
// client, gets a silent hit with no token request, lets MSAL refresh (the fake rotates
// refresh tokens and revokes the whole chain when a spent one is presented again),
// imports MSAL's cache back into hexauth and refreshes there with the rotated token.
//
// Run them with
//
//	cd interop/msalgo && go test -race -count=1 ./...
//
// The package has no API; docs/cache-schema.md ("Proven round trips") says what the
// tests prove.
package msalgo
