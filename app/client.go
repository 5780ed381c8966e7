package app

import (
	"context"
	"net/url"
	"slices"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// AuthResult is the outcome of a successful acquisition (see domain.AuthResult).
type AuthResult = domain.AuthResult

// Account is a cached account (see domain.Account).
type Account = domain.Account

// AuthCodeFlow is an initiated auth-code flow the caller keeps until the redirect.
type AuthCodeFlow = domain.AuthCodeFlow

// client holds the flows of one partition and the methods both kinds of clients share.
type client struct {
	env       *Engine
	partition string
	silent    *usecases.Silent
	authCode  *usecases.AuthCode
	password  *usecases.UsernamePassword
	refresh   *usecases.RefreshTokenRedeemer
	code      *usecases.LegacyCode
	accounts  *usecases.Accounts
	device    *usecases.DeviceCode
	client    *usecases.ClientCredentials // confidential clients only
	stop      func(context.Context) error // the root client's; nil for partitions
}

// inPartition returns c's flows bound to another partition, sharing every port.
func (c *client) inPartition(name string) *client {
	p := &client{
		env: c.env, partition: name, silent: c.silent.InPartition(name), authCode: c.authCode.InPartition(name),
		password: c.password.InPartition(name), refresh: c.refresh.InPartition(name),
		code: c.code.InPartition(name), accounts: c.accounts.InPartition(name), device: c.device.InPartition(name),
	}
	if c.client != nil {
		p.client = c.client.InPartition(name)
	}
	return p
}

func newClient(env *Engine, partition string, cred domain.ClientCredential) (*client, error) {
	cfg := env.useCaseConfig(partition, cred)
	c := &client{env: env, partition: partition}
	var err error
	if c.silent, err = usecases.NewSilent(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.authCode, err = usecases.NewAuthCode(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.password, err = usecases.NewUsernamePassword(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.refresh, err = usecases.NewRefreshTokenRedeemer(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.code, err = usecases.NewLegacyCode(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.accounts, err = usecases.NewAccounts(cfg, env.deps); err != nil {
		return nil, err
	}
	if c.device, err = usecases.NewDeviceCode(cfg, env.deps); err != nil {
		return nil, err
	}
	if !cred.IsZero() {
		if c.client, err = usecases.NewClientCredentials(cfg, env.deps); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// resolve parses a per-call authority override: WithAuthority's URL, then
// WithTenantID's tenant on it (or on the client's authority).
func (c *client) resolve(o authorityOverride) (*domain.Authority, error) {
	if o.url == "" && o.tenant == nil {
		return nil, nil
	}
	a := c.env.authority
	if o.url != "" {
		var err error
		if a, err = domain.ParseAuthority(o.url, c.env.cfg.AuthorityKind); err != nil {
			return nil, err
		}
	}
	if o.tenant != nil {
		var err error
		if a, err = withTenant(a, *o.tenant); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// AcquireTokenSilent returns a token for account from the cache, or refreshes it with a
// cached refresh token. It returns an error matching domain.ErrInteractionRequired
// (domain.ErrNoTokens when nothing usable is cached) when the user must sign in again.
//
// With no scope beyond openid, profile and offline_access it is a sign-in for an ID
// token only (AuthResult.For is domain.ForIDToken): the account's cached ID token while
// it is valid beyond the expiry buffer, else a refreshed one; a refresh answered
// without an ID token is domain.ErrInteractionRequired, never the old ID token.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *client) AcquireTokenSilent(ctx context.Context, scopes []string, account Account, opts ...SilentOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenSilent"); err != nil {
		return AuthResult{}, err
	}
	call := silentCall{SilentRequest: usecases.SilentRequest{Scopes: scopes, Account: account}}
	for _, o := range opts {
		o.applySilent(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.silent.Acquire(ctx, call.SilentRequest)
}

// InitiateAuthCodeFlow starts an authorization-code flow with PKCE. Keep the returned
// flow (it serialises to JSON) and send the user to its AuthURI. redirectURI may be
// empty: the provider then answers at the app's registered redirect URI, and the token
// request carries none (MSAL's optional redirect_uri). Scopes may hold none beyond the
// reserved ones: a sign-in for an ID token only (domain.ForIDToken). WithResponseMode,
// WithMaxAge and WithExtraQueryParameters shape the request; the flow records the first
// two and the completion enforces them.
func (c *client) InitiateAuthCodeFlow(ctx context.Context, scopes []string, redirectURI string, opts ...AuthCodeOption) (AuthCodeFlow, error) {
	if err := checkContext(ctx, "InitiateAuthCodeFlow"); err != nil {
		return AuthCodeFlow{}, err
	}
	call, err := c.authCodeCallTo(scopes, redirectURI, opts)
	if err != nil {
		return AuthCodeFlow{}, err
	}
	return c.authCode.Initiate(ctx, call.AuthCodeRequest)
}

// AuthorizationURL returns an authorization URL without keeping a flow; redeem the code
// with AcquireTokenByAuthorizationCode. Prefer InitiateAuthCodeFlow. WithMaxAge is
// refused (domain.ErrInvalidInput): without a flow nothing records it, so the redemption
// could not check auth_time and a stale sign-in would pass for a fresh one; use
// InitiateAuthCodeFlow, which enforces it.
func (c *client) AuthorizationURL(ctx context.Context, scopes []string, redirectURI string, opts ...AuthCodeOption) (string, error) {
	if err := checkContext(ctx, "AuthorizationURL"); err != nil {
		return "", err
	}
	call, err := c.authCodeCallTo(scopes, redirectURI, opts)
	if err != nil {
		return "", err
	}
	return c.authCode.AuthorizationURL(ctx, call.AuthCodeRequest)
}

// authCodeCallTo is authCodeCall for the methods whose caller names the redirect URI,
// where a redirect port has no meaning.
func (c *client) authCodeCallTo(scopes []string, redirectURI string, opts []AuthCodeOption) (authCodeCall, error) {
	call, err := c.authCodeCall(scopes, redirectURI, opts)
	if err == nil && call.redirectPort != nil {
		err = domain.Errorf(domain.ErrInvalidInput, "app: WithRedirectPort applies to AcquireTokenInteractive only; put the port in redirectURI")
	}
	if err == nil && call.redirectPath != nil {
		err = domain.Errorf(domain.ErrInvalidInput, "app: WithRedirectPath applies to AcquireTokenInteractive only; put the path in redirectURI")
	}
	return call, err
}

func (c *client) authCodeCall(scopes []string, redirectURI string, opts []AuthCodeOption) (authCodeCall, error) {
	call := authCodeCall{AuthCodeRequest: usecases.AuthCodeRequest{Scopes: scopes, RedirectURI: redirectURI}}
	for _, o := range opts {
		o.applyAuthCode(&call)
	}
	var err error
	call.Authority, err = c.resolve(call.authority)
	return call, err
}

// AcquireTokenByAuthCodeFlow completes a flow with the query (or form) of the redirect
// the provider sent the user back with. It checks the flow, state, error, issuer, code
// and ID token, in that order, and caches the tokens only when all pass. WithScopes
// narrows the scopes the code is redeemed for; WithCorrelationID names the request. A
// flow initiated WithAuthority is completed WithAuthority of the same URL: the flow's
// authority must be the one completing it, so an edited flow cannot send the code to
// another issuer.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *client) AcquireTokenByAuthCodeFlow(ctx context.Context, flow AuthCodeFlow, response url.Values, opts ...FlowOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenByAuthCodeFlow"); err != nil {
		return AuthResult{}, err
	}
	var call flowCall
	for _, o := range opts {
		o.applyFlow(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.authCode.CompleteWith(ctx, flow, response, call.Completion)
}

// AcquireTokenByUsernamePassword signs a user in with a password (ROPC). Use it only
// where no browser is possible: it cannot do multi-factor authentication.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *client) AcquireTokenByUsernamePassword(ctx context.Context, username, password string, scopes []string, opts ...PasswordOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenByUsernamePassword"); err != nil {
		return AuthResult{}, err
	}
	call := passwordCall{PasswordRequest: usecases.PasswordRequest{Username: username, Password: domain.Secret(password), Scopes: scopes}}
	for _, o := range opts {
		o.applyPassword(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.password.Acquire(ctx, call.PasswordRequest)
}

// AcquireTokenByRefreshToken redeems a refresh token obtained elsewhere and caches the
// result, so later silent calls find it. The result always carries the refresh token
// the provider issued: a rotating provider has now spent the one presented. The result
// is cached under the account its ID token or client_info names, else under the one
// WithAccount names; when neither names one (many providers send no ID token on a
// refresh) nothing is cached and the result's Account is zero: keep its RefreshToken.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *client) AcquireTokenByRefreshToken(ctx context.Context, refreshToken string, scopes []string, opts ...RefreshTokenOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenByRefreshToken"); err != nil {
		return AuthResult{}, err
	}
	call := refreshTokenCall{RefreshTokenRequest: usecases.RefreshTokenRequest{RefreshToken: domain.Secret(refreshToken), Scopes: scopes}}
	for _, o := range opts {
		o.applyRefreshToken(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.refresh.Acquire(ctx, call.RefreshTokenRequest)
}

// AcquireTokenByAuthorizationCode redeems an authorization code for the redirect URI it
// was issued to. Prefer the auth-code flow, which also checks state and nonce.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *client) AcquireTokenByAuthorizationCode(ctx context.Context, code, redirectURI string, scopes []string, opts ...CodeOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenByAuthorizationCode"); err != nil {
		return AuthResult{}, err
	}
	call := codeCall{CodeRequest: usecases.CodeRequest{Code: domain.Secret(code), RedirectURI: redirectURI, Scopes: scopes}}
	for _, o := range opts {
		o.applyCode(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.code.Acquire(ctx, call.CodeRequest)
}

// Accounts lists the accounts this client has tokens for in its partition.
func (c *client) Accounts(ctx context.Context, opts ...AccountsOption) ([]Account, error) {
	if err := checkContext(ctx, "Accounts"); err != nil {
		return nil, err
	}
	var r accountsRequest
	for _, o := range opts {
		o.applyAccounts(&r)
	}
	return c.accounts.List(ctx, r.username)
}

// RemoveAccount deletes the tokens this client holds for the account, in this partition
// only, and the account's family refresh tokens unless the app is known to be in no
// family (ADR 0016: silent would redeem them; sibling apps are signed out too), and the
// account's records unless another app still holds a token of it (ADR 0020: that app
// keeps listing it). This client no longer lists the account.
func (c *client) RemoveAccount(ctx context.Context, account Account) error {
	if err := checkContext(ctx, "RemoveAccount"); err != nil {
		return err
	}
	return c.accounts.Remove(ctx, account)
}

// IsPoPSupported reports whether proof-of-possession tokens are supported (MSAL's
// is_pop_supported). It returns false: hexauth acquires bearer tokens only, and will
// report true once proof-of-possession through DPoP (RFC 9449) is built, not before.
func (c *client) IsPoPSupported() bool { return false }

// Authority returns the client's authority as parsed from Config.Authority (its kind,
// host and tenant), which per-call WithAuthority and WithTenantID override.
func (c *client) Authority() domain.Authority { return c.env.authority }

// ClientID returns the client id (Config.ClientID), for protocol messages an
// application sends itself, such as RP-initiated logout's client_id.
func (c *client) ClientID() string { return c.env.cfg.ClientID }

// EndSessionEndpoint returns the end_session_endpoint of the client's authority (OpenID
// Connect RP-Initiated Logout 1.0 §2.1), or "" when its discovery document announces
// none: an application that signs users out at the provider redirects there. It reads
// the document the engine signs in with, cached, its endpoints held to the same rules as
// every other (https, or http on a loopback host; the issuer's origin); a provider that
// cannot be reached when nothing is cached is domain.ErrDiscovery or
// domain.ErrUnavailable.
func (c *client) EndSessionEndpoint(ctx context.Context) (string, error) {
	if err := checkContext(ctx, "EndSessionEndpoint"); err != nil {
		return "", err
	}
	m, err := c.env.deps.IdentityProvider.Metadata(ctx, c.env.authority)
	if err != nil {
		return "", err
	}
	return m.EndSessionEndpoint, nil
}

// ClientCapabilities returns a copy of the capabilities the client declares
// (Config.ClientCapabilities).
func (c *client) ClientCapabilities() []string { return slices.Clone(c.env.cfg.ClientCapabilities) }

// PartitionName returns the cache partition this client reads and writes.
func (c *client) PartitionName() string { return c.partition }

// Close stops the client and releases its cache store. Clients returned by Partition
// share the root client's store: closing them does nothing; close the root.
func (c *client) Close() error {
	if c.stop == nil {
		return nil
	}
	return c.stop(context.Background())
}
