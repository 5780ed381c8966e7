package usecases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// What a silent call may hand out of a cached ID token row (DESIGN §3 "What the cache
// may serve"): every path — the access-token hit, the sign-in hit and the refresh that
// continues the cached identity — applies one rule to the row, because a hit never
// verifies the signature and a row may be tampered with or mis-filed.

// foreignIDToken is a row filed under the fixture's account (sub-alice) that holds
// another person's ID token (sub-mallory), issued by the right provider to this client.
func foreignIDToken(t *testing.T, f *fixture) domain.IDToken {
	return domain.IDToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient,
		Secret: idToken(t, f.claimsFor("sub-mallory", ""))}
}

// notTheAccounts are rows filed under the fixture's account, for this client, whose
// token is not the one this client was issued for the account.
var notTheAccounts = []struct {
	name string
	edit func(c map[string]any)
}{
	{"about another person", func(c map[string]any) { c["sub"] = "sub-mallory" }},
	{"issued to another client", func(c map[string]any) { c["aud"] = "client-2" }},
	{"for another party among several audiences", func(c map[string]any) { c["aud"], c["azp"] = []string{testClient, "client-2"}, "client-2" }},
	{"from another issuer", func(c map[string]any) { c["iss"] = "https://other-idp.example/" }},
}

func TestSilent_Acquire_cachedIDTokenNotTheAccountsIsNeitherClaimsNorSignIn(t *testing.T) {
	for _, tc := range notTheAccounts {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			claims := f.claimsFor(testHome, "")
			tc.edit(claims)
			f.find(domain.CacheEntries{
				AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)},
				IDTokens:     []domain.IDToken{{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, claims)}},
				Accounts:     []domain.Account{f.account()},
			}).AnyTimes()
			f.expectMetadata()
			f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
				func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
					return fn(ctx)
				}).AnyTimes()
			silent := newSilent(t, f)
			res, err := silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if err != nil || res.AccessToken == "" || res.IDTokenClaims != nil || res.IDToken != "" {
				t.Errorf("access-token hit = %q, claims %v, %v; want the access token without the row's claims", string(res.AccessToken), res.IDTokenClaims, err)
			}
			res, err = silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"openid"}, Account: f.account()})
			if !errors.Is(err, domain.ErrNoTokens) || res.IDToken != "" {
				t.Errorf("sign-in = %d bytes of ID token, %v; want ErrNoTokens (a miss, and no refresh token)", len(res.IDToken), err)
			}
		})
	}
}

func TestSilent_Acquire_cachedIDTokenOfAnotherPersonIsNotTheAccountsClaims(t *testing.T) {
	t.Run("cache hit serves the access token without the row's claims", func(t *testing.T) {
		f := newFixture(t)
		f.find(domain.CacheEntries{
			AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)},
			IDTokens:     []domain.IDToken{foreignIDToken(t, f)},
			Accounts:     []domain.Account{f.account()},
		}).AnyTimes()
		f.expectMetadata()
		res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
		if err != nil || res.TokenSource != domain.SourceCache || res.AccessToken == "" {
			t.Fatalf("Acquire = %q from %q, %v; want the cached access token", string(res.AccessToken), res.TokenSource, err)
		}
		if res.IDTokenClaims != nil || res.IDToken != "" {
			t.Fatalf("Acquire for %q returned ID token claims %v (%d bytes of ID token); want none: the cached row is about another person",
				testHome, res.IDTokenClaims, len(res.IDToken))
		}
	})

	t.Run("cache hit serves the account's own ID token beside a foreign row", func(t *testing.T) {
		f := newFixture(t)
		own := domain.IDToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, f.claimsFor(testHome, ""))}
		f.find(domain.CacheEntries{
			AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)},
			IDTokens:     []domain.IDToken{foreignIDToken(t, f), own},
			Accounts:     []domain.Account{f.account()},
		}).AnyTimes()
		f.expectMetadata()
		res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
		if err != nil || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != testHome || res.IDToken != own.Secret {
			t.Fatalf("Acquire = claims %v, %v; want the account's own cached ID token (sub %q)", res.IDTokenClaims, err, testHome)
		}
	})

	refresh := func(t *testing.T, resp func(f *fixture) domain.TokenResponse) (domain.AuthResult, error, int) {
		f := newFixture(t)
		f.find(domain.CacheEntries{
			RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
			IDTokens:      []domain.IDToken{foreignIDToken(t, f)},
			Accounts:      []domain.Account{f.account()},
		}).AnyTimes()
		f.expectMetadata()
		f.lockRunsCallback()
		f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp(f), nil)
		f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
		writes := 0
		f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheWrite) error {
			writes++
			return nil
		}).AnyTimes()
		res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
		return res, err, writes
	}

	t.Run("refresh answered without an ID token returns no claims", func(t *testing.T) {
		// Google, Okta and many others answer a refresh without an ID token.
		res, err, writes := refresh(t, func(*fixture) domain.TokenResponse {
			return domain.TokenResponse{AccessToken: "new-at", TokenType: "Bearer", ExpiresIn: time.Hour, Scope: []string{"read"}}
		})
		if err != nil || res.AccessToken != "new-at" || writes != 1 {
			t.Fatalf("Acquire = %q, %v after %d writes; want the refreshed token, stored", string(res.AccessToken), err, writes)
		}
		if res.IDTokenClaims != nil || res.IDToken != "" {
			t.Fatalf("refresh for %q returned the cached row's claims %v; want none: the row is about another person", testHome, res.IDTokenClaims)
		}
	})

	t.Run("refresh with the account's ID token is not compared with the foreign row", func(t *testing.T) {
		res, err, writes := refresh(t, func(f *fixture) domain.TokenResponse { return f.tokenResponse(t, testHome) })
		if err != nil || writes != 1 || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != testHome {
			t.Fatalf("Acquire = claims %v, %v after %d writes; want the response's ID token for %q, stored (a foreign row must not refuse the account's refresh)",
				res.IDTokenClaims, err, writes, testHome)
		}
	})
}

func TestSilent_Acquire_cachedIDTokenWithAbsurdLifetimeIsNotServed(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		name   string
		edit   func(c map[string]any)
		served bool
	}{
		{"plausible", func(map[string]any) {}, true},
		{"exp fifty years after iat", func(c map[string]any) { c["exp"] = now.Add(50 * 365 * 24 * time.Hour).Unix() }, false},
		{"no iat, exp fifty years away", func(c map[string]any) {
			delete(c, "iat")
			c["exp"] = now.Add(50 * 365 * 24 * time.Hour).Unix()
		}, false},
		{"iat in the future", func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }, false},
		{"iat long ago, exp a year away", func(c map[string]any) {
			c["iat"] = now.Add(-2 * 365 * 24 * time.Hour).Unix()
			c["exp"] = now.Add(364 * 24 * time.Hour).Unix()
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			claims := f.claimsFor(testHome, "")
			tc.edit(claims)
			row := domain.IDToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, claims)}
			f.find(domain.CacheEntries{
				AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)},
				IDTokens:     []domain.IDToken{row}, Accounts: []domain.Account{f.account()},
			}).AnyTimes()
			f.expectMetadata()
			// An implausible row is a miss: the refresh that follows finds no refresh token.
			f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
				func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
					return fn(ctx)
				}).AnyTimes()
			silent := newSilent(t, f)

			signIn, err := silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"openid"}, Account: f.account()})
			switch {
			case tc.served && (err != nil || signIn.IDToken != row.Secret):
				t.Fatalf("sign-in = %d bytes of ID token, %v; want the cached ID token", len(signIn.IDToken), err)
			case !tc.served && (!errors.Is(err, domain.ErrNoTokens) || signIn.IDToken != ""):
				t.Fatalf("sign-in = ID token valid until %s, %v; want ErrNoTokens: the row's lifetime is not one a provider issues (cap %s)",
					signIn.ExpiresOn.Format(time.RFC3339), err, domain.MaxTokenLifetime)
			}

			hit, err := silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if err != nil || hit.AccessToken == "" || (hit.IDTokenClaims != nil) != tc.served {
				t.Fatalf("access-token hit = %q, claims %v, %v; want the access token, with the ID token's claims only when the row is plausible (%v)",
					string(hit.AccessToken), hit.IDTokenClaims, err, tc.served)
			}
		})
	}
}

// A process that cannot reach the provider's discovery document (an outage, a restart
// during one) still serves an OIDC issuer's cached ID token: the authority URL is the
// issuer, so the issuer check needs no document. It is still a check: a cached ID token
// from another issuer is not served.
func TestSilent_Acquire_cachedIDTokenOfAnOIDCIssuerIsServedWithoutDiscovery(t *testing.T) {
	for _, tt := range []struct {
		name, iss string
		served    bool
	}{
		{"the authority's issuer", "", true},
		{"another issuer", "https://other.example", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			claims := f.claimsFor(testHome, "")
			if tt.iss != "" {
				claims["iss"] = tt.iss
			}
			idt := domain.IDToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, claims)}
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)}, IDTokens: []domain.IDToken{idt},
				Accounts: []domain.Account{f.account()}}).AnyTimes()
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{},
				&domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}).AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if err != nil || res.AccessToken != "cached-at" {
				t.Fatalf("Acquire = %q, %v; want the cached access token", string(res.AccessToken), err)
			}
			if served := res.IDTokenClaims != nil; served != tt.served {
				t.Fatalf("claims served = %v with discovery down and iss %q; want %v", served, claims["iss"], tt.served)
			}
		})
	}
}

// Without its discovery document, an Entra authority of the public cloud still knows
// its issuer (https://login.microsoftonline.com/{tenant id}/v2.0, Entra's template for
// the multi-tenant aliases), so a process that cannot reach Entra still serves the
// cached ID token it would serve with the document — and no other. Where the issuer
// is known only from the document (a tenant named by domain, a national cloud) no
// cached ID token is served; the access token always is.
func TestSilent_Acquire_cachedIDTokenOfEntraWithoutDiscovery(t *testing.T) {
	const (
		public = "https://login.microsoftonline.com/"
		issA   = public + tenantA + "/v2.0"
	)
	for _, tc := range []struct {
		name, authority, iss string
		served               bool
	}{
		{"tenant id", public + tenantA, issA, true},
		{"tenant id in upper case", public + strings.ToUpper(tenantA), issA, true},
		{"tenant id through an alias host", "https://login.windows.net/" + tenantA, issA, true},
		{"organizations", public + "organizations", issA, true},
		{"common", public + "common", issA, true},
		{"iss on an alias host", public + tenantA, "https://login.windows.net/" + tenantA + "/v2.0", false},
		{"iss of another tenant", public + tenantA, public + tenantB + "/v2.0", false},
		{"organizations, iss of another tenant than tid", public + "organizations", public + tenantB + "/v2.0", false},
		// Entra's consumers document names the personal-account tenant's issuer, not the
		// template (httpidp's consumerTenantID): a work tenant's ID token is not served
		// through it with the document, nor without (review 7).
		{"consumers, iss of a work tenant", public + "consumers", issA, false},
		{"iss without v2.0", public + tenantA, public + tenantA, false},
		{"tenant named by domain", public + "contoso.onmicrosoft.com", issA, false},
		{"tenant named by domain, iss naming the domain", public + "contoso.onmicrosoft.com", public + "contoso.onmicrosoft.com/v2.0", false},
		{"national cloud", "https://login.microsoftonline.us/" + tenantA, "https://login.microsoftonline.us/" + tenantA + "/v2.0", false},
		{"national cloud, iss of the public cloud", "https://login.microsoftonline.us/" + tenantA, issA, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, tc.authority)
			a := f.authority
			realm := a.Realm()
			if realm == "" {
				realm = tenantA // an alias authority reads the account's tenant
			}
			claims := f.claimsFor(entraUID, "")
			claims["iss"], claims["tid"], claims["oid"] = tc.iss, tenantA, entraUID
			idt := domain.IDToken{HomeAccountID: entraID, Environment: a.Host, ClientID: testClient, Realm: realm, Secret: idToken(t, claims)}
			at := f.accessToken("read", time.Hour)
			at.HomeAccountID, at.Environment, at.Realm = entraID, a.Host, realm
			acct := domain.Account{HomeAccountID: entraID, Environment: a.Host, Realm: realm, LocalAccountID: entraUID,
				Username: "alice@a.example", AuthorityType: domain.AuthorityTypeMSSTS}
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, IDTokens: []domain.IDToken{idt}, Accounts: []domain.Account{acct}}).AnyTimes()
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{},
				&domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}).AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
			if err != nil || res.AccessToken != "cached-at" {
				t.Fatalf("Acquire = %q, %v; want the cached access token", string(res.AccessToken), err)
			}
			if served := res.IDTokenClaims != nil; served != tc.served {
				t.Fatalf("claims served = %v with discovery down, authority %s and iss %s; want %v", served, tc.authority, tc.iss, tc.served)
			}
		})
	}
}

// The issuer known without the document stands in for it only during an outage
// (ErrUnavailable, ErrThrottled). A provider that answers that the authority has no
// document (Entra's 400 for a deleted tenant, a 404) or a document it refuses, or an
// authority the adapter refuses (outside AllowedHosts), serves no cached ID token, as
// before the Entra fallback; the access token still is. Review 7.
func TestSilent_Acquire_cachedIDTokenWithoutDiscoveryOnlyDuringAnOutage(t *testing.T) {
	const public = "https://login.microsoftonline.com/"
	for _, tc := range []struct {
		name   string
		err    *domain.Error
		served bool
	}{
		{"unavailable", &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}, true},
		{"throttled", &domain.Error{Class: domain.ErrThrottled, HTTPStatus: 429}, true},
		{"tenant not found", &domain.Error{Class: domain.ErrDiscovery, HTTPStatus: 400}, false},
		{"authority refused", &domain.Error{Class: domain.ErrInvalidInput}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, public+tenantA)
			a := f.authority
			realm := a.Realm()
			claims := f.claimsFor(entraUID, "")
			claims["iss"], claims["tid"], claims["oid"] = public+tenantA+"/v2.0", tenantA, entraUID
			idt := domain.IDToken{HomeAccountID: entraID, Environment: a.Host, ClientID: testClient, Realm: realm, Secret: idToken(t, claims)}
			at := f.accessToken("read", time.Hour)
			at.HomeAccountID, at.Environment, at.Realm = entraID, a.Host, realm
			acct := domain.Account{HomeAccountID: entraID, Environment: a.Host, Realm: realm, LocalAccountID: entraUID,
				Username: "alice@a.example", AuthorityType: domain.AuthorityTypeMSSTS}
			f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, IDTokens: []domain.IDToken{idt}, Accounts: []domain.Account{acct}}).AnyTimes()
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{}, tc.err).AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
			if err != nil || res.AccessToken != "cached-at" {
				t.Fatalf("Acquire = %q, %v; want the cached access token", string(res.AccessToken), err)
			}
			if served := res.IDTokenClaims != nil; served != tc.served {
				t.Fatalf("claims served = %v with Metadata failing %v; want %v", served, tc.err.Class, tc.served)
			}
		})
	}
}
