// Package bearer sends OAuth 2.0 bearer tokens (RFC 6750) from hexauth over
// net/http: Transport, an http.RoundTripper that authorizes requests to the hosts a
// caller allows and answers a claims challenge (Entra's continuous access evaluation,
// error="insufficient_claims") with one new token and one retry; and ParseChallenges,
// a bounded parser of WWW-Authenticate fields (RFC 9110 §11.6.1, RFC 6750 §3).
//
// Tokens come from an Acquirer, which package app builds over a client
// (app.SilentBearer, app.ClientCredentialsBearer); this package imports only domain
// and the standard library.
package bearer
