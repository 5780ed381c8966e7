package fakeidp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// refreshGrant is what a refresh token is bound to.
type refreshGrant struct {
	user     string // lower-cased username
	clientID string
	familyID string
	scopes   []string
	// lineage names the chain of rotations the token belongs to (the first token of the
	// chain): reuse of a spent token of the chain revokes all of it.
	lineage string
	// issuer is the canonical URL of the OIDC issuer that issued the token; a token is
	// redeemed only there. Empty for Entra, B2C and ADFS, whose tokens serve every
	// tenant of the cloud.
	issuer string
	// authTime is when the user signed in for the chain: auth_time of its ID tokens.
	authTime time.Time
	// home is the user's home tenant for the chain (client_info's utid), fixed at
	// sign-in so that a refresh through another tenant keeps the home account id.
	home string
}

// issuerOf returns the refreshGrant.issuer of a token issued at authority a.
func issuerOf(a domain.Authority) string {
	if a.IsIssuerRealm() {
		return a.CanonicalURL()
	}
	return ""
}

// redeemCode redeems an authorization code (RFC 6749 §4.1.3) with its PKCE verifier
// (RFC 7636 §4.6). Any redemption attempt of a live code consumes it.
func (p *Provider) redeemCode(req domain.TokenRequest, opt TokenOptions, c *Client) (domain.TokenResponse, *domain.Error) {
	g := domain.GrantAuthorizationCode
	if req.Code == "" {
		return domain.TokenResponse{}, invalidRequest(g, "The request body must contain the following parameter: 'code'.")
	}
	now := p.Now()
	p.mu.Lock()
	cg, ok := p.codes[string(req.Code)]
	used := ok && cg.used
	if ok {
		cg.used = true
	}
	p.mu.Unlock()
	switch {
	case !ok:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The provided value for the 'code' parameter is not valid.", aadInvalidGrantValue)
	case used:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.", aadCodeRedeemed)
	case now.After(cg.expires):
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.", aadExpiredGrant)
	case cg.clientID != c.ID:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The authorization code was issued to another application.", aadInvalidGrantValue)
	case cg.redirectURI != req.RedirectURI:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS50148: The redirect_uri specified in the token request does not match the one used in the authorization request.", aadRedirectMismatch)
	case req.CodeVerifier == "" || !domain.ConstantTimeEqual(domain.S256Challenge(string(req.CodeVerifier)), cg.challenge):
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.", aadPKCEMismatch)
	}
	u, ok := p.users[cg.user]
	if !ok {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The user of the authorization code no longer exists.", aadInvalidGrantValue)
	}
	scopes, narrowErr := narrowScopes(g, cg.scopes, req.Scopes)
	if narrowErr != nil {
		return domain.TokenResponse{}, narrowErr
	}
	return p.issue(issueInput{req: req, opt: opt, client: c, user: *u, scopes: scopes, nonce: cg.nonce, authTime: cg.authTime})
}

// narrowScopes returns the scopes a code redemption is issued for: those the code was
// granted, or, when the token request names scopes (as Entra's v2.0 endpoint allows),
// those of them; a requested scope the code was not granted is invalid_scope.
func narrowScopes(g domain.GrantKind, granted, requested []string) ([]string, *domain.Error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, s := range requested {
		if !slices.Contains(granted, s) {
			return nil, refusal(g, http.StatusBadRequest, "invalid_scope",
				"AADSTS70011: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: it was not granted to the authorization code.", 70011)
		}
	}
	return requested, nil
}

// redeemPassword redeems a resource owner password grant (RFC 6749 §4.3).
func (p *Provider) redeemPassword(req domain.TokenRequest, opt TokenOptions, c *Client) (domain.TokenResponse, *domain.Error) {
	g := domain.GrantPassword
	if req.Username == "" || req.Password == "" {
		return domain.TokenResponse{}, invalidRequest(g, "The request body must contain the following parameters: 'username' and 'password'.")
	}
	if !p.CheckPassword(req.Username, string(req.Password)) {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS50126: Error validating credentials due to invalid username or password.", aadInvalidPassword)
	}
	scopes := domain.NormalizeScopes(req.Scopes)
	if bad := p.unknownScope(req.Authority, scopes); bad != "" {
		return domain.TokenResponse{}, invalidScope(g, bad)
	}
	u := p.users[strings.ToLower(strings.TrimSpace(req.Username))]
	switch {
	case u.RequireMFA:
		return domain.TokenResponse{}, mfaRequired()
	case u.DeniesConsent:
		return domain.TokenResponse{}, consentRequired()
	}
	return p.issue(issueInput{req: req, opt: opt, client: c, user: *u, scopes: scopes, authTime: p.Now()})
}

// redeemRefreshToken redeems a refresh token (RFC 6749 §6), issued to this client or to
// a client of its family. With Config.RotateRefreshTokens the redeemed token is revoked
// and a new one issued.
func (p *Provider) redeemRefreshToken(req domain.TokenRequest, opt TokenOptions, c *Client) (domain.TokenResponse, *domain.Error) {
	g := domain.GrantRefreshToken
	if req.RefreshToken == "" {
		return domain.TokenResponse{}, invalidRequest(g, "The request body must contain the following parameter: 'refresh_token'.")
	}
	p.mu.Lock()
	rg, ok := p.refresh[string(req.RefreshToken)]
	var cp refreshGrant
	if ok {
		cp = *rg
	} else {
		p.detectReuseLocked(string(req.RefreshToken))
	}
	p.mu.Unlock()
	if !ok {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity or has been revoked.", aadExpiredGrant)
	}
	if cp.issuer != "" && cp.issuer != issuerOf(req.Authority) {
		return domain.TokenResponse{}, invalidGrant(g, "The refresh token was issued by another issuer.", aadInvalidGrantValue)
	}
	if cp.clientID != c.ID && (cp.familyID == "" || cp.familyID != c.FamilyID) {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The refresh token was issued to another application.", aadInvalidGrantValue)
	}
	u, ok := p.users[cp.user]
	if !ok {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70008: The refresh token has been revoked.", aadExpiredGrant)
	}
	scopes := domain.NormalizeScopes(req.Scopes)
	if _, err := domain.RequestScopes(scopes); err != nil {
		scopes = domain.NormalizeScopes(append(scopes, cp.scopes...))
	}
	if bad := p.unknownScope(req.Authority, scopes); bad != "" {
		return domain.TokenResponse{}, invalidScope(g, bad)
	}
	return p.issue(issueInput{req: req, opt: opt, client: c, user: *u, scopes: scopes, redeemed: string(req.RefreshToken), authTime: cp.authTime, home: cp.home})
}

// redeemClientCredentials redeems a client credentials grant (RFC 6749 §4.4): an access
// token for the application itself, without refresh or ID token.
func (p *Provider) redeemClientCredentials(req domain.TokenRequest, c *Client) (domain.TokenResponse, *domain.Error) {
	g := domain.GrantClientCredentials
	scopes := domain.NormalizeScopes(req.Scopes)
	if len(scopes) == 0 {
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "invalid_scope",
			"AADSTS1002012: The client credentials grant needs a scope, such as 'resource/.default'.", aadBadScopeValue)
	}
	if i := slices.IndexFunc(scopes, domain.IsReservedScope); i >= 0 {
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "invalid_scope",
			"AADSTS1002012: The provided value for scope "+scopes[i]+" is not valid. Client credential flows must not request openid, profile or offline_access.", aadBadScopeValue)
	}
	if bad := p.unknownScope(req.Authority, scopes); bad != "" {
		return domain.TokenResponse{}, invalidScope(g, bad)
	}
	at, err := p.random(32)
	if err != nil {
		return domain.TokenResponse{}, internalError(err)
	}
	resp := domain.TokenResponse{
		AccessToken:   domain.Secret(at),
		TokenType:     "Bearer",
		ExpiresIn:     p.cfg.TokenLifetime,
		RefreshIn:     p.cfg.RefreshIn,
		CorrelationID: req.CorrelationID,
	}
	if !p.cfg.OmitScopeInResponse {
		resp.Scope = scopes
	}
	return resp, nil
}

// invalidScope is a 400 invalid_scope naming the unknown scope.
func invalidScope(g domain.GrantKind, scope string) *domain.Error {
	return refusal(g, http.StatusBadRequest, "invalid_scope",
		"AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '"+scope+"' is not known.", aadInvalidScope)
}

// internalError turns a failure of the fake itself (random source, signing) into a
// *domain.Error.
func internalError(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: token", Err: err}
}

// issueInput is what a user grant's response is made of.
type issueInput struct {
	req      domain.TokenRequest
	opt      TokenOptions
	client   *Client
	user     User
	scopes   []string // normalized, reserved scopes included as asked
	nonce    string
	redeemed string    // the refresh token redeemed, for refresh_token grants
	authTime time.Time // when the user signed in (auth_time); zero: not said
	home     string    // the home tenant of a refresh chain; empty: decided by homeTenant
}

// issue mints the response of a successful user grant.
func (p *Provider) issue(in issueInput) (domain.TokenResponse, *domain.Error) {
	if in.home == "" {
		in.home = p.homeTenant(in.user, in.req.Authority)
	}
	in.user.TenantID = in.home
	at, err := p.random(32)
	if err != nil {
		return domain.TokenResponse{}, internalError(err)
	}
	resp := domain.TokenResponse{
		AccessToken:   domain.Secret(at),
		TokenType:     "Bearer",
		ExpiresIn:     p.cfg.TokenLifetime,
		RefreshIn:     p.cfg.RefreshIn,
		FamilyID:      in.client.FamilyID,
		CorrelationID: in.req.CorrelationID,
	}
	if !p.cfg.OmitScopeInResponse {
		resp.Scope = slices.Clone(in.scopes)
	}
	if p.cfg.ClientInfo || in.opt.ClientInfo {
		b, _ := json.Marshal(domain.ClientInfo{UID: in.user.ObjectID, UTID: in.user.TenantID})
		resp.ClientInfo = base64.RawURLEncoding.EncodeToString(b)
	}
	if slices.Contains(in.scopes, domain.ScopeOpenID) && !(in.redeemed != "" && p.cfg.OmitIDTokenOnRefresh) {
		tok, err := p.mintIDToken(idTokenInput{authority: in.req.Authority, clientID: in.client.ID, user: in.user,
			nonce: in.nonce, grant: in.req.Grant, now: p.Now(), authTime: in.authTime, fault: in.opt.IDTokenFault})
		if err != nil {
			return domain.TokenResponse{}, internalError(err)
		}
		resp.IDToken = domain.Secret(tok)
	}
	rt, e := p.refreshTokenFor(in)
	if e != nil {
		return domain.TokenResponse{}, e
	}
	resp.RefreshToken = domain.Secret(rt)
	return resp, nil
}

// refreshTokenFor returns the refresh token of a response: a new one for a code or
// password grant that asked for offline_access; for a refresh_token grant the redeemed
// one, or with rotation a new one replacing it (invalid_grant when a concurrent request
// rotated or revoked it meanwhile). It returns "" when no refresh token is due.
func (p *Provider) refreshTokenFor(in issueInput) (string, *domain.Error) {
	rotate := p.cfg.RotateRefreshTokens
	if in.redeemed != "" && !rotate {
		return in.redeemed, nil
	}
	if in.redeemed == "" && !slices.Contains(in.scopes, domain.ScopeOfflineAccess) {
		return "", nil
	}
	rt, err := p.random(48)
	if err != nil {
		return "", internalError(err)
	}
	g := &refreshGrant{
		user:     strings.ToLower(strings.TrimSpace(in.user.Username)),
		clientID: in.client.ID,
		familyID: in.client.FamilyID,
		scopes:   slices.Clone(in.scopes),
		lineage:  rt,
		issuer:   issuerOf(in.req.Authority),
		authTime: in.authTime,
		home:     in.home,
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.redeemed != "" {
		old, live := p.refresh[in.redeemed]
		if !live {
			// Revoked or rotated by a concurrent request: this redemption loses (and is
			// a reuse of a spent token).
			p.detectReuseLocked(in.redeemed)
			return "", invalidGrant(domain.GrantRefreshToken, "AADSTS70008: The refresh token has expired or been revoked.", aadExpiredGrant)
		}
		g.lineage, g.issuer = old.lineage, old.issuer
		delete(p.refresh, in.redeemed)
		if p.spent != nil {
			p.spent[in.redeemed] = old.lineage
		}
	}
	p.refresh[rt] = g
	return rt, nil
}

// detectReuseLocked handles the redemption of a token that is not live: when it is a
// spent token of a rotation chain and Config.DetectRefreshTokenReuse is set, every live
// token of the chain is revoked, as providers with reuse detection do (RFC 9700
// §4.14.2): two redemptions of one refresh token then cost the user the session.
// p.mu is held.
func (p *Provider) detectReuseLocked(token string) {
	lineage, spent := p.spent[token]
	if !spent {
		return
	}
	p.reuses++
	for tok, g := range p.refresh {
		if g.lineage == lineage {
			delete(p.refresh, tok)
		}
	}
}
