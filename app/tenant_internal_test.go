package app

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestClient_resolve_WithTenantID(t *testing.T) {
	const guest = "bbbbbbbb-0000-0000-0000-00000000000b"
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name      string
		authority string // the client's
		override  authorityOverride
		want      string // the resolved authority's URL; "" : ErrInvalidInput
	}{
		{name: "Entra tenant", authority: "https://login.microsoftonline.com/organizations", override: authorityOverride{tenant: str(guest)},
			want: "https://login.microsoftonline.com/" + guest},
		{name: "Entra tenant by domain", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("fabrikam.onmicrosoft.com")},
			want: "https://login.microsoftonline.com/fabrikam.onmicrosoft.com"},
		{name: "same host, another cloud's authority untouched", authority: "https://login.microsoftonline.us/common", override: authorityOverride{tenant: str(guest)},
			want: "https://login.microsoftonline.us/" + guest},
		{name: "B2C keeps the policy", authority: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", override: authorityOverride{tenant: str("fabrikam.onmicrosoft.com")},
			want: "https://contoso.b2clogin.com/fabrikam.onmicrosoft.com/B2C_1_signin"},
		{name: "applies to WithAuthority's authority", authority: "https://login.microsoftonline.com/common",
			override: authorityOverride{url: "https://login.microsoftonline.de/organizations", tenant: str(guest)}, want: "https://login.microsoftonline.de/" + guest},
		{name: "WithAuthority alone", authority: "https://login.microsoftonline.com/common",
			override: authorityOverride{url: "https://login.microsoftonline.com/" + guest}, want: "https://login.microsoftonline.com/" + guest},
		{name: "OIDC issuer has no tenants", authority: "https://idp.example.com/realms/a", override: authorityOverride{tenant: str(guest)}},
		{name: "ADFS has no tenants", authority: "https://adfs.example.com/adfs", override: authorityOverride{tenant: str(guest)}},
		{name: "WithAuthority of an OIDC issuer", authority: "https://login.microsoftonline.com/common",
			override: authorityOverride{url: "https://idp.example.com/realms/a", tenant: str(guest)}},
		{name: "empty tenant", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("")}},
		{name: "tenant with a slash", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str(guest + "/v2.0")}},
		{name: "tenant naming another host", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("@evil.example")}},
		{name: "tenant with a query", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("t?x=1")}},
		{name: "tenant with an escape", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("t%2Fx")}},
		{name: "dot-dot tenant", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("..")}},
		{name: "tenant with a space", authority: "https://login.microsoftonline.com/common", override: authorityOverride{tenant: str("a b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := domain.ParseAuthority(tc.authority, domain.AuthorityAuto)
			if err != nil {
				t.Fatal(err)
			}
			c := &client{env: &Engine{authority: a}}
			got, err := c.resolve(tc.override)
			if tc.want == "" {
				if !errors.Is(err, domain.ErrInvalidInput) {
					t.Fatalf("resolve(%+v) on %s = %v, %v; want ErrInvalidInput", tc.override, tc.authority, got, err)
				}
				return
			}
			if err != nil || got == nil || got.URL != tc.want {
				t.Fatalf("resolve(%+v) on %s = %v, %v; want %s", tc.override, tc.authority, got, err, tc.want)
			}
		})
	}
}
