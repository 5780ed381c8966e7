package usecases_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

func newSilent(t *testing.T, f *fixture) *usecases.Silent {
	t.Helper()
	s, err := usecases.NewSilent(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) find(entries domain.CacheEntries) *gomock.Call {
	return f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(entries, nil)
}

func TestSilent_Acquire_badInputTouchesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scopes  []string
		account domain.Account
	}{
		{"no scopes", nil, domain.Account{HomeAccountID: testHome}},
		{"reserved scopes only", []string{"openid", "profile", "offline_access"}, domain.Account{HomeAccountID: testHome}},
		{"blank scopes", []string{" ", ""}, domain.Account{HomeAccountID: testHome}},
		{"no account", []string{"read"}, domain.Account{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t) // strict mocks: any port call fails the test
			_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: tc.scopes, Account: tc.account})
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("Acquire error = %v; want ErrInvalidInput", err)
			}
		})
	}
}

func TestSilent_Acquire_cacheHitMakesNoProviderCall(t *testing.T) {
	f := newFixture(t)
	at := f.accessToken("read write", time.Hour)
	f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, Accounts: []domain.Account{f.account()}})
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read", "openid"}, Account: f.account()})
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessToken != "cached-at" || res.TokenSource != domain.SourceCache {
		t.Fatalf("got token %q from %q; want the cached token from cache", string(res.AccessToken), res.TokenSource)
	}
	if res.RefreshToken != "" {
		t.Fatalf("silent result exposes a refresh token")
	}
}

func TestSilent_Acquire_refreshesInsideExpiryBuffer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		refresh  bool
	}{
		{"an hour left", time.Hour, false},
		{"5m01s left", 5*time.Minute + time.Second, false},
		{"exactly 5m left", 5 * time.Minute, true},
		{"4 minutes left", 4 * time.Minute, true},
		{"expired", -time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			entries := domain.CacheEntries{
				AccessTokens:  []domain.AccessToken{f.accessToken("read", tc.lifetime)},
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
				Accounts:      []domain.Account{f.account()},
			}
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(entries, nil).AnyTimes()
			if tc.refresh {
				f.expectMetadata()
				f.lockRunsCallback()
				f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, testHome), nil)
				f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
				f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
			}
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if err != nil {
				t.Fatal(err)
			}
			want := domain.SourceCache
			if tc.refresh {
				want = domain.SourceIdentityProvider
			}
			if res.TokenSource != want {
				t.Fatalf("TokenSource = %q; want %q", res.TokenSource, want)
			}
		})
	}
}

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

func TestSilent_Acquire_forceRefreshAndClaimsSkipTheCache(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  func(*usecases.SilentRequest)
	}{
		{"force refresh", func(r *usecases.SilentRequest) { r.ForceRefresh = true }},
		{"claims", func(r *usecases.SilentRequest) { r.Claims = `{"access_token":{"acrs":{"essential":true}}}` }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
				AccessTokens:  []domain.AccessToken{f.accessToken("read", time.Hour)},
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
			}, nil).AnyTimes()
			f.expectMetadata()
			f.lockRunsCallback()
			req := usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}
			tc.req(&req)
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
				if r.Claims != req.Claims {
					t.Errorf("Token sent claims %q; want %q", r.Claims, req.Claims)
				}
				return f.tokenResponse(t, testHome), nil
			})
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
			res, err := newSilent(t, f).Acquire(testContext(t), req)
			if err != nil || res.TokenSource != domain.SourceIdentityProvider {
				t.Fatalf("Acquire = %q, %v; want a token from the identity provider", res.TokenSource, err)
			}
		})
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
	var mu, lock sync.Mutex
	var stored *domain.AccessToken
	rt := f.refreshToken(testClient, "", "rt-1")
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheQuery) (domain.CacheEntries, error) {
		mu.Lock()
		defer mu.Unlock()
		e := domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{f.account()}}
		if stored != nil {
			e.AccessTokens = []domain.AccessToken{*stored}
		}
		return e, nil
	}).AnyTimes()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			lock.Lock() // serialise holders like a real store would
			defer lock.Unlock()
			return fn(ctx)
		}).AnyTimes()
	f.expectMetadata()
	release := make(chan struct{})
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
		<-release
		return f.tokenResponse(t, testHome), nil
	}).Times(1)
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		mu.Lock()
		defer mu.Unlock()
		stored = w.AccessToken
		return nil
	})
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
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSilent_Acquire_expiryBufferIsConfigurable(t *testing.T) {
	f := newFixture(t)
	f.cfg.ExpiryBuffer = 30 * time.Minute
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		AccessTokens:  []domain.AccessToken{f.accessToken("read", 20*time.Minute)},
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, testHome), nil)
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("Acquire = %q, %v; want a refresh: 20 minutes left is inside a 30-minute buffer", res.TokenSource, err)
	}
}

func TestSilent_Acquire_entraScopesMatchIgnoringCase(t *testing.T) {
	for _, tc := range []struct {
		authority string
		hit       bool
	}{
		{"https://login.microsoftonline.com/common", true},
		{"https://idp.example/", false},
	} {
		t.Run(tc.authority, func(t *testing.T) {
			f := newFixture(t)
			a, err := domain.ParseAuthority(tc.authority, domain.AuthorityAuto)
			if err != nil {
				t.Fatal(err)
			}
			f.authority, f.cfg.Authority = a, a
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
				AccessTokens: []domain.AccessToken{f.accessToken("User.Read", time.Hour)}, Accounts: []domain.Account{f.account()},
			}, nil).AnyTimes()
			if !tc.hit {
				f.lockRunsCallback()
			}
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"user.read"}, Account: f.account()})
			if tc.hit && (err != nil || res.TokenSource != domain.SourceCache) {
				t.Fatalf("Acquire = %q, %v; want a cache hit: Entra scopes compare case-insensitively", res.TokenSource, err)
			}
			if !tc.hit && !errors.Is(err, domain.ErrNoTokens) {
				t.Fatalf("Acquire error = %v; want a miss (ErrNoTokens): OIDC scopes are case-sensitive", err)
			}
		})
	}
}
