// Package httpidp implements ports.IdentityProvider over HTTP: OpenID Connect discovery
// for Entra ID, Entra B2C, ADFS and any OIDC issuer, the token endpoint with four client
// authentication methods, retries on go-retryablehttp that never send a single-use grant
// twice, and ID-token signature verification against the provider's JWKS.
//
// # Discovery
//
// Metadata fetches the authority's discovery document (OpenID Connect Discovery 1.0)
// from the URL its kind prescribes:
//
//	Entra ID  https://{host}/{tenant}/v2.0/.well-known/openid-configuration
//	B2C       https://{host}/{tenant}/{policy}/v2.0/.well-known/openid-configuration
//	ADFS      https://{host}/adfs/.well-known/openid-configuration
//	OIDC      {issuer}/.well-known/openid-configuration
//
// and refuses it (ErrDiscovery) unless its issuer is the one expected (OIDC Discovery
// §4.3): for an OIDC issuer, the authority URL itself, exactly — an issuer that ends in
// "/" is configured with it, and one configured without it does not match a document
// that has it; for ADFS https://{host}/adfs; for Entra
// ID with a tenant id, https://{host}/{tenant id}/v2.0; for common and organizations the
// template https://{host}/{tenantid}/v2.0; for consumers that template or the consumer
// tenant's GUID; for a tenant given as a domain name (contoso.onmicrosoft.com) the
// issuer carries the tenant's GUID instead, so any https://{host}/{guid}/v2.0 is
// accepted then; for B2C https://{host}/{tenant or guid}/v2.0 with or without a
// trailing slash. Entra hosts may be any alias of the authority's cloud
// (login.microsoftonline.com, login.windows.net, ...). Documents are cached for
// Config.MetadataTTL and shared by every caller of one Provider; New makes no network
// call. A failed fetch is remembered for 10 seconds (callers then get its error without a
// request), and a discovery document whose refetch gets no answer or is throttled (an
// outage; not a 404 or a refused document) is still used for up to a week past its time
// to live.
//
// # Where metadata may point
//
// A discovery document decides where passwords, codes and client secrets go, so
// (docs/adr/0007-provider-redirects-and-origins.md):
//
//   - Discovery and key-set GETs follow at most 5 redirects, each within the origin
//     (scheme, host, port) the request started on and to https or loopback http; a
//     redirect elsewhere is ErrDiscovery. POSTs follow no redirect at all.
//   - Every endpoint the document names (authorization, token, jwks_uri,
//     end_session) must use https, or http on a loopback host, and be on the issuer's
//     origin — for Entra ID, on any host of the authority's cloud — or on a host of
//     Config.AllowedHosts; otherwise the document is refused (ErrDiscovery, naming the
//     field and the host).
//   - A link-local host (169.254.0.0/16, fe80::/10: cloud metadata services, or a
//     number that resolvers may read as such an address) is refused as the authority's
//     host (ErrInvalidInput, before any request) or an endpoint's (ErrDiscovery)
//     unless Config.AllowedHosts names it. No name is resolved.
//
// These rules hold with the caller's Config.HTTPClient too: the adapter uses a copy
// whose CheckRedirect applies them before the caller's own.
//
// # Token endpoint and retries
//
// Token redeems an authorization code, a password, a refresh token or client
// credentials. Connection failures and HTTP 500, 502, 503 and 504 are retried up to
// Config.MaxRetries times with jittered exponential backoff; a Retry-After on a 429 or
// 5xx is honoured up to Config.RetryAfterCap, and a longer one fails at once with
// ErrThrottled carrying RetryAfter. After such an answer an identical request fails fast
// (ErrThrottled) without a network call until the Retry-After window closes. Other 4xx
// are never retried. Authorization codes and (possibly rotating) refresh tokens are
// single-use: for those grants only dial errors — failures that provably happened
// before the request left — are retried. POSTs follow no redirects, every attempt has
// Config.AttemptTimeout, and response bodies are read through a 1 MiB cap applied after
// decompression.
//
// # Errors
//
// Every error is a *domain.Error classified for errors.Is; docs/errors.md lists the
// classes and what a caller should do about each. A discovery or key-set GET that is
// throttled is ErrThrottled (and, after a Retry-After, a GET of the same URL fails fast
// until the window closes); one that gets no answer, or a 5xx after the retries, is
// ErrUnavailable; ErrDiscovery is kept for a document that is not served or is wrong,
// so that "try again later" never reads as "wrong authority". Error strings and log
// lines never contain tokens, codes, passwords, verifiers, client secrets or whole
// response bodies.
package httpidp
