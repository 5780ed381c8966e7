package httpidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const (
	wellKnown = "/.well-known/openid-configuration"
	// entraTenantTemplate is the tenant placeholder in Entra's multi-tenant issuer.
	entraTenantTemplate = "{tenantid}"
	// opDiscovery names the operation in errors. It is not "discovery", which is also a
	// class: a message would read "discovery: discovery: ...".
	opDiscovery = "httpidp: metadata"
)

// Metadata implements ports.IdentityProvider: it resolves the authority through its
// discovery document, cached for Config.MetadataTTL and shared by every caller. See the
// package documentation for the discovery URL and issuer rule of each authority kind.
func (p *Provider) Metadata(ctx context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
	key, durl, err := p.checked.key(a, p.metadataKey)
	if err != nil {
		return domain.ProviderMetadata{}, err
	}
	if m, _, ok := p.metadata.lookup(key, p.cfg.Clock.Now()); ok {
		m.Authority = a
		return m, nil
	}
	m, err := p.metadata.fetch(ctx, key, p.cfg.Clock.Now, func(ctx context.Context) (domain.ProviderMetadata, error) {
		return p.discover(ctx, a, durl)
	})
	if err != nil {
		return domain.ProviderMetadata{}, asDomainError(ctx, opDiscovery, err)
	}
	m.Authority = a
	return m, nil
}

// discoveryStaleIfError is how long past its time to live a discovery document is
// still used when fetching it again fails (ttlCache): a provider's endpoints and issuer
// outlive its outages, and without the document no token request can be sent and no
// cached ID token's issuer checked.
const discoveryStaleIfError = 7 * 24 * time.Hour

// metadataKey checks the authority and returns its discovery cache key and discovery
// URL. The authority is part of the key: https://idp and https://idp/ share a discovery
// URL but are two issuers, and a document checked for one is no answer for the other.
func (p *Provider) metadataKey(a domain.Authority) (key, durl string, err error) {
	if durl, err = discoveryURL(a); err != nil {
		return "", "", err
	}
	if err := p.checkAuthorityHost(a); err != nil {
		return "", "", err
	}
	return string(a.Kind) + " " + a.URL + " " + durl, durl, nil
}

// checkedAuthorities remembers the authorities that passed metadataKey, with their key
// and URL: every silent hit that serves a cached ID token asks for the authority's
// issuer, and parsing and checking its URL each time cost more than the rest of the
// look-up (two url.Parse and three concatenations: ~0.6 µs and 4 allocations). What
// passed depends only on the authority and the Provider's fixed configuration; failures
// are not remembered. Bounded: a multi-tenant backend makes an authority per tenant.
type checkedAuthorities struct {
	mu sync.RWMutex
	m  map[domain.Authority]checkedAuthority
}

type checkedAuthority struct{ key, durl string }

// maxCheckedAuthorities bounds checkedAuthorities; past it, it starts over.
const maxCheckedAuthorities = 4096

func (c *checkedAuthorities) key(a domain.Authority, check func(domain.Authority) (string, string, error)) (key, durl string, err error) {
	c.mu.RLock()
	v, ok := c.m[a]
	c.mu.RUnlock()
	if ok {
		return v.key, v.durl, nil
	}
	if key, durl, err = check(a); err != nil {
		return "", "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCheckedAuthorities {
		c.m = make(map[domain.Authority]checkedAuthority)
	}
	c.m[a] = checkedAuthority{key: key, durl: durl}
	return key, durl, nil
}

// discoveryURL returns where the authority's discovery document lives. It refuses an
// authority that domain.ParseAuthority would not have produced.
func discoveryURL(a domain.Authority) (string, error) {
	u, err := url.Parse(a.URL)
	if err != nil || u.Host == "" || !secureURL(u) || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opDiscovery, Description: "authority must be an https URL (http only on loopback hosts) without query or fragment"}
	}
	base := u.Scheme + "://" + u.Host
	switch a.Kind {
	case domain.AuthorityEntra:
		if a.Tenant == "" || strings.Contains(a.Tenant, "/") {
			return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opDiscovery, Description: "Entra authority has no tenant"}
		}
		return base + "/" + a.Tenant + "/v2.0" + wellKnown, nil
	case domain.AuthorityB2C:
		if a.Tenant == "" || a.Policy == "" || strings.Contains(a.Tenant+a.Policy, "/") {
			return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opDiscovery, Description: "B2C authority needs a tenant and a policy"}
		}
		return base + "/" + a.Tenant + "/" + a.Policy + "/v2.0" + wellKnown, nil
	case domain.AuthorityADFS:
		return base + "/adfs" + wellKnown, nil
	case domain.AuthorityOIDC:
		return strings.TrimRight(a.URL, "/") + wellKnown, nil
	}
	return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opDiscovery, Description: "unknown authority kind " + string(a.Kind)}
}

// discoveryDocument is the part of an OpenID Provider Metadata document (OIDC Discovery
// §3, RFC 8414 §2, RFC 9207 §3) the engine uses.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	DeviceEndpoint        string   `json:"device_authorization_endpoint"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IssuerInResponse      bool     `json:"authorization_response_iss_parameter_supported"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
}

// discover fetches, parses and validates one discovery document. A throttled or
// failed fetch is ErrThrottled or ErrUnavailable (getDocument); ErrDiscovery is kept for
// a document that is missing or wrong.
func (p *Provider) discover(ctx context.Context, a domain.Authority, durl string) (domain.ProviderMetadata, error) {
	body, err := p.getDocument(ctx, document{op: opDiscovery, name: "the discovery document", url: durl})
	if err != nil {
		return domain.ProviderMetadata{}, err
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return domain.ProviderMetadata{}, discoveryErr("the discovery document is not valid JSON of the expected shape")
	}
	if err := checkIssuer(a, doc.Issuer); err != nil {
		p.cfg.Logger.Warn("httpidp: discovery issuer refused", "authority", a.URL, "issuer", clip(doc.Issuer))
		return domain.ProviderMetadata{}, err
	}
	for _, ep := range []struct{ name, value string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
		{"jwks_uri", doc.JWKSURI},
		{"end_session_endpoint", doc.EndSessionEndpoint},
		{"device_authorization_endpoint", doc.DeviceEndpoint},
	} {
		if ep.value == "" && (ep.name == "end_session_endpoint" || ep.name == "device_authorization_endpoint") {
			continue
		}
		if err := p.checkEndpoint(a, ep.name, ep.value); err != nil {
			p.cfg.Logger.Warn("httpidp: discovery endpoint refused", "authority", a.URL, "field", ep.name)
			return domain.ProviderMetadata{}, err
		}
	}
	p.cfg.Logger.Debug("httpidp: discovery document fetched", "authority", a.URL, "issuer", clip(doc.Issuer))
	return domain.ProviderMetadata{
		Authority:                   a,
		Issuer:                      doc.Issuer,
		AuthorizationEndpoint:       doc.AuthorizationEndpoint,
		TokenEndpoint:               doc.TokenEndpoint,
		JWKSURI:                     doc.JWKSURI,
		EndSessionEndpoint:          doc.EndSessionEndpoint,
		DeviceAuthorizationEndpoint: entraDeviceEndpoint(a, doc.DeviceEndpoint, doc.TokenEndpoint),
		TokenAuthMethods:            slices.Clone(doc.TokenAuthMethods),
		IDTokenSigningAlgs:          slices.Clone(doc.IDTokenSigningAlgs),
		IssuerInResponse:            doc.IssuerInResponse,
	}, nil
}

// discoveryErr is the error of a discovery document that was served (HTTP 200) but
// cannot be used.
func discoveryErr(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrDiscovery, Op: opDiscovery, Description: desc, HTTPStatus: http.StatusOK}
}

// checkIssuer applies the issuer rule of the authority's kind (OIDC Discovery §4.3,
// with Entra's multi-tenant template and GUID-for-domain substitution).
func checkIssuer(a domain.Authority, issuer string) error {
	ok := false
	switch a.Kind {
	case domain.AuthorityOIDC:
		// Exactly (OIDC Discovery §4.3): https://idp/ is another issuer than https://idp,
		// and the ID token's iss is compared with the issuer kept here.
		ok = issuer != "" && issuer == a.URL
	case domain.AuthorityADFS:
		ok = issuer == schemeOf(a.URL)+"://"+a.Host+"/adfs"
	case domain.AuthorityEntra:
		ok = entraIssuerOK(a, issuer)
	case domain.AuthorityB2C:
		ok = b2cIssuerOK(a, issuer)
	}
	if !ok {
		desc := "the discovery document's issuer " + quote(issuer) + " is not the one expected for authority " + a.URL
		if a.Kind == domain.AuthorityOIDC && issuer != "" && strings.TrimRight(issuer, "/") == strings.TrimRight(a.URL, "/") {
			desc += " (they differ by a trailing slash: configure the authority exactly as the issuer is spelt)"
		}
		return &domain.Error{Class: domain.ErrDiscovery, Op: opDiscovery, Description: desc}
	}
	return nil
}

// consumerTenantID is the tenant of Microsoft personal accounts, the issuer Entra's
// consumers endpoint names.
const consumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// entraIssuerOK: https://{alias host}/{segment}/v2.0 where segment is the tenant id
// given, the {tenantid} template for common/organizations/consumers (or, for consumers,
// the consumer tenant's GUID), or any GUID for a tenant given as a domain name.
func entraIssuerOK(a domain.Authority, issuer string) bool {
	host, seg, ok := splitIssuer(a, issuer)
	if !ok || !domain.SameEnvironment(a.Host, host) {
		return false
	}
	tenant := strings.ToLower(a.Tenant)
	switch {
	case seg.path != "/v2.0":
		return false
	case tenant == domain.TenantConsumers:
		return seg.name == entraTenantTemplate || strings.EqualFold(seg.name, consumerTenantID)
	case a.IsOrganizationAlias():
		return seg.name == entraTenantTemplate
	case domain.IsGUID(a.Tenant):
		return strings.EqualFold(seg.name, a.Tenant)
	}
	return domain.IsGUID(seg.name)
}

// b2cIssuerOK: https://{host}/{tenant or its GUID}/v2.0, with or without the trailing
// slash B2C sends.
func b2cIssuerOK(a domain.Authority, issuer string) bool {
	host, seg, ok := splitIssuer(a, issuer)
	if !ok || !strings.EqualFold(host, a.Host) || (seg.path != "/v2.0" && seg.path != "/v2.0/") {
		return false
	}
	return strings.EqualFold(seg.name, a.Tenant) || domain.IsGUID(seg.name)
}

// issuerPath is an issuer's first path segment and what follows it.
type issuerPath struct{ name, path string }

// splitIssuer splits scheme://host/name/rest, requiring the authority's scheme. It works
// on the string because Entra's template is not a valid URL path.
func splitIssuer(a domain.Authority, issuer string) (string, issuerPath, bool) {
	rest, ok := strings.CutPrefix(issuer, schemeOf(a.URL)+"://")
	if !ok || strings.ContainsAny(rest, "?#@") {
		return "", issuerPath{}, false
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" {
		return "", issuerPath{}, false
	}
	name, tail, _ := strings.Cut(path, "/")
	return host, issuerPath{name: name, path: "/" + tail}, name != ""
}

func schemeOf(rawURL string) string {
	s, _, _ := strings.Cut(rawURL, "://")
	return s
}

// quote quotes s for an error message, shortened so that a hostile document cannot
// flood a log line.
func quote(s string) string { return `"` + clip(s) + `"` }

// clip shortens a document's text to 200 bytes, valid UTF-8, for a message or a log
// attribute (which the logger quotes itself).
func clip(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
