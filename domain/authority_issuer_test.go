package domain_test

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// IssuerWithoutDiscovery names the issuer an authority's discovery document would name
// only where no document is needed to know it.
func TestAuthority_IssuerWithoutDiscovery(t *testing.T) {
	for _, tc := range []struct {
		authority string
		kind      domain.AuthorityKind
		want      string // "" for unknown
	}{
		{"https://idp.example/realms/a", domain.AuthorityOIDC, "https://idp.example/realms/a"},
		{"https://login.microsoftonline.com/common", domain.AuthorityAuto, "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"https://login.microsoftonline.com/consumers", domain.AuthorityAuto, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"},
		{"https://login.windows.net/Consumers", domain.AuthorityAuto, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"},
		{"https://login.microsoftonline.com/Common", domain.AuthorityAuto, "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"https://login.microsoft.com/AAAAAAAA-0000-0000-0000-00000000000A", domain.AuthorityAuto, "https://login.microsoftonline.com/aaaaaaaa-0000-0000-0000-00000000000a/v2.0"},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com", domain.AuthorityAuto, ""},
		{"https://login.microsoftonline.us/common", domain.AuthorityAuto, ""},
		{"https://login.partner.microsoftonline.cn/common", domain.AuthorityAuto, ""},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", domain.AuthorityAuto, ""},
		{"https://fs.contoso.com/adfs", domain.AuthorityAuto, ""},
	} {
		a, err := domain.ParseAuthority(tc.authority, tc.kind)
		if err != nil {
			t.Fatalf("ParseAuthority(%s): %v", tc.authority, err)
		}
		got, ok := a.IssuerWithoutDiscovery()
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("IssuerWithoutDiscovery(%s) = %q, %v; want %q", tc.authority, got, ok, tc.want)
		}
	}
}
