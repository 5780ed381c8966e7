package app

import (
	"net/url"
	"slices"
	"time"

	"github.com/hexauth/hexauth/domain"

	"github.com/hexauth/hexauth/usecases"
)

// Per-call options. Each method has its own sealed option type (SilentOption,
// AuthCodeOption, ...); an option constructor returns a type that implements the option
// types of every method it applies to, so WithAuthority works wherever an authority can
// be overridden and nowhere else.

// SilentOption configures AcquireTokenSilent.
type SilentOption interface{ applySilent(*silentCall) }

// AuthCodeOption configures InitiateAuthCodeFlow, AuthorizationURL and
// AcquireTokenInteractive.
type AuthCodeOption interface{ applyAuthCode(*authCodeCall) }

// PasswordOption configures AcquireTokenByUsernamePassword.
type PasswordOption interface{ applyPassword(*passwordCall) }

// RefreshTokenOption configures AcquireTokenByRefreshToken.
type RefreshTokenOption interface {
	applyRefreshToken(*refreshTokenCall)
}

// FlowOption configures AcquireTokenByAuthCodeFlow.
type FlowOption interface{ applyFlow(*flowCall) }

// CodeOption configures AcquireTokenByAuthorizationCode.
type CodeOption interface{ applyCode(*codeCall) }

// ClientOption configures AcquireTokenForClient.
type ClientOption interface{ applyClient(*clientCall) }

// AccountsOption configures Accounts.
type AccountsOption interface{ applyAccounts(*accountsRequest) }

type accountsRequest struct{ username string }

// The per-call request of each method: the use case's request plus what the facade
// resolves before calling it.
type (
	silentCall struct {
		usecases.SilentRequest
		authority authorityOverride
	}
	authCodeCall struct {
		usecases.AuthCodeRequest
		authority    authorityOverride
		redirectPort *int    // AcquireTokenInteractive only
		redirectPath *string // AcquireTokenInteractive only
	}
	passwordCall struct {
		usecases.PasswordRequest
		authority authorityOverride
	}
	refreshTokenCall struct {
		usecases.RefreshTokenRequest
		authority authorityOverride
	}
	codeCall struct {
		usecases.CodeRequest
		authority authorityOverride
	}
	flowCall struct {
		usecases.Completion
		authority authorityOverride
	}
	clientCall struct {
		usecases.ClientRequest
		authority authorityOverride
	}
)

// AuthorityOption overrides the client's authority for one call (another tenant, say).
// An invalid URL makes the call fail with domain.ErrInvalidInput.
type AuthorityOption struct{ url string }

// WithAuthority overrides the client's authority for one call.
func WithAuthority(url string) AuthorityOption { return AuthorityOption{url: url} }

func (o AuthorityOption) applySilent(r *silentCall)             { r.authority.url = o.url }
func (o AuthorityOption) applyAuthCode(r *authCodeCall)         { r.authority.url = o.url }
func (o AuthorityOption) applyPassword(r *passwordCall)         { r.authority.url = o.url }
func (o AuthorityOption) applyRefreshToken(r *refreshTokenCall) { r.authority.url = o.url }
func (o AuthorityOption) applyCode(r *codeCall)                 { r.authority.url = o.url }
func (o AuthorityOption) applyFlow(r *flowCall)                 { r.authority.url = o.url }
func (o AuthorityOption) applyClient(r *clientCall)             { r.authority.url = o.url }

// TenantIDOption sends one call to another tenant of the same Entra or B2C authority.
type TenantIDOption struct{ tenant string }

// WithTenantID sends one call to tenant (a tenant id or domain) on the host of the
// client's authority, or of WithAuthority's when both are given, as MSAL Go's option
// does: a user's guest tenants, or an app's customer tenants. A B2C authority keeps its
// policy. An OIDC issuer or ADFS has no tenants, and a tenant that is not one path
// segment of letters, digits, '.', '-' and '_' is refused: the call fails with
// domain.ErrInvalidInput.
func WithTenantID(tenant string) TenantIDOption { return TenantIDOption{tenant: tenant} }

func (o TenantIDOption) applySilent(r *silentCall)             { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyAuthCode(r *authCodeCall)         { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyPassword(r *passwordCall)         { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyRefreshToken(r *refreshTokenCall) { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyCode(r *codeCall)                 { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyFlow(r *flowCall)                 { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyClient(r *clientCall)             { r.authority.setTenant(o.tenant) }

// authorityOverride is a call's WithAuthority and WithTenantID.
type authorityOverride struct {
	url    string  // "" keeps the client's authority
	tenant *string // nil keeps the authority's tenant
}

func (o *authorityOverride) setTenant(t string) { o.tenant = &t }

// ForceRefreshOption skips the cached access token.
type ForceRefreshOption struct{}

// WithForceRefresh skips the cached access token and asks the provider for a new one.
func WithForceRefresh() ForceRefreshOption { return ForceRefreshOption{} }

func (ForceRefreshOption) applySilent(r *silentCall) { r.ForceRefresh = true }
func (ForceRefreshOption) applyClient(r *clientCall) { r.ForceRefresh = true }

// ClaimsOption sends a claims challenge or request (OIDC Core §5.5), for example the
// Claims of a *domain.Error; it implies skipping the cached access token.
type ClaimsOption struct{ claims string }

// WithClaims sends claims with the request.
func WithClaims(claims string) ClaimsOption { return ClaimsOption{claims: claims} }

func (o ClaimsOption) applySilent(r *silentCall)     { r.Claims = o.claims }
func (o ClaimsOption) applyAuthCode(r *authCodeCall) { r.Claims = o.claims }
func (o ClaimsOption) applyPassword(r *passwordCall) { r.Claims = o.claims }
func (o ClaimsOption) applyClient(r *clientCall)     { r.Claims = o.claims }

// CorrelationIDOption sets the correlation id sent to the provider.
type CorrelationIDOption struct{ id string }

// WithCorrelationID sets the correlation id sent to the provider and returned in the
// result and in errors. By default each call gets a random one.
func WithCorrelationID(id string) CorrelationIDOption { return CorrelationIDOption{id: id} }

func (o CorrelationIDOption) applySilent(r *silentCall)     { r.CorrelationID = o.id }
func (o CorrelationIDOption) applyPassword(r *passwordCall) { r.CorrelationID = o.id }
func (o CorrelationIDOption) applyRefreshToken(r *refreshTokenCall) {
	r.CorrelationID = o.id
}
func (o CorrelationIDOption) applyFlow(c *flowCall)     { c.CorrelationID = o.id }
func (o CorrelationIDOption) applyCode(r *codeCall)     { r.CorrelationID = o.id }
func (o CorrelationIDOption) applyClient(r *clientCall) { r.CorrelationID = o.id }

// AuthRequestOption sets a parameter of the authorization request.
type AuthRequestOption struct{ apply func(*authCodeCall) }

func (o AuthRequestOption) applyAuthCode(r *authCodeCall) { o.apply(r) }

// WithState uses state instead of a random one (it must still be unguessable).
func WithState(state string) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.State = state }}
}

// WithPrompt sets prompt (login, consent, select_account, none).
func WithPrompt(prompt string) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.Prompt = prompt }}
}

// WithLoginHint pre-fills the username on the sign-in page.
func WithLoginHint(hint string) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.LoginHint = hint }}
}

// WithDomainHint sends the user straight to their organisation's sign-in page.
func WithDomainHint(hint string) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.DomainHint = hint }}
}

// WithMaxAge asks the provider to re-authenticate a user who signed in longer ago.
func WithMaxAge(d time.Duration) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.MaxAge = &d }}
}

// WithCodeChallenge adds a PKCE S256 challenge to AuthorizationURL (Initiate always
// makes its own).
func WithCodeChallenge(challenge string) AuthRequestOption {
	return AuthRequestOption{func(r *authCodeCall) { r.CodeChallenge = challenge }}
}

// RedirectPortOption makes AcquireTokenInteractive listen on a fixed loopback port.
type RedirectPortOption struct{ port int }

// WithRedirectPort makes AcquireTokenInteractive listen on 127.0.0.1:port and send
// http://127.0.0.1:{port}/ as the redirect URI (register exactly that), for providers
// that match redirect URIs exactly, port included, instead of accepting any loopback
// port as RFC 8252 §7.3 asks. A port outside 1..65535 makes the call fail with
// domain.ErrInvalidInput; a port another process holds, with domain.ErrUnavailable.
// InitiateAuthCodeFlow and AuthorizationURL take the redirect URI as an argument: they
// refuse this option with domain.ErrInvalidInput.
func WithRedirectPort(port int) RedirectPortOption { return RedirectPortOption{port: port} }

func (o RedirectPortOption) applyAuthCode(r *authCodeCall) { r.redirectPort = &o.port }

// RedirectPathOption sets the path of AcquireTokenInteractive's loopback redirect URI.
type RedirectPathOption struct{ path string }

// WithRedirectPath makes AcquireTokenInteractive send http://127.0.0.1:{port}{path} as
// the redirect URI (with WithRedirectPort, register exactly that), for providers that
// register a redirect URI such as http://127.0.0.1:8400/callback exactly and refuse
// "/". The listener then answers only that path (404 elsewhere). The path must pass
// domain.CheckLoopbackRedirectPath (absolute, no query, fragment, escapes or dot
// segments), else the call fails with domain.ErrInvalidInput. InitiateAuthCodeFlow and
// AuthorizationURL take the redirect URI as an argument: they refuse this option with
// domain.ErrInvalidInput.
func WithRedirectPath(path string) RedirectPathOption { return RedirectPathOption{path: path} }

func (o RedirectPathOption) applyAuthCode(r *authCodeCall) { r.redirectPath = &o.path }

// CodeRedemptionOption sets what AcquireTokenByAuthorizationCode must send or check.
type CodeRedemptionOption struct{ apply func(*codeCall) }

func (o CodeRedemptionOption) applyCode(r *codeCall) { o.apply(r) }

// WithCodeVerifier sends the PKCE verifier of the authorization request.
func WithCodeVerifier(verifier string) CodeRedemptionOption {
	return CodeRedemptionOption{func(r *codeCall) { r.CodeVerifier = domain.Secret(verifier) }}
}

// NonceOption sends a nonce in the authorization request and checks it on redemption.
type NonceOption struct{ nonce string }

// WithNonce binds the ID token to one authorization request (OIDC Core §3.1.2.1).
// AuthorizationURL sends nonce (it sends none without this option; providers that
// require a nonce refuse such a request); AcquireTokenByAuthorizationCode checks the ID
// token's nonce against it (domain.ErrNonceMismatch when it differs or is missing),
// so pass the same value to both. InitiateAuthCodeFlow and AcquireTokenInteractive send
// and check it instead of a random one. Make it unguessable (domain.RandomString) and
// use it once; it must be printable ASCII (VSCHAR) of at most domain.MaxNonceBytes bytes, else the
// call fails with domain.ErrInvalidInput.
func WithNonce(nonce string) NonceOption { return NonceOption{nonce: nonce} }

func (o NonceOption) applyAuthCode(r *authCodeCall) { r.Nonce = o.nonce }
func (o NonceOption) applyCode(r *codeCall)         { r.Nonce = o.nonce }

// ScopesOption narrows the scopes a completed auth-code flow redeems its code for.
type ScopesOption struct{ scopes []string }

// WithScopes redeems the code of AcquireTokenByAuthCodeFlow for these scopes only, each
// one of those the flow asked for (MSAL's scopes argument of
// acquire_token_by_auth_code_flow); another scope is ErrInvalidInput. By default the
// code is redeemed for all of the flow's scopes.
func WithScopes(scopes ...string) ScopesOption { return ScopesOption{scopes: scopes} }

func (o ScopesOption) applyFlow(c *flowCall) { c.Scopes = o.scopes }

// AccountOption names the account a refresh token belongs to.
type AccountOption struct{ account Account }

// WithAccount tells AcquireTokenByRefreshToken which account the refresh token belongs
// to (one Accounts or an earlier result returned), so that a response without an ID
// token — as Google, Okta and some Keycloak set-ups answer a refresh — is cached under
// it, rotated refresh token included. A response whose ID token names another account
// is refused (domain.ErrInvalidIDToken) and nothing is cached.
func WithAccount(account Account) AccountOption { return AccountOption{account: account} }

func (o AccountOption) applyRefreshToken(r *refreshTokenCall) {
	a := o.account
	r.Account = &a
}

// UsernameOption filters Accounts by username, case-insensitively.
type UsernameOption struct{ username string }

// WithUsername keeps the accounts whose username equals username, ignoring case.
func WithUsername(username string) UsernameOption { return UsernameOption{username: username} }

func (o UsernameOption) applyAccounts(r *accountsRequest) { r.username = o.username }

// ExtraQueryOption adds parameters to the authorization request.
type ExtraQueryOption struct{ params url.Values }

// WithExtraQueryParameters adds params to the authorization URL of
// InitiateAuthCodeFlow, AuthorizationURL and AcquireTokenInteractive, as MSAL's
// extra keyword arguments do (a provider's extension, say Entra's "msafed" or Okta's
// "idp"). A parameter hexauth sets for the protocol (client_id, redirect_uri, scope,
// state, nonce, code_challenge*, response_type, response_mode, max_age, claims, ...;
// see domain.CheckExtraParameters), in any letter case, more than
// domain.MaxExtraParameters names or domain.MaxExtraParameterBytes in all make the call
// fail with domain.ErrInvalidInput before any request. The URL is what the browser is
// sent to: put no secret in it.
func WithExtraQueryParameters(params url.Values) ExtraQueryOption {
	return ExtraQueryOption{params: cloneValues(params)}
}

func (o ExtraQueryOption) applyAuthCode(r *authCodeCall) { r.ExtraQuery = o.params }

// ExtraBodyOption adds parameters to the token request.
type ExtraBodyOption struct{ params url.Values }

// WithExtraBodyParameters adds params to the token request of
// AcquireTokenByAuthCodeFlow, AcquireTokenByAuthorizationCode,
// AcquireTokenByUsernamePassword, AcquireTokenByRefreshToken and AcquireTokenForClient,
// as MSAL's extra keyword arguments do. A protocol parameter (grant_type, code,
// code_verifier, refresh_token, username, password, client_id, client_secret,
// client_assertion*, scope, redirect_uri, ...; see domain.CheckExtraParameters), in any
// letter case, or more than the bounds, make the call fail with domain.ErrInvalidInput
// before any request. Values may be secrets: the engine never logs them, and every
// value of 8 bytes or more is scrubbed from the provider's error text like the
// request's own secrets.
func WithExtraBodyParameters(params url.Values) ExtraBodyOption {
	return ExtraBodyOption{params: cloneValues(params)}
}

func (o ExtraBodyOption) applyFlow(c *flowCall)                 { c.ExtraBody = o.params }
func (o ExtraBodyOption) applyCode(r *codeCall)                 { r.ExtraBody = o.params }
func (o ExtraBodyOption) applyPassword(r *passwordCall)         { r.ExtraBody = o.params }
func (o ExtraBodyOption) applyRefreshToken(r *refreshTokenCall) { r.ExtraBody = o.params }
func (o ExtraBodyOption) applyClient(r *clientCall)             { r.ExtraBody = o.params }

// cloneValues copies v, so that a caller changing its map after the call changes
// nothing the call sends.
func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
