package usecases_test

import (
	"errors"
	"testing"

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
