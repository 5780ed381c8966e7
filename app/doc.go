// Package app is hexauth's public API: a PublicClient or ConfidentialClient acquires,
// caches and refreshes tokens with the flows MSAL has (silent with refresh, auth code
// with PKCE, interactive on a loopback redirect, the device code flow, username and
// password, refresh token, authorization code, client credentials), over the cache store and identity provider
// a Config names. NewPublicClient and NewConfidentialClient build the same fx graph
// that Module, Options and the adapter modules give fx users.
//
// # Cache stores
//
// A program links only the stores it uses. The memory store ("memory:") is built in;
// SQLite and Postgres live in app/sqlitestore and app/postgresstore, whose import
// registers their Config.Cache schemes (RegisterCacheStore), as importing a
// database/sql driver registers its name. A library should not import them: it takes a
// store its caller opened, in Config.CacheStore (the caller closes it). See
// docs/adapters.md.
//
// # The Go ecosystem
//
// TokenSource and ClientCredentialsTokenSource adapt a client to golang.org/x/oauth2
// (oauth2.NewClient, gRPC credentials); SilentBearer and ClientCredentialsBearer feed
// package bearer's authorizing http.RoundTripper, which answers claims challenges.
// See docs/ecosystem.md.
//
// # Interactive sign-in
//
// PublicClient.AcquireTokenInteractive listens on 127.0.0.1 (at a random port, or the
// one WithRedirectPort fixes for providers that match redirect URIs exactly), opens
// the authorization URL with Config.Browser and waits, under ctx, for the provider's
// redirect. Any process on the machine, or any web page, can send requests to that
// port: only a request whose state is the flow's (compared in constant time) is taken,
// a provider's error redirect included (RFC 6749 §4.1.2.1); every other request is
// answered 400 and the wait goes on.
//
// # The provider's HTTP client
//
// Config.HTTPClient (or Config.Transport) carries every request to the provider: a
// proxy, otelhttp, a private CA. It is copied, never modified, and hexauth's redirect
// rules hold through it: token requests follow no redirect, discovery and key-set
// requests none to another origin. Endpoints a discovery document names must be on the
// issuer's origin (for Entra ID, its cloud's hosts) unless Config.AllowedHosts names
// their host. Clients of one process whose Configs have the same HTTPClient, Transport,
// AllowedHosts, Logger and Clock share one provider adapter — discovery documents, key
// sets, connections, throttle windows — while at least one of them is open; closing one
// never affects the others. Config.IdentityProvider gives a client its own.
//
// # Tokens returned with an error
//
// Unlike most Go APIs, a token method may return a populated result together with a
// non-nil error. It does so when the provider answered but the answer could not be
// kept: the cache store kept failing (three attempts; the error matches
// domain.ErrCacheStore, and the result holds everything the provider sent — access
// token, ID token, account), or the ID token could not be checked because the key set
// or metadata was unreachable (domain.ErrUnavailable or ErrThrottled; the result holds
// the access and refresh tokens only, and nothing is cached). Either way the result
// carries the new RefreshToken, even for AcquireTokenSilent: the provider may have
// rotated it and revoked the one it replaced, so a caller that drops this result may
// lose the user's session:
//
//	res, err := pc.AcquireTokenSilent(ctx, scopes, account)
//	if err != nil && res.RefreshToken != "" {
//		keep(res.RefreshToken) // not cached: store it elsewhere, or redeem it later
//	}
//
// Every other error comes with the zero result. See docs/errors.md.
//
// # Secrets
//
// Tokens, passwords, codes and client secrets are domain.Secret values, which print
// and log redacted. A Config does the same for its SealingKey (shown as
// "set (32 bytes)" or "unset") and for a password in its Cache URL ("xxxxx"), under
// every fmt verb and in slog output.
package app
