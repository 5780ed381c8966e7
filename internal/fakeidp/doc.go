// Package fakeidp is the protocol engine of hexauth's fake OAuth 2.0 / OpenID Connect
// identity provider: users, clients, authorization codes bound to PKCE challenges
// (RFC 7636), refresh tokens and their rotation, ID tokens minted and signed with the
// fake's own key (ES256 by default, or any algorithm internal/jose accepts) and published as a JWKS document (RFC 7517), scripted
// faults and per-grant request counts.
//
// It performs no I/O. Two fronts use it: adapters/memory.IdentityProvider, an in-process
// ports.IdentityProvider, and adapters/httpidp/idptest, which serves the same engine
// over a real loopback HTTP server. The HTTP front parses requests and authenticates
// clients itself (client_secret_basic, client_secret_post, private_key_jwt against
// Client.PublicKey) before calling Token with TokenOptions.ClientAuthenticated; the
// in-process front lets Token check the credential of the domain.TokenRequest.
//
// Refusals are *domain.Error values shaped like a provider's error response: Code,
// Description (Entra-style "AADSTSnnnn: ..." text), SubError, ErrorCodes, Claims and the
// HTTPStatus a real provider would answer with, classified with domain.Classify. They
// never contain a password, code, verifier, token or client secret.
//
// A Provider is safe for concurrent use.
package fakeidp
