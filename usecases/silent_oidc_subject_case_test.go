package usecases_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// TestOIDCSubjectShapedLikeEntraHomeID_isCaseSensitive: DESIGN §3 — only Entra's uid.utid
// match case-insensitively; an OIDC sub is case-sensitive. The stores match home account
// ids by shape (domain.FoldHomeAccountID), so on a generic OIDC issuer whose subjects are
// chosen by or derived from user input, a subject spelled like "GUID.GUID" in upper case
// would otherwise reach the lower-case one's entries. In every store, the other-case
// subject gets nothing of the victim's — no access token, no ID token, no refresh (the
// provider is never called), no removal — while the victim's own calls still work.
func TestOIDCSubjectShapedLikeEntraHomeID_isCaseSensitive(t *testing.T) {
	oidc, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	victim := "0000aaaa-0000-4000-8000-00000000000a.72f988bf-86f1-41af-91ab-2d7cd011db47"
	other := strings.ToUpper(victim) // another subject of a case-sensitive issuer
	for name, open := range hotStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			exp := benchNow.Add(time.Hour)
			snap := domain.CacheSnapshot{
				AccessTokens: []domain.AccessToken{{HomeAccountID: victim, Environment: "idp.example", ClientID: benchClientID, Realm: "realms/a",
					Target: benchScope, Secret: "victim-at", TokenType: "Bearer", CachedAt: benchNow, ExpiresOn: exp, ExtendedExpiresOn: exp}},
				RefreshTokens: []domain.RefreshToken{{HomeAccountID: victim, Environment: "idp.example", ClientID: benchClientID, Realm: "realms/a",
					Secret: "victim-rt", CachedAt: benchNow}},
				IDTokens: []domain.IDToken{{HomeAccountID: victim, Environment: "idp.example", ClientID: benchClientID, Realm: "realms/a",
					Secret: domain.Secret(rawIDTokenFor(t, oidc, victim))}},
				Accounts: []domain.Account{{HomeAccountID: victim, Environment: "idp.example", Realm: "realms/a", Username: "victim", AuthorityType: domain.AuthorityTypeGeneric}},
			}
			if err := store.Import(t.Context(), "p", snap); err != nil {
				t.Fatal(err)
			}
			cfg := usecases.Config{ClientID: benchClientID, Authority: oidc, Partition: "p"}
			deps := usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}}
			silent, err := usecases.NewSilent(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			accounts, err := usecases.NewAccounts(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			as := func(home string) domain.Account { return domain.Account{HomeAccountID: home, Environment: oidc.Host} }

			// noProvider fails a refresh with an error that is not ErrNoTokens: ErrNoTokens
			// says the victim's refresh token was not a candidate either.
			res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: as(other)})
			if !errors.Is(err, domain.ErrNoTokens) || res.AccessToken != "" {
				t.Errorf("silent for %q = %q, %v; want ErrNoTokens: the cached entries are subject %q's", other, string(res.AccessToken), err, victim)
			}
			res, err = silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{"openid"}, Account: as(other)})
			if !errors.Is(err, domain.ErrNoTokens) || res.IDToken != "" {
				t.Errorf("silent sign-in for %q = %d bytes of ID token, %v; want ErrNoTokens", other, len(res.IDToken), err)
			}
			if err := accounts.Remove(t.Context(), as(other)); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("Remove(%q) = %v; want ErrInvalidInput (no such account), the victim's entries untouched", other, err)
			}

			res, err = silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: as(victim)})
			if err != nil || res.AccessToken != "victim-at" || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != victim {
				t.Errorf("silent for %q = %q, claims %v, %v; want its own cached token and ID token", victim, string(res.AccessToken), res.IDTokenClaims, err)
			}
			list, err := accounts.List(t.Context(), "")
			if err != nil || len(list) != 1 || list[0].HomeAccountID != victim {
				t.Errorf("List = %v, %v; want the victim's account alone", list, err)
			}
		})
	}
}
