package memory

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
	"github.com/hexauth/hexauth/ports"
)

// ProviderConfig configures an IdentityProvider: its clock (required), users, clients,
// known scopes, token lifetimes, refresh-token rotation, response options and signing
// key. See the field docs for each zero value.
type ProviderConfig = fakeidp.Config

// User is an account of the fake identity provider (username, password, subject,
// object and tenant ids, display name, and whether it requires MFA or denies consent).
type User = fakeidp.User

// Client is an application registered with the fake identity provider (id, secret,
// family, redirect URIs, certificate).
type Client = fakeidp.Client

// IDTokenFault is a scripted defect of the ID tokens the fake issues; see
// IdentityProvider.SetIDTokenFault.
type IDTokenFault = fakeidp.IDTokenFault

// ID token faults, for IdentityProvider.SetIDTokenFault.
const (
	IDTokenOK             = fakeidp.IDTokenOK             // correct ID tokens
	IDTokenWrongNonce     = fakeidp.IDTokenWrongNonce     // a nonce other than the one sent
	IDTokenWrongIssuer    = fakeidp.IDTokenWrongIssuer    // an iss other than the authority's issuer
	IDTokenWrongAudience  = fakeidp.IDTokenWrongAudience  // an aud without the client id
	IDTokenExpired        = fakeidp.IDTokenExpired        // exp an hour in the past
	IDTokenWrongSignature = fakeidp.IDTokenWrongSignature // a signature that does not verify
	IDTokenOtherSubject   = fakeidp.IDTokenOtherSubject   // another sub, on refresh responses
	IDTokenAlgNone        = fakeidp.IDTokenAlgNone        // an unsigned token (alg "none")

	IDTokenExtraAudience        = fakeidp.IDTokenExtraAudience        // a second audience, no azp
	IDTokenWrongAzp             = fakeidp.IDTokenWrongAzp             // azp another party
	IDTokenAccessTokenType      = fakeidp.IDTokenAccessTokenType      // typ "at+jwt", correctly signed
	IDTokenHMAC                 = fakeidp.IDTokenHMAC                 // MAC'd with HS256
	IDTokenExtraAudienceWithAzp = fakeidp.IDTokenExtraAudienceWithAzp // a second audience, azp the client (valid)
	IDTokenRefreshAddsAudience  = fakeidp.IDTokenRefreshAddsAudience  // azp the client; a second audience on refresh responses
	IDTokenRefreshAddsAzp       = fakeidp.IDTokenRefreshAddsAzp       // azp added, on refresh responses
	IDTokenRefreshAddsNonce     = fakeidp.IDTokenRefreshAddsNonce     // a nonce added, on refresh responses
	IDTokenNoAuthTime           = fakeidp.IDTokenNoAuthTime           // no auth_time (max_age ignored)
	IDTokenStaleAuthTime        = fakeidp.IDTokenStaleAuthTime        // auth_time a day old (an old session reused)
)

// Signing algorithms for ProviderConfig.SigningAlg.
const (
	AlgES256 = fakeidp.AlgES256
	AlgRS256 = fakeidp.AlgRS256
)

// Operation names in the errors of IdentityProvider.
const (
	opProviderConfig = "memory: identity provider config"
	opMetadata       = "memory: metadata"
	opAuthURL        = "memory: authorization URL"
	opAuthorize      = "memory: authorize"
	opToken          = "memory: token"
	opVerify         = "memory: verify ID token"
	opDevice         = "memory: device authorization"
)

// IdentityProvider is an in-process fake OAuth 2.0 / OpenID Connect provider that
// implements ports.IdentityProvider, for tests and examples that run every flow offline.
// It answers for any authority (see Metadata), signs its ID tokens with its own key, and
// lets tests sign a user in (Authorize; ApproveDevice or DenyDevice for the device code
// flow), script failures (FailNext, RevokeRefreshTokens, SetIDTokenFault) and count
// requests (Calls, DevicePolls). Its protocol engine
// is the one adapters/httpidp/idptest serves over HTTP, so both fakes behave alike.
//
// An IdentityProvider is safe for concurrent use; create one with NewIdentityProvider.
type IdentityProvider struct {
	idp *fakeidp.Provider

	mu          sync.Mutex
	authorities map[string]domain.Authority // by authorization endpoint
}

var _ ports.IdentityProvider = (*IdentityProvider)(nil)

// NewIdentityProvider returns a fake provider configured by cfg. It returns a
// *domain.Error of class ErrInvalidInput for an invalid configuration (no Clock, a
// duplicate user or client, a bad lifetime or signing key).
func NewIdentityProvider(cfg ProviderConfig) (*IdentityProvider, error) {
	idp, err := fakeidp.New(cfg)
	if err != nil {
		return nil, withOp(err, opProviderConfig)
	}
	return &IdentityProvider{idp: idp, authorities: map[string]domain.Authority{}}, nil
}

// Metadata implements ports.IdentityProvider. Endpoints lie under the authority URL:
// for Entra and B2C /oauth2/v2.0/authorize, /oauth2/v2.0/token and /discovery/v2.0/keys;
// for ADFS /oauth2/authorize, /oauth2/token and /discovery/keys; otherwise /authorize,
// /token and /keys. The issuer is "https://{host}/{tenant}/v2.0" for Entra and B2C —
// with Entra's "{tenantid}" template for the common, organizations and consumers
// tenants, the ID tokens then carrying the user's tenant — and the authority URL itself
// otherwise. IssuerInResponse is ProviderConfig.IssuerInResponse.
func (p *IdentityProvider) Metadata(ctx context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
	if err := checkCall(ctx, a, opMetadata); err != nil {
		return domain.ProviderMetadata{}, err
	}
	m := p.idp.Metadata(a)
	p.remember(m)
	return m, nil
}

// AuthorizationURL implements ports.IdentityProvider: the authorization endpoint with
// response_type=code, client_id, redirect_uri, scope, state, nonce, code_challenge and
// code_challenge_method=S256, then prompt, login_hint, domain_hint, claims, max_age,
// response_mode when set, and Extra (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636
// §4.3). It refuses a request without client id, redirect URI or state with
// ErrInvalidInput.
func (p *IdentityProvider) AuthorizationURL(ctx context.Context, a domain.Authority, req domain.AuthorizationRequest) (string, error) {
	if err := checkCall(ctx, a, opAuthURL); err != nil {
		return "", err
	}
	q, err := fakeidp.AuthorizationQuery(req)
	if err != nil {
		return "", withOp(err, opAuthURL)
	}
	m := p.idp.Metadata(a)
	p.remember(m)
	return m.AuthorizationEndpoint + "?" + q.Encode(), nil
}

// Authorize simulates username signing in at authURL, an authorization URL this
// provider built, and returns the query of the redirect back to the application: code
// and state (plus iss with ProviderConfig.IssuerInResponse), ready for the auth code
// flow's response. The code is single use and bound to the client, redirect URI, PKCE
// challenge, nonce, scopes and user.
//
// Refusals a real provider redirects come back as values too, with error and
// error_description: access_denied for a user who DeniesConsent, login_required for an
// empty username, invalid_scope, and invalid_request for a missing or non-S256 PKCE
// challenge. Requests a provider must not redirect (an unknown client, an unregistered
// redirect URI) and an unknown username or URL return a *domain.Error.
func (p *IdentityProvider) Authorize(ctx context.Context, authURL, username string) (url.Values, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(err, opAuthorize)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "the authorization URL is not a URL"}
	}
	endpoint := *u
	endpoint.RawQuery, endpoint.Fragment = "", ""
	p.mu.Lock()
	a, ok := p.authorities[endpoint.String()]
	p.mu.Unlock()
	if !ok {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize,
			Description: "the authorization URL's endpoint " + endpoint.Redacted() + " was not built by this provider"}
	}
	v, err := p.idp.Authorize(a, u.Query(), username)
	if err != nil {
		return nil, withOp(err, opAuthorize)
	}
	return v, nil
}

// Token implements ports.IdentityProvider: it redeems an authorization code (with its
// PKCE verifier), a password, a refresh token or client credentials. A client
// registered with a Secret must present it in req.Credential.Secret (or a
// req.Credential.Key matching its Certificate) on every grant. Refusals are what Entra
// would answer, as a *domain.Error with HTTPStatus 400 or 401: invalid_grant for a
// wrong, replayed or expired code, a PKCE mismatch, a wrong password (AADSTS50126), a
// user who must use MFA (suberror basic_action, AADSTS50076, with a claims challenge)
// and an unknown or revoked refresh token (AADSTS70008); invalid_client for a wrong or
// missing client secret; invalid_scope for an unknown scope.
func (p *IdentityProvider) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if err := ctx.Err(); err != nil {
		return domain.TokenResponse{}, canceled(err, opToken)
	}
	resp, err := p.idp.Token(req, fakeidp.TokenOptions{})
	if err != nil {
		return domain.TokenResponse{}, withOp(err, opToken)
	}
	return resp, nil
}

// VerifyIDTokenSignature implements ports.IdentityProvider: it verifies rawIDToken
// against the fake's own key, whatever the authority. An unsigned token ("none"), an
// HMAC, another algorithm or key, or a signature that does not verify is
// ErrInvalidIDToken.
func (p *IdentityProvider) VerifyIDTokenSignature(ctx context.Context, a domain.Authority, rawIDToken string) error {
	if err := ctx.Err(); err != nil {
		return canceled(err, opVerify)
	}
	if err := p.idp.VerifySignature(rawIDToken); err != nil {
		return withOp(err, opVerify)
	}
	return nil
}

// DeviceAuthorization implements ports.IdentityProvider (RFC 8628 §3.1–3.2): a device
// code and a user code "XXXX-XXXX" for the client, to be approved with ApproveDevice
// (or declined with DenyDevice) before its device code is redeemed with Token. The
// verification URI is the authority's scheme and host with /device. Polls sooner than
// the interval are answered slow_down; after ProviderConfig.DeviceCodeLifetime,
// expired_token. Other outcomes are scripted with FailNext(domain.GrantDeviceCode, ...).
func (p *IdentityProvider) DeviceAuthorization(ctx context.Context, req domain.DeviceAuthorizationRequest) (domain.DeviceAuthorization, error) {
	if err := checkCall(ctx, req.Authority, opDevice); err != nil {
		return domain.DeviceAuthorization{}, err
	}
	u, err := url.Parse(req.Authority.URL)
	if err != nil {
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrInvalidInput, Op: opDevice, Description: "the authority is not a URL"}
	}
	d, err := p.idp.DeviceAuthorize(req.Authority, req, fakeidp.TokenOptions{}, u.Scheme+"://"+u.Host+fakeidp.DevicePagePath)
	if err != nil {
		return domain.DeviceAuthorization{}, withOp(err, opDevice)
	}
	return d, nil
}

// ApproveDevice approves the device flow whose user code is userCode as username, as
// the user would on the verification page: the next poll gets that user's tokens.
func (p *IdentityProvider) ApproveDevice(userCode, username string) error {
	return p.idp.ApproveDevice(userCode, username)
}

// DenyDevice declines the device flow whose user code is userCode: the next poll is
// answered access_denied.
func (p *IdentityProvider) DenyDevice(userCode string) error { return p.idp.DenyDevice(userCode) }

// DevicePolls returns the clock times of the device-code polls the provider answered.
func (p *IdentityProvider) DevicePolls() []time.Time { return p.idp.DevicePolls() }

// FailNext makes the next Token request of grant fail with a copy of err, counted as a
// call; further calls queue further failures. An err without Class is classified from
// its Code, SubError, ErrorCodes and HTTPStatus. A nil err clears the queue of grant.
func (p *IdentityProvider) FailNext(grant domain.GrantKind, err *domain.Error) {
	p.idp.FailNext(grant, err)
}

// FailNextEchoing is FailNext with the request, secrets included, appended to err's
// description, as providers that echo requests do; the refusal comes back scrubbed of
// the request's secrets, as from the HTTP adapter (DESIGN §5).
func (p *IdentityProvider) FailNextEchoing(grant domain.GrantKind, err *domain.Error) {
	p.idp.FailNextEchoing(grant, err)
}

// RevokeRefreshTokens revokes every refresh token issued to username; redeeming one
// then fails with invalid_grant (AADSTS70008).
func (p *IdentityProvider) RevokeRefreshTokens(username string) { p.idp.RevokeRefreshTokens(username) }

// SetIDTokenFault makes every ID token issued from now on carry fault f, until it is
// set again; IDTokenOK restores correct tokens.
func (p *IdentityProvider) SetIDTokenFault(f IDTokenFault) { p.idp.SetIDTokenFault(f) }

// Calls returns how many Token requests of grant the provider has received, failed
// ones included.
func (p *IdentityProvider) Calls(grant domain.GrantKind) int { return p.idp.Calls(grant) }

// RefreshTokenReuses returns how many redemptions of a rotated-away refresh token the
// provider has detected (ProviderConfig.DetectRefreshTokenReuse); each revoked the
// token's rotation chain.
func (p *IdentityProvider) RefreshTokenReuses() int { return p.idp.RefreshTokenReuses() }

// User returns the configured user named username (case-insensitively) with its
// derived Subject, ObjectID and TenantID filled in, so a test can predict the claims of
// the user's ID tokens.
func (p *IdentityProvider) User(username string) (User, bool) { return p.idp.User(username) }

// remember records which authority an authorization endpoint belongs to, for Authorize.
func (p *IdentityProvider) remember(m domain.ProviderMetadata) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authorities[m.AuthorizationEndpoint] = m.Authority
}

// checkCall refuses a done context or an authority without URL.
func checkCall(ctx context.Context, a domain.Authority, op string) error {
	if err := ctx.Err(); err != nil {
		return canceled(err, op)
	}
	if a.URL == "" || a.Host == "" {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: op, Description: "the authority has no URL (parse it with domain.ParseAuthority)"}
	}
	return nil
}

// canceled is the error of a call whose context is done; it wraps ctx.Err().
func canceled(err error, op string) error {
	return &domain.Error{Class: domain.ErrUnavailable, Op: op, Description: "the context is done", Err: err}
}

// withOp returns err as a *domain.Error carrying op: a copy whose Op is op.
func withOp(err error, op string) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: op, Err: err}
	}
	c := *de
	c.Op = op
	return &c
}
