package usecases_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

func TestSilent_Acquire_refreshSendsTheCachedRefreshTokenAndStoresAtomically(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
		Accounts:      []domain.Account{f.account()},
		AccessTokens:  []domain.AccessToken{f.accessToken("read other", -time.Hour)},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
		if req.Grant != domain.GrantRefreshToken || req.RefreshToken != "rt-1" {
			t.Errorf("Token(%v) with refresh token %q; want the cached rt-1", req, string(req.RefreshToken))
		}
		if got := strings.Join(req.Scopes, " "); got != "offline_access openid profile read" {
			t.Errorf("requested scopes %q; want the reserved scopes added", got)
		}
		return f.tokenResponse(t, testHome), nil
	})
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		if w.Partition != "p1" || w.AccessToken == nil || w.AccessToken.Secret != "new-at" || w.RefreshToken == nil || w.RefreshToken.Secret != "new-rt" {
			t.Errorf("Write(%+v); want the new access and refresh tokens in partition p1", w)
		}
		if len(w.DeleteAccessTokens) != 1 {
			t.Errorf("Write deletes %d access tokens; want the 1 superseded token whose scopes intersect", len(w.DeleteAccessTokens))
		}
		return nil
	})
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessToken != "new-at" || res.RefreshToken != "" {
		t.Fatalf("got access token %q, refresh token exposed %v; want new-at and no refresh token", string(res.AccessToken), res.RefreshToken != "")
	}
}

func TestSilent_Acquire_noRefreshTokenIsErrNoTokens(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{Accounts: []domain.Account{f.account()}}, nil).AnyTimes()
	f.lockRunsCallback()
	_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrNoTokens) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Acquire error = %v; want ErrNoTokens, which is also ErrInteractionRequired", err)
	}
}

func TestSilent_Acquire_refusedRefreshIsInteractionRequiredAndKeepsTheToken(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	refused := domain.ParseErrorResponse(domain.GrantRefreshToken, 400, []byte(`{"error":"invalid_grant","error_description":"revoked"}`))
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, refused)
	// No Write and no RemoveAccount are expected: the strict mock fails on either.
	_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("Acquire error = %v; want ErrInteractionRequired and ErrInvalidGrant", err)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Description != "revoked" || de.HTTPStatus != 400 {
		t.Fatalf("error %#v lost the provider's description or status", de)
	}
}

func TestSilent_Acquire_refreshOnFailureServesTheCachedToken(t *testing.T) {
	f := newFixture(t)
	at := f.accessToken("read", time.Hour)
	at.RefreshOn = f.clock.Now().Add(-time.Minute)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
		Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503})
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if err != nil {
		t.Fatalf("Acquire error = %v; want the cached token despite the failed proactive refresh", err)
	}
	if res.AccessToken != "cached-at" || res.TokenSource != domain.SourceCache {
		t.Fatalf("got %q from %q; want the cached token", string(res.AccessToken), res.TokenSource)
	}
}

func TestSilent_Acquire_familyTokenFirstThenFallbackOnInvalidGrant(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "own-rt"), f.refreshToken("other-app", "1", "family-rt")},
		Accounts:      []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	var sent []string
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		sent = append(sent, string(r.RefreshToken))
		if r.RefreshToken == "family-rt" {
			return domain.TokenResponse{}, domain.ParseErrorResponse(domain.GrantRefreshToken, 400, []byte(`{"error":"invalid_grant","suberror":"client_mismatch"}`))
		}
		return f.tokenResponse(t, testHome), nil
	}).Times(2)
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	if _, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sent, ",") != "family-rt,own-rt" {
		t.Fatalf("refresh tokens sent in order %v; want the family token first, then the app's own", sent)
	}
}

func TestSilent_Acquire_appKnownOutsideFamilyUsesOnlyItsOwnToken(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "own-rt"), f.refreshToken("other-app", "1", "family-rt")},
		Accounts:      []domain.Account{f.account()},
		AppMetadata:   []domain.AppMetadata{{ClientID: testClient, Environment: f.authority.Host}},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		if r.RefreshToken != "own-rt" {
			t.Errorf("sent %q; want only the app's own refresh token", string(r.RefreshToken))
		}
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant"}
	})
	_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("error = %v; want ErrInteractionRequired", err)
	}
}

func TestSilent_Acquire_refreshNamingAnotherSubjectStoresNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(map[string]any)
		want   domain.ErrorCode
	}{
		{"other subject", func(c map[string]any) { c["sub"] = "mallory" }, domain.ErrInvalidIDToken},
		{"other issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }, domain.ErrInvalidIDToken},
		{"other audience", func(c map[string]any) { c["aud"] = []string{"another-client"} }, domain.ErrInvalidIDToken},
		{"expired", func(c map[string]any) { c["exp"] = t0.Add(-time.Hour).Unix() }, domain.ErrInvalidIDToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cached := idToken(t, f.claimsFor(testHome, ""))
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
				IDTokens: []domain.IDToken{{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: cached}},
			}, nil).AnyTimes()
			f.expectMetadata()
			f.lockRunsCallback()
			claims := f.claimsFor(testHome, "")
			tc.mutate(claims)
			resp := f.tokenResponse(t, testHome)
			resp.IDToken = idToken(t, claims)
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			// No Write expected.
			_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestSilent_Acquire_invalidExpiresInStoresNothing(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	resp := f.tokenResponse(t, testHome)
	resp.ExpiresIn = -time.Second
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
	_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrInvalidResponse) {
		t.Fatalf("error = %v; want ErrInvalidResponse", err)
	}
}

func TestSilent_Acquire_concurrentCallsShareOneRefresh(t *testing.T) {
	f := newFixture(t)
	release := f.refreshScene(t)
	var lock sync.Mutex
	var lockCalls atomic.Int32
	var released atomic.Bool
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			// The store's lock would also keep a second refresh out; in-process single
			// flight must keep the callers from even asking for it while one runs.
			if n := lockCalls.Add(1); n > 1 && !released.Load() {
				t.Errorf("caller %d asked for the refresh lock while the first refresh ran; want it to join that refresh", n)
			}
			lock.Lock() // serialise holders like a real store would
			defer lock.Unlock()
			return fn(ctx)
		}).AnyTimes()
	s := newSilent(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the callers pile up behind the first refresh
	released.Store(true)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
