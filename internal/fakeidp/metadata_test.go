package fakeidp_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// contosoTenant is the tenant id the tests map contoso.onmicrosoft.com to.
const contosoTenant = "3c8d2e4f-1111-4222-8333-0000000c0550"

func TestProvider_Issuer_byAuthorityKind(t *testing.T) {
	p := newProvider(t, nil, func(c *fakeidp.Config) {
		c.TenantDomains = map[string]string{"Contoso.onmicrosoft.com": contosoTenant}
	})
	const ms = "https://login.microsoftonline.com"
	tests := []struct{ name, authority, issuer, tokenIssuer string }{
		{"consumers", ms + "/consumers", ms + "/{tenantid}/v2.0", ms + "/" + testTenant + "/v2.0"},
		{"tenant id", ms + "/" + testTenant, ms + "/" + testTenant + "/v2.0", ms + "/" + testTenant + "/v2.0"},
		{"listed tenant name", ms + "/contoso.onmicrosoft.com", ms + "/" + contosoTenant + "/v2.0", ms + "/" + contosoTenant + "/v2.0"},
		{"listed name in another case", ms + "/CONTOSO.onmicrosoft.com", ms + "/" + contosoTenant + "/v2.0", ms + "/" + contosoTenant + "/v2.0"},
		{"unlisted tenant name", ms + "/fabrikam.example", ms + "/" + fakeidp.DefaultTenantID + "/v2.0",
			ms + "/" + fakeidp.DefaultTenantID + "/v2.0"},
		{"b2c", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
			"https://contoso.b2clogin.com/contoso.onmicrosoft.com/v2.0", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/v2.0"},
		{"oidc", "http://127.0.0.1:9000/oidc", "http://127.0.0.1:9000/oidc", "http://127.0.0.1:9000/oidc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := authority(t, tt.authority)
			if got := p.Issuer(a); got != tt.issuer {
				t.Errorf("Issuer(%s): got %q; want %q", tt.authority, got, tt.issuer)
			}
			if got := p.TokenIssuer(a, testTenant); got != tt.tokenIssuer {
				t.Errorf("TokenIssuer(%s): got %q; want %q", tt.authority, got, tt.tokenIssuer)
			}
			if got := p.Metadata(a).Issuer; got != tt.issuer {
				t.Errorf("Metadata(%s).Issuer: got %q; want %q", tt.authority, got, tt.issuer)
			}
		})
	}
	a, _ := domain.ParseAuthority("http://127.0.0.1:9000/common", domain.AuthorityEntra)
	if got, want := p.Issuer(a), "http://127.0.0.1:9000/{tenantid}/v2.0"; got != want {
		t.Errorf("Issuer(loopback Entra): got %q; want %q", got, want)
	}
}

func TestProvider_TenantID_byAuthority(t *testing.T) {
	p := newProvider(t, nil, func(c *fakeidp.Config) {
		c.TenantDomains = map[string]string{" contoso.onmicrosoft.com ": contosoTenant}
	})
	tests := []struct{ authority, want string }{
		{"https://login.microsoftonline.com/common", ""},
		{"https://login.microsoftonline.com/" + testTenant, testTenant},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com", contosoTenant},
		{"https://login.microsoftonline.com/other.example", fakeidp.DefaultTenantID},
		{"http://127.0.0.1:9000/oidc", ""},
	}
	for _, tt := range tests {
		if got := p.TenantID(authority(t, tt.authority)); got != tt.want {
			t.Errorf("TenantID(%s): got %q; want %q", tt.authority, got, tt.want)
		}
	}
}

// TestProvider_tenantNameEndToEnd checks that an ID token and an authorization response
// at an authority naming its tenant by domain carry the issuer of the tenant's id, which
// Metadata announces.
func TestProvider_tenantNameEndToEnd(t *testing.T) {
	p := newProvider(t, nil, func(c *fakeidp.Config) {
		c.IssuerInResponse = true
		c.Clients = append(c.Clients, fakeidp.Client{ID: "web", RedirectURIs: []string{"http://localhost/cb"}})
	})
	a := authority(t, "https://login.microsoftonline.com/contoso.onmicrosoft.com")
	want := "https://login.microsoftonline.com/" + fakeidp.DefaultTenantID + "/v2.0"
	resp, err := p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{})
	if err != nil {
		t.Fatalf("Token(password) = %v", err)
	}
	_, c, err := domain.ParseIDToken(string(resp.IDToken))
	if err != nil {
		t.Fatalf("ParseIDToken = %v", err)
	}
	if err := c.Check(domain.IDTokenExpectations{Issuer: p.Metadata(a).Issuer, ClientID: "pub", Now: testNow}); err != nil || c.Issuer != want {
		t.Errorf("ID token iss %q checked against Metadata: %v; want %q and no error", c.Issuer, err, want)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {"http://localhost/cb"},
		"state": {"s"}, "code_challenge": {domain.S256Challenge("verifier-verifier-verifier-verifier-verifier")},
		"code_challenge_method": {domain.PKCEMethod}, "scope": {"openid"}}
	out, err := p.Authorize(a, q, "alice@example.org")
	if err != nil || out.Get("code") == "" || out.Get("iss") != want {
		t.Errorf("Authorize = %v, %v; want a code and iss %q", out, err, want)
	}
}

func TestConfig_Validate_tenantDomains(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
	}{
		{"empty name", map[string]string{" ": contosoTenant}},
		{"name is a GUID", map[string]string{testTenant: contosoTenant}},
		{"name is common", map[string]string{"Common": contosoTenant}},
		{"id is not a GUID", map[string]string{"contoso.onmicrosoft.com": "contoso"}},
		{"name listed twice", map[string]string{"contoso.example": contosoTenant, "CONTOSO.example": testTenant}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeidp.Config{Clock: fixedClock{testNow}, TenantDomains: tt.m}
			if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("Validate() = %v; want ErrInvalidInput", err)
			}
		})
	}
	ok := fakeidp.Config{Clock: fixedClock{testNow}, TenantDomains: map[string]string{"contoso.example": contosoTenant}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(valid TenantDomains) = %v; want nil", err)
	}
}
