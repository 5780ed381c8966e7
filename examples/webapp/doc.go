// Package webapp is a small multi-tenant web application that signs users in with
// hexauth: the OAuth 2.0 authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636),
// an ID-token claims page, a page that calls a downstream API through the authorizing
// client of package bearer, and a sign-out that removes the account from the token cache.
//
// It uses net/http only. Each tenant is a path prefix, /t/{tenant}/, served from its own
// cache partition (app.ConfidentialClient.Partition), so one tenant's users and tokens are
// invisible to every other tenant.
//
// Nothing secret reaches the browser in the clear, and no token reaches it at all:
//
//   - the in-progress flow (state, nonce, PKCE verifier) lives in a short-lived cookie
//     sealed with AES-256-GCM (adapters/aesgcm), HttpOnly, SameSite=Lax, Secure and
//     "__Host-" prefixed when the public URL is https;
//   - after sign-in, a sealed session cookie names only the tenant, a session id and a
//     CSRF token; the session id (256 random bits, new at each sign-in) names the
//     account in a server-side session store, and the tokens stay in hexauth's cache.
//
// The cookies are sealed with associated data that names their purpose (and the
// tenant, for a session), so one cookie cannot be replayed as another. A callback is
// refused with a 4xx page, and nothing is cached, when its flow cookie is missing,
// expired, unreadable or from another sign-in (the state differs), when the provider
// answers an error, or when the code was already redeemed. Sign-out is a POST that
// carries the session's CSRF token; it deletes the account's session ids, so a copy of
// the cookie is dead for good, and then, when the provider has an end_session_endpoint,
// redirects there (OpenID Connect RP-Initiated Logout 1.0) with the ID token as
// id_token_hint and PostLogoutRedirectURI.
//
// cmd/webapp runs it against a configured provider; README.md walks through it.
package webapp
