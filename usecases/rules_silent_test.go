package usecases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Which cached access token a silent call serves (DESIGN §3 "Silent acquisition" step 2).

// A cached token is served only when its scopes cover every requested scope: a token
// sharing some of them would be refused by the resource for the others.
func TestSilent_Acquire_cachedTokenMustCoverEveryRequestedScope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cached string
		want   []string
	}{
		{"one scope more", "read", []string{"read", "write"}},
		{"overlapping sets", "read write", []string{"write", "admin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.find(domain.CacheEntries{
				AccessTokens:  []domain.AccessToken{f.accessToken(tc.cached, time.Hour)},
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
				Accounts:      []domain.Account{f.account()},
			}).AnyTimes()
			f.expectMetadata()
			f.lockRunsCallback()
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
				for _, s := range tc.want {
					if !slices.Contains(r.Scopes, s) {
						t.Errorf("refresh asked for %v; want every requested scope (%v)", r.Scopes, tc.want)
					}
				}
				resp := f.tokenResponse(t, testHome)
				resp.Scope = tc.want
				return resp, nil
			})
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: tc.want, Account: f.account()})
			if err != nil {
				t.Fatal(err)
			}
			if res.TokenSource != domain.SourceIdentityProvider || res.AccessToken != "new-at" {
				t.Fatalf("got %q from %q; want a refreshed token: the cached one (%q) lacks a requested scope", string(res.AccessToken), res.TokenSource, tc.cached)
			}
		})
	}
}

// The store's Find returns every client's tokens for the account; a token another app
// obtained (another audience, other consented scopes) is never served to this one.
func TestSilent_Acquire_neverServesAnotherClientsCachedToken(t *testing.T) {
	f := newFixture(t)
	theirs := f.accessToken("read", time.Hour)
	theirs.ClientID, theirs.Secret = "other-app", "other-apps-at"
	f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{theirs}, Accounts: []domain.Account{f.account()}}).AnyTimes()
	f.lockRunsCallback() // no refresh token of this client: the refresh reports ErrNoTokens
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrNoTokens) || res.AccessToken != "" {
		t.Fatalf("Acquire = (%q from %q, %v); want ErrNoTokens and not other-app's token", string(res.AccessToken), res.TokenSource, err)
	}
}

// Entra hosts are aliases of one cloud: a token cached under login.windows.net (by MSAL
// or the Azure CLI, say) is a hit for an authority on login.microsoftonline.com. The
// store only returns the environments it is asked for, as a real store does.
func TestSilent_Acquire_findsTokensCachedUnderAnEntraAlias(t *testing.T) {
	for _, env := range []string{"login.windows.net", "login.microsoft.com", "sts.windows.net"} {
		t.Run(env, func(t *testing.T) {
			f := entraFixture(t, "https://login.microsoftonline.com/"+tenantA)
			at := f.accessToken("read", time.Hour)
			at.HomeAccountID, at.Environment, at.Realm, at.Secret = entraID, env, tenantA, "alias-at"
			acct := domain.Account{HomeAccountID: entraID, Environment: env, Realm: tenantA, Username: "alice@a.example"}
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
				if !slices.ContainsFunc(q.Environments, func(e string) bool { return strings.EqualFold(e, env) }) {
					return domain.CacheEntries{}, nil
				}
				return domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, Accounts: []domain.Account{acct}}, nil
			}).AnyTimes()
			// A miss goes on to a refresh, which finds no refresh token (ErrNoTokens).
			f.lockRunsCallback().AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: domain.Account{HomeAccountID: entraID, Realm: tenantA}})
			if err != nil || res.AccessToken != "alias-at" || res.TokenSource != domain.SourceCache {
				t.Fatalf("Acquire = (%q from %q, %v); want the token cached under %s", string(res.AccessToken), res.TokenSource, err, env)
			}
		})
	}
}

// Of several usable tokens that cover the request, the one that expires last is served,
// whatever order the store returns them in.
func TestSilent_Acquire_servesTheTokenExpiringLast(t *testing.T) {
	for _, tc := range []struct {
		name        string
		longerFirst bool
	}{
		{"shorter first", false},
		{"longer first", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			short := f.accessToken("read write", 20*time.Minute)
			short.Secret = "short-at"
			long := f.accessToken("read", 50*time.Minute)
			long.Secret = "long-at"
			ats := []domain.AccessToken{short, long}
			if tc.longerFirst {
				ats = []domain.AccessToken{long, short}
			}
			f.find(domain.CacheEntries{AccessTokens: ats, Accounts: []domain.Account{f.account()}})
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if err != nil {
				t.Fatal(err)
			}
			if res.AccessToken != "long-at" || !res.ExpiresOn.Equal(long.ExpiresOn) {
				t.Fatalf("served %q expiring %s; want long-at expiring %s", string(res.AccessToken), res.ExpiresOn, long.ExpiresOn)
			}
		})
	}
}
