package usecases_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Which cached entries a flow may serve, beyond client and scopes.

func TestClientCredentials_Acquire_servesOnlyTheAuthorityTenantsAppToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		realm   string
		wantHit bool
	}{
		{"same tenant", tenantA, true},
		{"same tenant, other case", "AAAAAAAA-0000-0000-0000-00000000000A", true},
		{"another tenant", tenantB, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, "https://login.microsoftonline.com/"+tenantA)
			f.cfg.Credential = domain.ClientCredential{Secret: "s3cret"}
			c, err := usecases.NewClientCredentials(f.cfg, f.deps())
			if err != nil {
				t.Fatal(err)
			}
			at := f.accessToken("api://x/.default", time.Hour)
			at.HomeAccountID, at.Environment, at.Realm = "", "login.microsoftonline.com", tc.realm
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}}).AnyTimes()
			if !tc.wantHit {
				f.lockRunsCallback()
				f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{AccessToken: "app-at", TokenType: "Bearer", ExpiresIn: time.Hour}, nil)
				f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
			}
			res, err := c.Acquire(testContext(t), usecases.ClientRequest{Scopes: []string{"api://x/.default"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.TokenSource == domain.SourceCache; got != tc.wantHit {
				t.Fatalf("token from %q; cache hit = %v, want %v", res.TokenSource, got, tc.wantHit)
			}
		})
	}
}

// A proof-of-possession or SSH certificate token is not a bearer token: serving it to a
// caller who will send it as "Authorization: Bearer" would fail at the resource.
func TestSilent_Acquire_servesOnlyBearerTokens(t *testing.T) {
	for _, tokenType := range []string{"pop", "ssh-cert"} {
		t.Run(tokenType, func(t *testing.T) {
			f := newFixture(t)
			at := f.accessToken("read", time.Hour)
			at.TokenType = tokenType
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, Accounts: []domain.Account{f.account()}}).AnyTimes()
			f.lockRunsCallback() // no refresh token: the refresh reports ErrNoTokens
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if !errors.Is(err, domain.ErrNoTokens) {
				t.Fatalf("Acquire = (%q from %q, %v); want the %s token skipped (ErrNoTokens)", string(res.AccessToken), res.TokenSource, err, tokenType)
			}
		})
	}
}

// A cached ID token that names another issuer than the authority's is not the account's
// (the authority pins its issuer: DESIGN §5, discovery's issuer must equal it): a
// refresh neither compares its response with that row nor hands the row's claims back.
// The response, checked against the authority's issuer and bound to the account by its
// sub, is stored and returned with its own claims.
func TestSilent_Acquire_refreshIgnoresCachedIDTokenOfAnotherIssuer(t *testing.T) {
	f := newFixture(t)
	old := f.claimsFor(testHome, "")
	old["iss"] = "https://previous-issuer.example/"
	f.find(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
		IDTokens: []domain.IDToken{{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, old)}},
	}).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, testHome), nil) // issuer = the provider's
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if err != nil || res.IDTokenClaims == nil || res.IDTokenClaims.Issuer != f.authority.URL {
		t.Fatalf("Acquire = claims %v, %v; want the response's ID token, from the authority's issuer %q", res.IDTokenClaims, err, f.authority.URL)
	}
}

// Two Silent flows sharing only the store stand for two processes: the second waits on
// the store's refresh lock, reads the cache again under it, and finds the token the
// first just stored instead of redeeming the refresh token again.
func TestSilent_Acquire_readsTheCacheAgainUnderTheRefreshLock(t *testing.T) {
	f := newFixture(t)
	release := f.refreshScene(t)
	lockTaken, secondWaits := make(chan struct{}), make(chan struct{})
	var lockCalls atomic.Int32
	holder := make(chan struct{}, 1) // a one-slot lock, as a store's
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			switch lockCalls.Add(1) {
			case 1:
				close(lockTaken)
			case 2:
				close(secondWaits)
			}
			holder <- struct{}{}
			defer func() { <-holder }()
			return fn(ctx)
		}).Times(2)
	first, second := newSilent(t, f), newSilent(t, f)
	req := usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}
	firstDone := make(chan error, 1)
	go func() { _, err := first.Acquire(testContext(t), req); firstDone <- err }()
	<-lockTaken // the first holds the lock and waits on the provider
	secondDone := make(chan domain.AuthResult, 1)
	go func() {
		res, err := second.Acquire(testContext(t), req)
		if err != nil {
			t.Error(err)
		}
		secondDone <- res
	}()
	<-secondWaits // the second missed the cache and now waits on the lock
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if res := <-secondDone; res.AccessToken != "new-at" {
		t.Fatalf("second flow got %q; want the token the first stored", string(res.AccessToken))
	}
}
