package usecases_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// TestAccounts_Remove_familyTokensAsSilentWouldRedeemThem: whatever the app's metadata
// says of its family, once Remove returns no silent call presents a refresh token for
// the account (ErrNoTokens: noProvider would fail any request with another error). A
// sibling app's family refresh token goes exactly when silent could redeem it: when the
// app is in a family, or its family is unknown; an app known to be in no family leaves
// the sibling signed in (ADR 0016). Both decisions come from one rule (appFamily), so
// metadata that names the client in another case, or records under alias hosts that
// disagree, can never make silent redeem a token the removal kept.
func TestAccounts_Remove_familyTokensAsSilentWouldRedeemThem(t *testing.T) {
	const sibling = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"
	home := "0000aaaa-0000-4000-8000-00000000000a." + hotTenant
	a, err := domain.ParseAuthority("https://login.microsoftonline.com/"+hotTenant, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	env := a.Host
	meta := func(client, host, family string) domain.AppMetadata {
		return domain.AppMetadata{ClientID: client, Environment: host, FamilyID: family}
	}
	for _, tc := range []struct {
		name        string
		metadata    []domain.AppMetadata
		siblingGone bool
	}{
		{"unknown", nil, true},
		{"inFamily", []domain.AppMetadata{meta(benchClientID, env, "1")}, true},
		{"inNoFamily", []domain.AppMetadata{meta(benchClientID, env, "")}, false},
		{"inNoFamilyClientIDInUpperCase", []domain.AppMetadata{meta(strings.ToUpper(benchClientID), env, "")}, false},
		{"aliasHostsDisagree", []domain.AppMetadata{meta(benchClientID, env, ""), meta(benchClientID, "login.windows.net", "1")}, true},
	} {
		for name, open := range hotStores(t) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				store := open(t)
				exp := benchNow.Add(time.Hour)
				snap := domain.CacheSnapshot{
					AccessTokens: []domain.AccessToken{{HomeAccountID: home, Environment: env, ClientID: benchClientID, Realm: hotTenant,
						Target: benchScope, Secret: "app-at", TokenType: "Bearer", CachedAt: benchNow, ExpiresOn: exp, ExtendedExpiresOn: exp}},
					RefreshTokens: []domain.RefreshToken{
						{HomeAccountID: home, Environment: env, ClientID: benchClientID, Secret: "app-rt", CachedAt: benchNow},
						{HomeAccountID: home, Environment: env, ClientID: sibling, FamilyID: "1", Secret: "sibling-family-rt", CachedAt: benchNow},
					},
					IDTokens: []domain.IDToken{{HomeAccountID: home, Environment: env, ClientID: benchClientID, Realm: hotTenant,
						Secret: domain.Secret(rawIDTokenFor(t, a, "sub-1"))}},
					Accounts: []domain.Account{{HomeAccountID: home, Environment: env, Realm: hotTenant, LocalAccountID: "0000aaaa-0000-4000-8000-00000000000a",
						Username: "user@contoso.example", AuthorityType: domain.AuthorityTypeMSSTS}},
					AppMetadata: append(tc.metadata, meta(sibling, env, "1")),
				}
				if err := store.Import(t.Context(), "p", snap); err != nil {
					t.Fatal(err)
				}
				cfg := usecases.Config{ClientID: benchClientID, Authority: a, Partition: "p"}
				deps := usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}}
				accounts, err := usecases.NewAccounts(cfg, deps)
				if err != nil {
					t.Fatal(err)
				}
				silent, err := usecases.NewSilent(cfg, deps)
				if err != nil {
					t.Fatal(err)
				}
				acct := snap.Accounts[0]
				if err := accounts.Remove(t.Context(), acct); err != nil {
					t.Fatal(err)
				}
				_, err = silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: acct, ForceRefresh: true})
				if !errors.Is(err, domain.ErrNoTokens) {
					t.Errorf("silent after Remove = %v; want ErrNoTokens: a refresh token the removal left was presented for a signed-out user", err)
				}
				found, err := store.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: home})
				if err != nil {
					t.Fatal(err)
				}
				kept := false
				for _, rt := range found.RefreshTokens {
					kept = kept || rt.ClientID == sibling
				}
				if kept == tc.siblingGone {
					t.Errorf("sibling's family refresh token kept = %v after Remove; want %v (removed exactly when silent could redeem it)", kept, !tc.siblingGone)
				}
			})
		}
	}
}
