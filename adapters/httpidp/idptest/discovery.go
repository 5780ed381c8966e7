package idptest

import (
	"net/http"

	"github.com/hexauth/hexauth/domain"
)

// authorityOf returns the authority a request addressed: the server's root (an OIDC
// issuer) or, in the Entra layout, "{base}/{tenant}". ok is false, with a 404 written,
// for a tenant segment that does not make a valid authority.
func (s *Server) authorityOf(w http.ResponseWriter, r *http.Request) (a domain.Authority, ok bool) {
	tenant := r.PathValue("tenant")
	if tenant == "" {
		return s.root, true
	}
	a, err := domain.ParseAuthority(s.url+"/"+tenant, domain.AuthorityEntra)
	if err != nil {
		http.Error(w, "idptest: no such tenant", http.StatusNotFound)
		return domain.Authority{}, false
	}
	return a, true
}

// discoveryDocument is an OpenID Provider Metadata document (OIDC Discovery §3, RFC 8414
// §2, RFC 9207 §3).
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	DeviceEndpoint        string   `json:"device_authorization_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint,omitempty"`
	ResponseTypes         []string `json:"response_types_supported"`
	ResponseModes         []string `json:"response_modes_supported"`
	GrantTypes            []string `json:"grant_types_supported"`
	SubjectTypes          []string `json:"subject_types_supported"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
	Scopes                []string `json:"scopes_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	TokenAuthSigningAlgs  []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	Claims                []string `json:"claims_supported"`
	IssuerInResponse      bool     `json:"authorization_response_iss_parameter_supported"`
	TenantRegionScope     string   `json:"tenant_region_scope,omitempty"`
	CloudInstanceName     string   `json:"cloud_instance_name,omitempty"`
}

// document builds the discovery document of authority a from the engine's metadata.
// An end_session_endpoint is announced with Config.EndSession, in the OIDC layout only.
func (s *Server) document(a domain.Authority) discoveryDocument {
	m := s.idp.Metadata(a)
	d := discoveryDocument{
		Issuer:                m.Issuer,
		AuthorizationEndpoint: m.AuthorizationEndpoint,
		TokenEndpoint:         m.TokenEndpoint,
		JWKSURI:               m.JWKSURI,
		DeviceEndpoint:        m.DeviceAuthorizationEndpoint,
		ResponseTypes:         []string{"code"},
		ResponseModes:         []string{"query", "fragment", "form_post"},
		GrantTypes: []string{string(domain.GrantAuthorizationCode), string(domain.GrantPassword),
			string(domain.GrantRefreshToken), string(domain.GrantClientCredentials), string(domain.GrantDeviceCode)},
		SubjectTypes:         []string{"public"},
		IDTokenSigningAlgs:   []string{s.idp.SigningAlg()},
		Scopes:               []string{domain.ScopeOpenID, domain.ScopeProfile, domain.ScopeOfflineAccess, "email"},
		TokenAuthMethods:     m.TokenAuthMethods,
		TokenAuthSigningAlgs: assertionAlgs,
		CodeChallengeMethods: []string{domain.PKCEMethod},
		Claims: []string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "name",
			"preferred_username", "tid", "oid", "ver"},
		IssuerInResponse: m.IssuerInResponse,
	}
	if s.cfg.EndSession && a == s.root {
		d.EndSessionEndpoint = s.url + "/logout"
	}
	if a.Kind == domain.AuthorityEntra {
		d.TenantRegionScope = "WW"
		d.CloudInstanceName = "microsoftonline.com"
	}
	return d
}

// serveDiscovery serves the discovery document of the authority the request addressed.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, _ call) {
	a, ok := s.authorityOf(w, r)
	if !ok {
		return
	}
	writeJSON(w, s.document(a))
}

// serveJWKS serves the key set that verifies the server's ID tokens (RFC 7517 §5).
func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request, _ call) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.idp.JWKS())
}

// Issuer returns the OpenID Connect issuer of the server's root: its base URL, which is
// also the authority of a generic OIDC client.
func (s *Server) Issuer() string { return s.url }

// EntraAuthority returns the Entra-style authority URL for tenant, "{base}/{tenant}".
// Clients must treat it as an Entra authority (domain.AuthorityEntra): its host is not
// an Entra host.
func (s *Server) EntraAuthority(tenant string) string { return s.url + "/" + tenant }

// EntraIssuer returns the issuer that discovery announces for tenant in the Entra
// layout: "{base}/{tenant}/v2.0" for a tenant id; for a tenant given by name
// (contoso.onmicrosoft.com), as real Entra, its tenant id in place of the name — the
// id ProviderConfig.TenantDomains maps the name to, else DefaultTenantID; or the
// template "{base}/{tenantid}/v2.0" for common, organizations and consumers (ID tokens
// then carry the user's tenant id in its place). It returns "" for a tenant that makes
// no valid authority.
func (s *Server) EntraIssuer(tenant string) string {
	a, err := domain.ParseAuthority(s.EntraAuthority(tenant), domain.AuthorityEntra)
	if err != nil {
		return ""
	}
	return s.idp.Issuer(a)
}
