package domain_test

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestAuthority_SameRealm(t *testing.T) {
	parse := func(raw string) domain.Authority {
		a, err := domain.ParseAuthority(raw, domain.AuthorityAuto)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	oidc, entra, adfs := parse("https://idp.example/realms/a"), parse("https://login.microsoftonline.com/organizations"), parse("https://fs.contoso.com/adfs")
	tests := []struct {
		a    domain.Authority
		x, y string
		want bool
	}{
		{oidc, "realms/a", "realms/a", true},
		{oidc, "realms/A", "realms/a", false},
		{oidc, "", "realms/a", false},
		{entra, "72F988BF-86F1-41AF-91AB-2D7CD011DB47", "72f988bf-86f1-41af-91ab-2d7cd011db47", true},
		{entra, "", "tenant", false},
		{adfs, "", "adfs", true}, // as MSAL .NET writes ADFS entries
		{adfs, "ADFS", "adfs", true},
		{adfs, "", "other", false},
	}
	for _, tt := range tests {
		if got := tt.a.SameRealm(tt.x, tt.y); got != tt.want {
			t.Errorf("%s SameRealm(%q, %q) = %v; want %v", tt.a.Kind, tt.x, tt.y, got, tt.want)
		}
	}
}
