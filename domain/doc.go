// Package domain holds hexauth's pure model of OAuth 2.0 and OpenID Connect token
// acquisition: scope sets, authorities and their environment aliases, the five kinds of
// MSAL unified-cache entries and their keys, expiry rules, the authorization-code flow with
// PKCE, ID-token claims and their checks, token-response parsing and the error taxonomy.
//
// The package performs no I/O, reads no clock and keeps no mutable globals: every function
// that depends on time takes "now" as a parameter, and randomness is read from an
// io.Reader the caller passes (crypto/rand.Reader in production).
package domain
