package usecases_test

import (
	"context"
	"errors"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// A refresh-token redemption keeps the session when the provider answers without an ID
// token (Google, Okta, some Keycloak set-ups): the rotated refresh token always comes
// back, and is cached under the account the caller names.

func noIDTokenOnRefresh(c *memory.ProviderConfig) { c.OmitIDTokenOnRefresh = true }

func TestRefreshTokenRedeemer_Acquire_noIDTokenNoAccount_returnsRotatedTokenUncached(t *testing.T) {
	sc := newRotationScene(t, noIDTokenOnRefresh)
	signed := sc.signIn(t)
	res, err := flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t),
		usecases.RefreshTokenRequest{RefreshToken: signed.RefreshToken, Scopes: []string{"read"}})
	if err != nil || res.AccessToken == "" {
		t.Fatalf("got %v; want the tokens", err)
	}
	if res.RefreshToken == "" || res.RefreshToken == signed.RefreshToken {
		t.Fatalf("got refresh token %t (same as presented %t); want the rotated one", res.RefreshToken != "", res.RefreshToken == signed.RefreshToken)
	}
	if res.Account.HomeAccountID != "" {
		t.Fatalf("got account %+v; want none: the response named none, so nothing was cached", res.Account)
	}
	if cachedAccessToken(t, sc, domain.AuthResult{AccessToken: res.AccessToken, Account: signed.Account}) {
		t.Fatal("a response naming no account was cached")
	}
}

func TestRefreshTokenRedeemer_Acquire_noIDTokenNamedAccount_cachedUnderIt(t *testing.T) {
	sc := newRotationScene(t, noIDTokenOnRefresh)
	signed := sc.signIn(t)
	// Only the account's key: the cached record supplies the rest (its username is kept).
	named := domain.Account{HomeAccountID: signed.Account.HomeAccountID, Realm: signed.Account.Realm}
	res, err := flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t),
		usecases.RefreshTokenRequest{RefreshToken: signed.RefreshToken, Scopes: []string{"read"}, Account: &named})
	if err != nil || res.RefreshToken == "" || res.RefreshToken == signed.RefreshToken {
		t.Fatalf("got %v (rotated refresh token %t); want the tokens with the rotated refresh token", err, res.RefreshToken != "" && res.RefreshToken != signed.RefreshToken)
	}
	if res.Account.HomeAccountID != signed.Account.HomeAccountID || res.Account.Username != rotUser {
		t.Fatalf("got account %+v; want the named account with its cached username %s", res.Account, rotUser)
	}
	if !cachedAccessToken(t, sc, res) {
		t.Fatal("the response was not cached under the named account")
	}
	// The rotated refresh token is the cached one: a forced refresh redeems it (the one
	// presented is revoked).
	again, err := flow(t, sc, sc.cfg, usecases.NewSilent).Acquire(testContext(t),
		usecases.SilentRequest{Scopes: []string{"read"}, Account: signed.Account, ForceRefresh: true})
	if err != nil || again.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("forced silent refresh after the redemption: %v; want new tokens from the cached rotated refresh token", err)
	}
	list, err := flow(t, sc, sc.cfg, usecases.NewAccounts).List(testContext(t), "")
	if err != nil || len(list) != 1 || list[0].Username != rotUser {
		t.Fatalf("accounts = %+v, %v; want ada's one record, username kept", list, err)
	}
}

// A named account that does not hold the presented refresh token is no proof of whose
// it is: the response is cached under the account its ID token names, never under the
// one named.
func TestRefreshTokenRedeemer_Acquire_namedAccountWithoutThePresentedTokenIsIgnored(t *testing.T) {
	sc := newRotationScene(t, nil)
	signed := sc.signIn(t)
	other := domain.Account{HomeAccountID: "someone-else", Environment: signed.Account.Environment, Realm: signed.Account.Realm}
	sc.store.failWrites(0)
	res, err := flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t),
		usecases.RefreshTokenRequest{RefreshToken: signed.RefreshToken, Scopes: []string{"read"}, Account: &other})
	if err != nil || res.Account.HomeAccountID != signed.Account.HomeAccountID {
		t.Fatalf("got account %q, %v; want the ID token's account %q, not the one named", res.Account.HomeAccountID, err, signed.Account.HomeAccountID)
	}
}

func TestRefreshTokenRedeemer_Acquire_namedAccountWithoutHomeAccountID(t *testing.T) {
	sc := newRotationScene(t, nil)
	_, err := flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t),
		usecases.RefreshTokenRequest{RefreshToken: "rt", Scopes: []string{"read"}, Account: &domain.Account{Username: rotUser}})
	if !errors.Is(err, domain.ErrInvalidInput) || sc.idp.Calls(domain.GrantRefreshToken) != 0 {
		t.Fatalf("got %v after %d refresh grants; want ErrInvalidInput before any", err, sc.idp.Calls(domain.GrantRefreshToken))
	}
}

// On an OIDC issuer a subject is case-sensitive: "SUB-ALICE" is another person than
// "sub-alice", though a store matches home ids by their folded shape. A refresh token
// cached for "SUB-ALICE", presented with "sub-alice" named, is not held by the named
// account: the response is cached under the account its ID token names.
func TestRefreshTokenRedeemer_Acquire_caseTwinOfTheNamedOIDCAccountDoesNotHoldItsToken(t *testing.T) {
	f := newFixture(t)
	twin := "SUB-ALICE"
	rt := f.refreshToken(testClient, "", "rt-twin")
	rt.HomeAccountID, rt.Realm = twin, f.authority.RefreshTokenRealm()
	twinAccount := f.account()
	twinAccount.HomeAccountID = twin
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{twinAccount, f.account()},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback().AnyTimes()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, twin), nil)
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	var wrote domain.CacheWrite
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		wrote = w
		return nil
	})
	named := f.account()
	res, err := usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: "rt-twin", Scopes: []string{"read"}, Account: &named})
	if err != nil {
		t.Fatalf("Acquire = %v; want the tokens, cached under the account the ID token names", err)
	}
	if got.Account.HomeAccountID != twin || wrote.Account == nil || wrote.Account.HomeAccountID != twin {
		t.Fatalf("result account %q, written account %+v; want %q (the ID token's), not the named %q", got.Account.HomeAccountID, wrote.Account, twin, testHome)
	}
}
