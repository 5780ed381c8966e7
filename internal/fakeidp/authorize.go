package fakeidp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// codeGrant is what an authorization code is bound to (RFC 6749 §4.1.2, RFC 7636 §4.4).
type codeGrant struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	scopes      []string
	user        string    // lower-cased username
	authTime    time.Time // when the user signed in: auth_time of the ID token
	expires     time.Time
	used        bool
}

// purgeEvery is how many codes are issued between two sweeps of expired codes.
const purgeEvery = 256

// CheckRedirect checks the part of an authorization request whose failure must not be
// redirected (RFC 6749 §4.1.2.1): the client is registered and the redirect URI is one
// of its registered URIs (any URI when it lists none), or is left out by a client that
// registered exactly one (RFC 6749 §3.1.2.3: that one is then used). It returns a
// *domain.Error to show the user, or nil: unauthorized_client (class ErrInvalidClient)
// for an unknown client, invalid_request (class ErrInvalidInput) for a missing or
// unregistered redirect URI.
func (p *Provider) CheckRedirect(clientID, redirectURI string) error {
	c, ok := p.clients[clientID]
	switch {
	case !ok:
		return refusal(domain.GrantAuthorizationCode, http.StatusBadRequest, "unauthorized_client",
			"AADSTS700016: Application with identifier '"+clientID+"' was not found in the directory.", aadClientNotFound)
	case redirectURI == "" && len(c.RedirectURIs) != 1:
		return badRedirect(invalidRequest(domain.GrantAuthorizationCode, "The request must contain the following parameter: 'redirect_uri'."))
	case redirectURI != "" && len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, redirectURI):
		return badRedirect(refusal(domain.GrantAuthorizationCode, http.StatusBadRequest, "invalid_request",
			"AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application '"+clientID+"'.",
			aadRedirectNotListed))
	}
	return nil
}

// RedirectTarget returns where the authorization response goes: redirectURI, or the
// client's one registered redirect URI when the request left it out. Call it after
// CheckRedirect passed.
func (p *Provider) RedirectTarget(clientID, redirectURI string) string {
	if c, ok := p.clients[clientID]; ok && redirectURI == "" && len(c.RedirectURIs) == 1 {
		return c.RedirectURIs[0]
	}
	return redirectURI
}

// badRedirect classifies a refused redirect URI as ErrInvalidInput: the application
// is misconfigured, and nothing was redirected.
func badRedirect(e *domain.Error) *domain.Error {
	e.Class = domain.ErrInvalidInput
	return e
}

// Authorize simulates username signing in at authority a with the authorization
// request query (RFC 6749 §4.1.1) and returns the query of the redirect to the client
// (§4.1.2): code and state, plus iss when Config.IssuerInResponse (RFC 9207).
//
// A failure that must not be redirected (see CheckRedirect), or an unknown username, is
// returned as a *domain.Error. Other refusals are redirected: the returned values then
// hold error and error_description (and state, iss) — unsupported_response_type,
// invalid_request for a missing or non-S256 PKCE challenge or a response_mode other
// than query, form_post or fragment, invalid_scope for an unknown scope, login_required for an empty username
// (nobody signed in) and access_denied for a user who DeniesConsent.
//
// The code is single use, expires after Config.CodeLifetime and is bound to the
// client, redirect URI, code challenge, nonce, scopes and user.
func (p *Provider) Authorize(a domain.Authority, query url.Values, username string) (url.Values, error) {
	clientID, redirectURI := query.Get("client_id"), query.Get("redirect_uri")
	if err := p.CheckRedirect(clientID, redirectURI); err != nil {
		return nil, err
	}
	out := url.Values{}
	if s := query.Get("state"); s != "" {
		out.Set("state", s)
	}
	if p.cfg.IssuerInResponse {
		out.Set("iss", p.Issuer(a))
	}
	refuse := func(code, desc string) (url.Values, error) {
		out.Set("error", code)
		out.Set("error_description", desc)
		return out, nil
	}
	scopes := domain.ParseScopes(query.Get("scope"))
	switch {
	case query.Get("response_type") != "code":
		return refuse("unsupported_response_type", "AADSTS70003: only response_type=code is supported.")
	case query.Get("code_challenge") == "":
		return refuse("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required for this authorization request.")
	case query.Get("code_challenge_method") != domain.PKCEMethod:
		return refuse("invalid_request", "AADSTS9002325: code_challenge_method must be S256.")
	case !slices.Contains([]string{"", "query", "form_post", "fragment"}, query.Get("response_mode")):
		return refuse("invalid_request", "AADSTS900144: response_mode must be query, form_post or fragment.")
	}
	if bad := p.unknownScope(a, scopes); bad != "" {
		return refuse("invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '"+bad+"' is not known.")
	}
	if strings.TrimSpace(username) == "" {
		return refuse("login_required", "AADSTS50058: No user is signed in.")
	}
	u, ok := p.User(username)
	if !ok {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: authorize", Description: "no user named " + username + " is configured"}
	}
	if u.DeniesConsent {
		return refuse("access_denied", "AADSTS65004: User declined to consent to access the app.")
	}
	code, err := p.random(32)
	if err != nil {
		return nil, err
	}
	g := &codeGrant{
		clientID: clientID, redirectURI: redirectURI, challenge: query.Get("code_challenge"),
		nonce: query.Get("nonce"), scopes: scopes, user: strings.ToLower(strings.TrimSpace(u.Username)),
		authTime: p.Now(), expires: p.Now().Add(p.cfg.CodeLifetime),
	}
	p.mu.Lock()
	p.codes[code] = g
	if len(p.codes)%purgeEvery == 0 {
		p.purgeCodes(p.Now())
	}
	p.mu.Unlock()
	out.Set("code", code)
	return out, nil
}

// purgeCodes forgets codes that expired before now. The caller holds p.mu.
func (p *Provider) purgeCodes(now time.Time) {
	for c, g := range p.codes {
		if now.After(g.expires) {
			delete(p.codes, c)
		}
	}
}

// unknownScope returns the first non-reserved scope of scopes the provider does not
// know, or "" when all are known (or Config.Scopes is empty). Entra and B2C authorities
// compare case-insensitively.
func (p *Provider) unknownScope(a domain.Authority, scopes []string) string {
	if len(p.cfg.Scopes) == 0 {
		return ""
	}
	fold := a.CaseInsensitiveScopes()
	norm := func(s string) string {
		if fold {
			return strings.ToLower(s)
		}
		return s
	}
	for _, s := range scopes {
		if domain.IsReservedScope(s) {
			continue
		}
		known := slices.ContainsFunc(p.cfg.Scopes, func(k string) bool {
			if norm(k) == norm(s) {
				return true
			}
			res, ok := strings.CutSuffix(norm(s), "/.default")
			return ok && strings.HasPrefix(norm(k), res+"/")
		})
		if !known {
			return s
		}
	}
	return ""
}
