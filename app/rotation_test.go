package app_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// brokenWrites is a store whose writes fail while broken is set.
type brokenWrites struct {
	ports.CacheStore
	broken atomic.Bool
}

func (s *brokenWrites) Write(ctx context.Context, w domain.CacheWrite) error {
	if s.broken.Load() {
		return &domain.Error{Class: domain.ErrCacheStore, Op: "test: write", Description: "disk full"}
	}
	return s.CacheStore.Write(ctx, w)
}

// rotationClient is a public client over the in-process fake provider (rotating
// refresh tokens, mod applied) whose memory store can be broken.
func rotationClient(t *testing.T, mod func(*memory.ProviderConfig)) (*app.PublicClient, *brokenWrites) {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	pcfg := memory.ProviderConfig{
		Clock: clock, RotateRefreshTokens: true, Scopes: []string{"api://orders/read"},
		Users:   []memory.User{{Username: "alice@example.com", Password: "correct horse"}},
		Clients: []memory.Client{{ID: clientID}},
	}
	if mod != nil {
		mod(&pcfg)
	}
	idp, err := memory.NewIdentityProvider(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	store := &brokenWrites{}
	var pc *app.PublicClient
	fxApp := fx.New(fx.NopLogger,
		app.Options(app.Config{ClientID: clientID, Authority: authority, IdentityProvider: idp, Clock: clock}),
		fx.Decorate(func(s ports.CacheStore) ports.CacheStore { store.CacheStore = s; return store }),
		fx.Populate(&pc))
	if err := fxApp.Start(testContext(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fxApp.Stop(context.Background()) })
	return pc, store
}

// The facade hands over the result that comes with ErrCacheStore instead of zeroing it.
func TestPublicClient_cacheStoreFailure_passesTheTokensThrough(t *testing.T) {
	ctx := testContext(t)
	pc, store := rotationClient(t, nil)
	scopes := []string{"api://orders/read"}
	signed, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", scopes)
	if err != nil {
		t.Fatal(err)
	}
	store.broken.Store(true)
	for name, call := range map[string]func() (app.AuthResult, error){
		"AcquireTokenSilent": func() (app.AuthResult, error) {
			return pc.AcquireTokenSilent(ctx, scopes, signed.Account, app.WithForceRefresh())
		},
		"AcquireTokenByUsernamePassword": func() (app.AuthResult, error) {
			return pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", scopes)
		},
	} {
		res, err := call()
		if !errors.Is(err, domain.ErrCacheStore) || res.AccessToken == "" || res.RefreshToken == "" || res.Account.HomeAccountID == "" {
			t.Errorf("%s = (access token %t, refresh token %t, account %q), %v; want the tokens with ErrCacheStore",
				name, res.AccessToken != "", res.RefreshToken != "", res.Account.HomeAccountID, err)
		}
	}
}

// WithAccount caches a refresh response without an ID token under the named account.
func TestPublicClient_AcquireTokenByRefreshToken_WithAccount(t *testing.T) {
	ctx := testContext(t)
	pc, _ := rotationClient(t, func(c *memory.ProviderConfig) { c.OmitIDTokenOnRefresh = true })
	scopes := []string{"api://orders/read"}
	signed, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", scopes)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByRefreshToken(ctx, string(signed.RefreshToken), scopes, app.WithAccount(signed.Account))
	if err != nil || res.RefreshToken == "" || res.Account.HomeAccountID != signed.Account.HomeAccountID {
		t.Fatalf("AcquireTokenByRefreshToken(WithAccount) = account %q, refresh token %t, %v; want the named account and the rotated token",
			res.Account.HomeAccountID, res.RefreshToken != "", err)
	}
	hit, err := pc.AcquireTokenSilent(ctx, scopes, signed.Account)
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("AcquireTokenSilent after the redemption = %s, %v; want its access token from the cache", hit.TokenSource, err)
	}
}

// A silent refresh answered without an ID token (Google, Okta and many OIDC providers
// answer so) returns the cached ID token beside its claims, as a cache hit does: the
// result never has claims without the token they came from. The last stop's notes
// named the gap (IDToken was empty after such a refresh).
func TestPublicClient_AcquireTokenSilent_refreshWithoutIDTokenKeepsTheCachedOne(t *testing.T) {
	ctx := testContext(t)
	pc, _ := rotationClient(t, func(c *memory.ProviderConfig) { c.OmitIDTokenOnRefresh = true })
	scopes := []string{"api://orders/read"}
	signed, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", scopes)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenSilent(ctx, scopes, signed.Account, app.WithForceRefresh())
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("forced refresh = %s, %v; want a refresh", res.TokenSource, err)
	}
	if res.IDToken == "" || res.IDToken != signed.IDToken || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != signed.IDTokenClaims.Subject {
		t.Errorf("refresh without an ID token: IDToken set %t (the cached one: %t), claims %v; want the cached ID token and its claims",
			res.IDToken != "", res.IDToken == signed.IDToken, res.IDTokenClaims != nil)
	}
	hit, err := pc.AcquireTokenSilent(ctx, scopes, signed.Account)
	if err != nil || hit.IDToken != res.IDToken {
		t.Errorf("the cache hit after it has another ID token (%v); want the same", err)
	}
}
