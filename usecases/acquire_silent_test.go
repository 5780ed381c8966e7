package usecases_test

import (
	"context"
	"errors"
	"fmt"
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
		{"a scope with a line break", []string{"openid", "read\nX: 1"}, domain.Account{HomeAccountID: testHome}},
		{"no scopes, no account", nil, domain.Account{}},
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

// A cache hit hands every caller the claims of one cached parse: a caller that edits
// whatever its result holds — the typed fields, the audience, a claim, all claims —
// changes nothing the next caller gets.
func TestSilent_Acquire_callersCannotChangeEachOthersClaims(t *testing.T) {
	f := newFixture(t)
	claims := f.claimsFor(testHome, "") // about the account: a hit serves no other ID token's claims
	claims["aud"] = []any{testClient, "api"}
	claims["azp"] = testClient
	claims["groups"] = []any{"staff", map[string]any{"id": "g2"}}
	idt := domain.IDToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, claims)}
	f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)}, IDTokens: []domain.IDToken{idt},
		Accounts: []domain.Account{f.account()}}).Times(3)
	f.expectMetadata() // the hit checks the ID token's issuer
	s := newSilent(t, f)
	req := usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}
	// The first call parses the token, the others are served from the claims cache:
	// each must see the token's claims, then edits its own.
	for call := range 3 {
		res, err := s.Acquire(testContext(t), req)
		if err != nil || res.IDTokenClaims == nil {
			t.Fatalf("call %d: Acquire = %v claims, %v; want a hit with claims", call, res.IDTokenClaims, err)
		}
		c := res.IDTokenClaims
		groups, _ := c.Claim("groups")
		if c.Subject != testHome || c.PreferredUsername != testHome+"@example.com" || c.Audience[0] != testClient || c.Audience[1] != "api" ||
			fmt.Sprint(groups) != "[staff map[id:g2]]" || fmt.Sprint(c.RawClaims()["sub"]) != testHome {
			t.Fatalf("call %d: claims after earlier callers edited theirs: sub %q, username %q, aud %q, groups %v, raw sub %v; want the token's",
				call, c.Subject, c.PreferredUsername, c.Audience, groups, c.RawClaims()["sub"])
		}
		c.Subject, c.PreferredUsername, c.Audience[0], c.Audience[1] = "mallory", "mallory@evil.example", "evil", "evil"
		groups.([]any)[0], groups.([]any)[1].(map[string]any)["id"] = "admins", "admins"
		all := c.RawClaims()
		all["sub"] = "mallory"
		all["groups"].([]any)[0] = "admins"
	}
}

// The token type is compared without case (RFC 6750 §4: "Bearer" is case-insensitive,
// and writers of shared caches spell it both ways); any other type is never served as
// a bearer token.
func TestSilent_Acquire_bearerInAnyCase(t *testing.T) {
	for _, tc := range []struct {
		tokenType string
		hit       bool
	}{{"Bearer", true}, {"bearer", true}, {"BEARER", true}, {"pop", false}, {"Bearer2", false}} {
		t.Run(tc.tokenType, func(t *testing.T) {
			f := newFixture(t)
			at := f.accessToken("read", time.Hour)
			at.TokenType = tc.tokenType
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, Accounts: []domain.Account{f.account()}}).AnyTimes()
			if !tc.hit {
				f.lockRunsCallback().AnyTimes() // the miss looks for a refresh token under the lock
			}
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if tc.hit && (err != nil || res.AccessToken != "cached-at") {
				t.Fatalf("token type %q: Acquire = %q, %v; want the cached token", tc.tokenType, string(res.AccessToken), err)
			}
			if !tc.hit && (err == nil || res.AccessToken == "cached-at") {
				t.Fatalf("token type %q: Acquire = %q, %v; want no cached token served (no refresh token: an error)", tc.tokenType, string(res.AccessToken), err)
			}
		})
	}
}
