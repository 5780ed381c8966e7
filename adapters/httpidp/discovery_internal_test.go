package httpidp

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// These cases use real Microsoft host names without touching them: checkIssuer is pure.
func TestCheckIssuer_realWorldShapes(t *testing.T) {
	const guid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		authority string
		issuer    string
		want      bool
	}{
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.com/{tenantid}/v2.0", true},
		{"https://login.windows.net/common", "https://login.microsoftonline.com/{tenantid}/v2.0", true},
		{"https://login.microsoftonline.com/common", "https://evil.example.com/{tenantid}/v2.0", false},
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.us/{tenantid}/v2.0", false},
		{"https://login.microsoftonline.com/common", "http://login.microsoftonline.com/{tenantid}/v2.0", false},
		{"https://login.microsoftonline.com/organizations", "https://login.microsoftonline.com/{tenantid}/v2.0", true},
		{"https://login.microsoftonline.com/consumers", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", true},
		{"https://login.microsoftonline.com/" + guid, "https://login.microsoftonline.com/" + guid + "/v2.0", true},
		{"https://login.microsoftonline.com/" + guid, "https://login.microsoftonline.com/" + guid + "/v2.0?x=1", false},
		{"https://login.microsoftonline.com/" + guid, "https://sts.windows.net/" + guid + "/", false},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com", "https://login.microsoftonline.com/" + guid + "/v2.0", true},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com", "https://login.microsoftonline.com/not-a-guid/v2.0", false},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "https://contoso.b2clogin.com/" + guid + "/v2.0/", true},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "https://fabrikam.b2clogin.com/" + guid + "/v2.0/", false},
		{"https://adfs.contoso.com/adfs", "https://adfs.contoso.com/adfs", true},
		{"https://adfs.contoso.com/adfs", "https://adfs.contoso.com/adfs/services/trust", false},
		{"https://accounts.google.com", "https://accounts.google.com", true},
		{"https://contoso.auth0.com/", "https://contoso.auth0.com/", true},
		{"https://contoso.auth0.com", "https://contoso.auth0.com/", false},
		{"https://accounts.google.com/", "https://accounts.google.com", false},
		{"https://accounts.google.com", "https://accounts.google.com.evil.example", false},
		{"https://accounts.google.com", "", false},
	}
	for _, tt := range tests {
		a, err := domain.ParseAuthority(tt.authority, domain.AuthorityAuto)
		if err != nil {
			t.Fatalf("ParseAuthority(%q) = %v", tt.authority, err)
		}
		if got := checkIssuer(a, tt.issuer) == nil; got != tt.want {
			t.Errorf("checkIssuer(%q, %q) accepted = %v; want %v", tt.authority, tt.issuer, got, tt.want)
		}
	}
}

func TestDiscoveryURL_kinds(t *testing.T) {
	tests := []struct{ authority, want string }{
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"},
		{"https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration"},
		{"https://adfs.contoso.com/adfs/", "https://adfs.contoso.com/adfs/.well-known/openid-configuration"},
		{"https://accounts.google.com/", "https://accounts.google.com/.well-known/openid-configuration"},
		{"http://localhost:8080/realms/x", "http://localhost:8080/realms/x/.well-known/openid-configuration"},
	}
	for _, tt := range tests {
		a, err := domain.ParseAuthority(tt.authority, domain.AuthorityAuto)
		if err != nil {
			t.Fatalf("ParseAuthority(%q) = %v", tt.authority, err)
		}
		if got, err := discoveryURL(a); err != nil || got != tt.want {
			t.Errorf("discoveryURL(%q) = %q, %v; want %q, nil", tt.authority, got, err, tt.want)
		}
	}
}

// Entra names endpoints on any host of the authority's cloud; every other kind keeps to
// the issuer's origin. Pure: no host is contacted.
func TestProvider_checkEndpoint_kinds(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		authority, endpoint string
		want                bool
	}{
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.com/common/oauth2/v2.0/token", true},
		{"https://login.windows.net/common", "https://login.microsoftonline.com/common/oauth2/v2.0/token", true},
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.com:443/common/oauth2/v2.0/token", true},
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.us/common/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.com/common", "https://evil.example.com/token", false},
		{"https://login.microsoftonline.com/common", "http://login.microsoftonline.com/token", false},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/token", true},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "https://fabrikam.b2clogin.com/token", false},
		{"https://adfs.contoso.com/adfs", "https://adfs.contoso.com/adfs/oauth2/token", true},
		{"https://adfs.contoso.com/adfs", "https://login.microsoftonline.com/adfs/oauth2/token", false},
		{"https://accounts.google.com", "https://oauth2.googleapis.com/token", false},
		{"https://accounts.google.com", "https://ACCOUNTS.google.com:443/o/oauth2/token", true},
		{"https://idp.example:8443/r", "https://idp.example/token", false},
	}
	for _, tt := range tests {
		a, err := domain.ParseAuthority(tt.authority, domain.AuthorityAuto)
		if err != nil {
			t.Fatalf("ParseAuthority(%q) = %v", tt.authority, err)
		}
		if got := p.checkEndpoint(a, "token_endpoint", tt.endpoint) == nil; got != tt.want {
			t.Errorf("checkEndpoint(%q, %q) accepted = %v; want %v", tt.authority, tt.endpoint, got, tt.want)
		}
	}
}
