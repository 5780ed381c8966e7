package fakeidp

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// EntraTenantTemplate is the tenant placeholder of Entra's multi-tenant issuer.
const EntraTenantTemplate = "{tenantid}"

// TokenAuthMethods are the client authentication methods the fake advertises
// (token_endpoint_auth_methods_supported, RFC 8414 §2).
var TokenAuthMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}

// Endpoint paths under an authority URL, by authority kind.
const (
	entraAuthorizePath = "/oauth2/v2.0/authorize"
	entraTokenPath     = "/oauth2/v2.0/token"
	entraKeysPath      = "/discovery/v2.0/keys"
	entraLogoutPath    = "/oauth2/v2.0/logout"
	adfsAuthorizePath  = "/oauth2/authorize"
	adfsTokenPath      = "/oauth2/token"
	adfsKeysPath       = "/discovery/keys"
	adfsLogoutPath     = "/oauth2/logout"
	oidcAuthorizePath  = "/authorize"
	oidcTokenPath      = "/token"
	oidcKeysPath       = "/keys"
	oidcLogoutPath     = "/logout"
	entraDevicePath    = "/oauth2/v2.0/devicecode"
	adfsDevicePath     = "/oauth2/devicecode"
	oidcDevicePath     = "/device_authorization"
	// DevicePagePath is where a front serves the page on which a user enters a user
	// code (the verification_uri), under its base URL.
	DevicePagePath = "/device"
)

// Issuer returns the issuer identifier the fake publishes for authority a:
//   - Entra with tenant common, organizations or consumers: Entra's multi-tenant
//     template "{scheme}://{host}/{tenantid}/v2.0" (ID tokens then carry the user's
//     tenant in place of the template);
//   - Entra with a tenant id: "{scheme}://{host}/{tenant id}/v2.0";
//   - Entra with a tenant given by name (contoso.onmicrosoft.com): as real Entra, the
//     tenant's GUID in place of the name, "{scheme}://{host}/{tenant id}/v2.0", where
//     the tenant id is the name's in Config.TenantDomains, else DefaultTenantID (see
//     TenantID);
//   - B2C: "{scheme}://{host}/{tenant}/v2.0", the tenant as given;
//   - ADFS and any OIDC authority: the authority URL itself.
func (p *Provider) Issuer(a domain.Authority) string {
	switch a.Kind {
	case domain.AuthorityEntra:
		tenant := EntraTenantTemplate
		if !a.IsOrganizationAlias() {
			tenant = p.TenantID(a)
		}
		return schemeOf(a.URL) + "://" + a.Host + "/" + tenant + "/v2.0"
	case domain.AuthorityB2C:
		return schemeOf(a.URL) + "://" + a.Host + "/" + a.Tenant + "/v2.0"
	}
	return a.URL
}

// TokenIssuer returns the iss of an ID token issued to a user of tenantID at a: the
// Issuer with Entra's template replaced by tenantID.
func (p *Provider) TokenIssuer(a domain.Authority, tenantID string) string {
	return strings.ReplaceAll(p.Issuer(a), EntraTenantTemplate, tenantID)
}

// TenantID returns the tenant id an Entra authority a names: its tenant when that is a
// GUID; for a tenant given by name, the id Config.TenantDomains maps the name to
// (case-insensitively), else DefaultTenantID. It returns "" for common, organizations
// and consumers, which name no single tenant, and for other kinds of authority.
func (p *Provider) TenantID(a domain.Authority) string {
	switch {
	case a.Kind != domain.AuthorityEntra || a.IsOrganizationAlias():
		return ""
	case isGUID(a.Tenant):
		return a.Tenant
	}
	if id, ok := p.tenantDomains[strings.ToLower(a.Tenant)]; ok {
		return id
	}
	return DefaultTenantID
}

// isGUID reports whether s has the 8-4-4-4-12 hexadecimal form of a tenant id.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// schemeOf returns the scheme of raw, https when it has none.
func schemeOf(raw string) string {
	if i := strings.Index(raw, "://"); i > 0 {
		return raw[:i]
	}
	return "https"
}

// Metadata returns the fake's metadata for authority a: endpoints under the authority
// URL (Entra and B2C: /oauth2/v2.0/authorize, /oauth2/v2.0/token, /discovery/v2.0/keys;
// ADFS: /oauth2/authorize, /oauth2/token, /discovery/keys; OIDC: /authorize, /token,
// /keys; the device authorization endpoint at /oauth2/v2.0/devicecode,
// /oauth2/devicecode and /device_authorization), the Issuer (an Entra tenant given by name resolved to its tenant id),
// TokenAuthMethods and IssuerInResponse from the Config. A front
// serving the endpoints elsewhere replaces them.
func (p *Provider) Metadata(a domain.Authority) domain.ProviderMetadata {
	authz, token, keys, logout, device := oidcAuthorizePath, oidcTokenPath, oidcKeysPath, oidcLogoutPath, oidcDevicePath
	switch a.Kind {
	case domain.AuthorityEntra, domain.AuthorityB2C:
		authz, token, keys, logout, device = entraAuthorizePath, entraTokenPath, entraKeysPath, entraLogoutPath, entraDevicePath
	case domain.AuthorityADFS:
		authz, token, keys, logout, device = adfsAuthorizePath, adfsTokenPath, adfsKeysPath, adfsLogoutPath, adfsDevicePath
	}
	base := strings.TrimRight(a.URL, "/")
	return domain.ProviderMetadata{
		Authority:                   a,
		Issuer:                      p.Issuer(a),
		AuthorizationEndpoint:       base + authz,
		TokenEndpoint:               base + token,
		JWKSURI:                     base + keys,
		EndSessionEndpoint:          base + logout,
		DeviceAuthorizationEndpoint: base + device,
		TokenAuthMethods:            append([]string(nil), TokenAuthMethods...),
		IssuerInResponse:            p.cfg.IssuerInResponse,
	}
}

// AuthorizationQuery returns the query of an authorization request (RFC 6749 §4.1.1,
// OIDC Core §3.1.2.1) with PKCE S256 (RFC 7636 §4.3): response_type=code, client_id,
// redirect_uri, scope, state, nonce, code_challenge and code_challenge_method, then the
// optional prompt, login_hint, domain_hint, claims, max_age and response_mode, and Extra
// last. Empty fields are left out (a redirect URI too: the client's registered one is
// then used). It refuses (ErrInvalidInput) a request without a client id or state, a negative max_age, and an Extra parameter that
// would replace one of the request's.
func AuthorizationQuery(req domain.AuthorizationRequest) (url.Values, error) {
	switch {
	case strings.TrimSpace(req.ClientID) == "":
		return nil, domain.Errorf(domain.ErrInvalidInput, "the authorization request needs a client id")
	case req.State == "":
		return nil, domain.Errorf(domain.ErrInvalidInput, "the authorization request needs a state")
	case req.MaxAge != nil && *req.MaxAge < 0:
		return nil, domain.Errorf(domain.ErrInvalidInput, "max_age must not be negative")
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("response_type", "code")
	set("client_id", req.ClientID)
	set("redirect_uri", req.RedirectURI)
	set("scope", strings.Join(req.Scopes, " "))
	set("state", req.State)
	set("nonce", req.Nonce)
	if req.CodeChallenge != "" {
		set("code_challenge", req.CodeChallenge)
		set("code_challenge_method", domain.PKCEMethod)
	}
	set("prompt", req.Prompt)
	set("login_hint", req.LoginHint)
	set("domain_hint", req.DomainHint)
	set("claims", req.Claims)
	if req.MaxAge != nil {
		q.Set("max_age", strconv.FormatInt(int64(req.MaxAge.Seconds()), 10))
	}
	set("response_mode", string(req.ResponseMode))
	for k, vs := range req.Extra {
		if _, taken := q[k]; taken {
			return nil, domain.Errorf(domain.ErrInvalidInput, "extra parameter %q would replace a parameter of the request", k)
		}
		q[k] = append([]string(nil), vs...)
	}
	return q, nil
}
