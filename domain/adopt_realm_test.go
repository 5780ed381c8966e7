package domain_test

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestAdoptIssuerRealm(t *testing.T) {
	issuer, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	entra, err := domain.ParseAuthority("https://login.microsoftonline.com/organizations", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	root, err := domain.ParseAuthority("https://idp.example", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	// An Entra authority on a host no list names (a private cloud; the fake provider
	// over TLS in interop/msalgo), declared with AuthorityKind.
	declared, err := domain.ParseAuthority("https://idp.example/7f3c2a10-5b6d-4e8f-9a01-23456789abcd", domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	rt := domain.RefreshToken{HomeAccountID: "sub-1", Environment: "idp.example", ClientID: "app", Secret: "rt"}
	acct := func(realm string) domain.Account {
		return domain.Account{HomeAccountID: "sub-1", Environment: "idp.example", Realm: realm}
	}
	tests := []struct {
		name      string
		authority domain.Authority
		snap      domain.CacheSnapshot
		want      string // the refresh token's realm after; "dropped": not kept
	}{
		{"account of this issuer only", issuer, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms/a")}}, "realms/a"},
		{"ID token of this issuer only", issuer, domain.CacheSnapshot{IDTokens: []domain.IDToken{{HomeAccountID: "sub-1", Environment: "idp.example", Realm: "realms/a"}}}, "realms/a"},
		{"account also under another issuer", issuer, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms/a"), acct("realms/b")}}, "dropped"},
		{"account under MSAL Python's first segment", issuer, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms")}}, "dropped"},
		{"no account in the document", issuer, domain.CacheSnapshot{}, "dropped"},
		{"root issuer, account of another realm", root, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms/a")}}, "dropped"},
		{"root issuer, account of the root realm", root, domain.CacheSnapshot{Accounts: []domain.Account{acct("")}}, ""},
		{"another OIDC host", issuer, domain.CacheSnapshot{Accounts: []domain.Account{{HomeAccountID: "sub-1", Environment: "other.example", Realm: "realms/a"}}}, "dropped"},
		{"an Entra client adopts no OIDC token", entra, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms/a")}}, "dropped"},
		{"declared Entra authority of the host", declared, domain.CacheSnapshot{Accounts: []domain.Account{acct("7f3c2a10-5b6d-4e8f-9a01-23456789abcd")}}, ""},
		{"declared Entra authority of another host", declared, domain.CacheSnapshot{Accounts: []domain.Account{{HomeAccountID: "sub-1", Environment: "other.example"}}}, "dropped"},
		{"no authority", domain.Authority{}, domain.CacheSnapshot{Accounts: []domain.Account{acct("realms/a")}}, "dropped"},
		{"ADFS account on the host", domain.Authority{}, domain.CacheSnapshot{Accounts: []domain.Account{{HomeAccountID: "sub-1", Environment: "idp.example", Realm: "", AuthorityType: domain.AuthorityTypeADFS}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snap
			r := rt
			if tt.name == "another OIDC host" || tt.name == "declared Entra authority of another host" {
				r.Environment = "other.example"
			}
			s.RefreshTokens = []domain.RefreshToken{r}
			domain.AdoptIssuerRealm(&s, tt.authority)
			got := "dropped"
			if len(s.RefreshTokens) == 1 {
				got = s.RefreshTokens[0].Realm
			}
			if got != tt.want {
				t.Errorf("refresh token after AdoptIssuerRealm: %q; want %q", got, tt.want)
			}
		})
	}
}

func TestAdoptIssuerRealm_keepsEntraAndB2CRefreshTokens(t *testing.T) {
	s := domain.CacheSnapshot{RefreshTokens: []domain.RefreshToken{
		{HomeAccountID: "u.t", Environment: "login.windows.net", ClientID: "c", Secret: "rt1"},
		{HomeAccountID: "u.t", Environment: "contoso.b2clogin.com", ClientID: "c", Secret: "rt2"},
	}}
	if _, dropped := domain.AdoptIssuerRealm(&s, domain.Authority{}); len(dropped) != 0 || len(s.RefreshTokens) != 2 {
		t.Fatalf("AdoptIssuerRealm dropped %d of Entra's and B2C's realm-less refresh tokens; want none", len(dropped))
	}
}
