// Package idptest runs a fake OpenID Connect provider on a real loopback HTTP server,
// for testing applications that sign users in or get tokens, offline and including the
// failures. It is to identity providers what net/http/httptest is to HTTP servers.
//
// A test starts a server with its users and clients and points the application at it:
//
//	srv := idptest.NewTestServer(t, idptest.Config{
//		Provider: idptest.ProviderConfig{
//			Users:   []idptest.User{{Username: "ada@example.com", Password: "pw"}},
//			Clients: []idptest.Client{{ID: "my-app", Secret: "s3cret"}},
//		},
//		AutoApproveUser: "ada@example.com",
//	})
//	app := myapp.New(srv.Issuer(), "my-app", "s3cret") // the issuer is srv.URL()
//
// # Endpoints
//
// The server speaks two URL layouts over the same engine:
//
//	OIDC   {base}/.well-known/openid-configuration          issuer {base}
//	       {base}/authorize  {base}/token  {base}/keys
//	Entra  {base}/{tenant}/v2.0/.well-known/openid-configuration
//	       {base}/{tenant}/oauth2/v2.0/authorize  .../token  {base}/{tenant}/discovery/v2.0/keys
//	Device {base}/device_authorization  {base}/{tenant}/oauth2/v2.0/devicecode  (RFC 8628)
//	       {base}/device  the page where a user enters a user code and approves or declines
//	Logout {base}/logout  with Config.EndSession (OpenID Connect RP-Initiated Logout 1.0)
//
// Device codes are polled at ProviderConfig.DeviceInterval (5 s) and expire after
// DeviceCodeLifetime (15 min); a poll sooner than the interval is answered slow_down.
// Server.ApproveDevice and DenyDevice decide in the user's place; Fault scripts any
// other poll answer (Grant urn:ietf:params:oauth:grant-type:device_code).
//
// In the Entra layout the issuer is "{base}/{tenant id}/v2.0", or the template
// "{base}/{tenantid}/v2.0" for common, organizations and consumers, whose ID tokens
// then carry the user's tenant id. As in real Entra, a tenant given by name
// ({base}/contoso.onmicrosoft.com) is published under its tenant id: the one
// ProviderConfig.TenantDomains maps the name to, else DefaultTenantID. A user configured
// without a TenantID is a member of the tenant they sign in at (tid, client_info's utid
// and the issuer name the authority's tenant; DefaultTenantID through common,
// organizations, consumers or an OIDC issuer); a user with a TenantID is a B2B guest in
// any other tenant (that tenant's tid, client_info still the home account). ID tokens are signed (ES256 by default, or any of
// RS/PS/ES 256-512 and EdDSA) with a key published at the JWKS endpoint.
//
// The authorization endpoint (authorization code with PKCE S256 only) signs in
// Config.AutoApproveUser at once, or shows a minimal HTML login form. The form posts
// username and password, with the authorization request repeated in hidden fields, back
// to the same URL. Server.SignIn submits it as a browser would and returns the query of
// the redirect back to the application:
//
//	v, err := srv.SignIn(ctx, authURL, "ada@example.com", "pw") // authURL: the app's authorization URL
//	// v holds code, state (and iss), or error=access_denied and error_description
//
// Any HTTP client can do the same without parsing the form: POST the authorization
// URL's query plus username and password to its endpoint, following no redirect.
//
// The token endpoint accepts application/x-www-form-urlencoded requests for the
// authorization_code (PKCE verified), password, refresh_token (rotated when
// ProviderConfig.RotateRefreshTokens) and client_credentials grants. Clients
// authenticate with none (public clients), client_secret_basic, client_secret_post or
// private_key_jwt (RFC 7523: the assertion's signature verified with the client's
// registered certificate or key, its x5t#S256 matched to the certificate, iss = sub =
// the client id, aud = the token endpoint, exp checked, jti not replayed). Responses
// are RFC 6749 JSON; errors carry Entra's error_codes, suberror, claims, timestamp,
// trace_id and correlation_id.
//
// With Config.TLS the server serves https with a self-signed certificate for the
// loopback addresses (Server.Client trusts it; Server.CertificatePEM is a CA bundle for
// clients configured with a file), for clients that refuse a plain-http authority, as
// MSAL Go and MSAL Python do.
//
// # Faults
//
// Script queues faults that apply to the next matching requests: HTTP statuses with
// JSON, HTML, empty, malformed, oversized (past 1 MiB) or gzip-bomb bodies, delays,
// Retry-After, redirects of the token POST to another host, dropped connections, gzip
// encoding of real responses, ID-token defects, refused refresh tokens and expires_in
// sent as a string. Every request is counted, faulted or not: Requests counts token
// requests per grant, EndpointRequests per endpoint.
//
// The protocol itself (users, clients, codes, PKCE, refresh tokens, ID tokens) is
// hexauth's fake provider engine, which adapters/memory also serves in-process; this
// package is its HTTP front. A Server is safe for concurrent use.
package idptest
