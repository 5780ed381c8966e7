// Package jose is hexauth's one implementation of JWS (RFC 7515) and JWK (RFC 7517),
// on go-jose v4, shared by the HTTP provider adapter, its fake server and the fake
// provider engine, so that what the fakes sign is what the adapter verifies.
//
// It accepts RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA (and verifies RFC
// 9864's Ed25519, the same signature under its fully-specified name), never "none" or an
// HMAC: a client verifies with a provider's public key, and an HS* token "verified"
// with that public key as the secret is a classic forgery. Claims are not its business:
// domain parses and checks them with the standard library.
package jose
