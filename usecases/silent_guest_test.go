package usecases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// A silent refresh in a tenant where the account is a guest (DESIGN §3 "Every ID
// token"): its ID token is compared with that tenant's cached ID token when there is
// one, else bound to the account by client_info's home account id, and it is cached
// under that tenant's realm, leaving the home tenant's entries alone.

const entraEnv = "login.microsoftonline.com"

// entraIssuer is the issuer of tenant's ID tokens.
func entraIssuer(tenant string) string { return "https://" + entraEnv + "/" + tenant + "/v2.0" }

// entraClaims are valid ID-token claims of the account in tenant, where it is known as
// sub and oid.
func (f *fixture) entraClaims(tenant, sub, oid string) map[string]any {
	c := f.claimsFor(sub, "")
	c["iss"], c["tid"], c["oid"] = entraIssuer(tenant), tenant, oid
	return c
}

// guestScene is an Entra account at home in tenantA, signed in there (account, ID
// token, access token, refresh token), plus what extra caches of tenantB.
func (f *fixture) guestScene(t *testing.T, extra func(*domain.CacheEntries)) (domain.Account, domain.CacheEntries) {
	t.Helper()
	acct := domain.Account{HomeAccountID: entraID, Environment: entraEnv, Realm: tenantA, LocalAccountID: entraUID, Username: "alice@a.example", AuthorityType: domain.AuthorityTypeMSSTS}
	at := f.accessToken("read", time.Hour)
	at.HomeAccountID, at.Environment, at.Realm = entraID, entraEnv, tenantA
	rt := f.refreshToken(testClient, "", "rt-1")
	rt.HomeAccountID, rt.Environment = entraID, entraEnv
	e := domain.CacheEntries{
		Accounts: []domain.Account{acct}, AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{rt},
		IDTokens: []domain.IDToken{{HomeAccountID: entraID, Environment: entraEnv, ClientID: testClient, Realm: tenantA,
			Secret: idToken(t, f.entraClaims(tenantA, "sub-alice-a", entraUID))}},
	}
	if extra != nil {
		extra(&e)
	}
	f.find(e).AnyTimes()
	f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
		return domain.ProviderMetadata{Authority: a, Issuer: entraIssuer(strings.ToLower(a.Tenant)), TokenEndpoint: a.URL + "/oauth2/v2.0/token"}, nil
	}).AnyTimes()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.lockRunsCallback()
	return acct, e
}

// guestCached caches, in tenantB, the account's record and ID token (sub-alice-b).
func guestCached(t *testing.T, f *fixture) func(*domain.CacheEntries) {
	return func(e *domain.CacheEntries) {
		e.Accounts = append(e.Accounts, domain.Account{HomeAccountID: entraID, Environment: entraEnv, Realm: tenantB, LocalAccountID: "guest-oid", Username: "alice@a.example"})
		e.IDTokens = append(e.IDTokens, domain.IDToken{HomeAccountID: entraID, Environment: entraEnv, ClientID: testClient, Realm: tenantB,
			Secret: idToken(t, f.entraClaims(tenantB, "sub-alice-b", "guest-oid"))})
	}
}

func TestSilent_Acquire_guestTenantRefresh(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cached     func(*testing.T, *fixture) func(*domain.CacheEntries) // tenantB's entries, if any
		sub        string                                                // the response's sub in tenantB
		clientInfo string                                                // uid.utid of the response's client_info; "" sends none
		tenant     string                                                // the guest tenant as the authority spells it; "" : tenantB
		stored     bool
	}{
		// Nothing cached in tenantB: bound by client_info's home account id. Before
		// per-tenant comparison this was refused as "a different issuer".
		{name: "first refresh in the guest tenant is cached under its realm", sub: "sub-alice-b", clientInfo: entraUID + "." + tenantA, stored: true},
		{name: "client_info naming another home account is refused", sub: "sub-alice-b", clientInfo: "uid-2." + tenantA},
		{name: "client_info naming another home tenant is refused", sub: "sub-alice-b", clientInfo: entraUID + "." + tenantB},
		{name: "no client_info is refused", sub: "sub-alice-b"},
		// tenantB's ID token cached: the response must continue it, not the home one.
		{name: "refresh continuing the guest tenant's ID token is cached", cached: guestCached, sub: "sub-alice-b", clientInfo: entraUID + "." + tenantA, stored: true},
		{name: "refresh naming another sub than the guest tenant's ID token is refused", cached: guestCached, sub: "sub-mallory", clientInfo: entraUID + "." + tenantA},
		{name: "a tenant id spelt in capitals finds its cached ID token", cached: guestCached, sub: "sub-mallory", clientInfo: entraUID + "." + tenantA, tenant: strings.ToUpper(tenantB)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, "https://"+entraEnv+"/organizations")
			var extra func(*domain.CacheEntries)
			if tc.cached != nil {
				extra = tc.cached(t, f)
			}
			acct, home := f.guestScene(t, extra)
			resp := f.tokenResponse(t, tc.sub)
			resp.IDToken = idToken(t, f.entraClaims(tenantB, tc.sub, "guest-oid"))
			if tc.clientInfo != "" {
				uid, utid, _ := strings.Cut(tc.clientInfo, ".")
				resp.ClientInfo = clientInfo(t, uid, utid)
			}
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
			var mu sync.Mutex
			var writes []domain.CacheWrite
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
				mu.Lock()
				defer mu.Unlock()
				writes = append(writes, w)
				return nil
			}).AnyTimes()
			tenant := tenantB
			if tc.tenant != "" {
				tenant = tc.tenant
			}
			guest, err := domain.ParseAuthority("https://"+entraEnv+"/"+tenant, domain.AuthorityEntra)
			if err != nil {
				t.Fatal(err)
			}
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct, Authority: &guest})
			mu.Lock()
			defer mu.Unlock()
			if !tc.stored {
				if !errors.Is(err, domain.ErrInvalidIDToken) || res.AccessToken != "" || len(writes) != 0 {
					t.Fatalf("Acquire in the guest tenant = (%q, %v) after %d writes; want ErrInvalidIDToken and nothing stored", string(res.AccessToken), err, len(writes))
				}
				return
			}
			if err != nil || res.AccessToken != "new-at" || len(writes) != 1 {
				t.Fatalf("Acquire in the guest tenant = (%q, %v) after %d writes; want the new token, stored once", string(res.AccessToken), err, len(writes))
			}
			w := writes[0]
			if w.Account == nil || w.Account.Realm != tenantB || w.Account.HomeAccountID != entraID || w.Account.LocalAccountID != "guest-oid" {
				t.Fatalf("account written = %+v; want %s's record in realm %s (local id guest-oid)", w.Account, entraID, tenantB)
			}
			if w.IDToken == nil || w.IDToken.Realm != tenantB || w.AccessToken == nil || w.AccessToken.Realm != tenantB {
				t.Fatalf("ID token and access token written in realms %v, %v; want both in %s", w.IDToken, w.AccessToken, tenantB)
			}
			if slices.Contains(w.DeleteAccessTokens, home.AccessTokens[0].KeyFields()) {
				t.Fatal("the guest tenant's refresh deleted the home tenant's access token")
			}
			if res.Account.Realm != tenantB {
				t.Fatalf("result account realm = %q; want %s", res.Account.Realm, tenantB)
			}
		})
	}
}

// A refresh response's ID token must continue the cached one of the same tenant (OIDC
// Core §12.2): an added audience, a changed or added azp, or a nonce the cached token
// lacks is refused, and nothing is written.
func TestSilent_Acquire_refreshMustContinueTheCachedIDToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cached func(map[string]any)
		resp   func(map[string]any)
		stored bool
	}{
		{name: "same claims", stored: true},
		{name: "same audiences in another order", stored: true,
			cached: func(c map[string]any) { c["aud"], c["azp"] = []string{testClient, "api"}, testClient },
			resp:   func(c map[string]any) { c["aud"], c["azp"] = []string{"api", testClient}, testClient }},
		{name: "the cached nonce again", stored: true,
			cached: func(c map[string]any) { c["nonce"] = "n-1" }, resp: func(c map[string]any) { c["nonce"] = "n-1" }},
		{name: "an audience added, azp kept",
			cached: func(c map[string]any) { c["azp"] = testClient },
			resp:   func(c map[string]any) { c["aud"], c["azp"] = []string{testClient, "api"}, testClient }},
		{name: "an audience added", resp: func(c map[string]any) { c["aud"], c["azp"] = []string{testClient, "api"}, testClient }},
		{name: "azp added", resp: func(c map[string]any) { c["azp"] = testClient }},
		{name: "azp dropped", cached: func(c map[string]any) { c["azp"] = testClient }},
		{name: "a nonce added", resp: func(c map[string]any) { c["nonce"] = "n-2" }},
		{name: "another nonce", cached: func(c map[string]any) { c["nonce"] = "n-1" }, resp: func(c map[string]any) { c["nonce"] = "n-2" }},
		{name: "another issuer", resp: func(c map[string]any) { c["iss"] = "https://idp.example/other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cached, claims := f.claimsFor(testHome, ""), f.claimsFor(testHome, "")
			for _, edit := range []struct {
				claims map[string]any
				fn     func(map[string]any)
			}{{cached, tc.cached}, {claims, tc.resp}} {
				if edit.fn != nil {
					edit.fn(edit.claims)
				}
			}
			f.find(domain.CacheEntries{
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
				IDTokens: []domain.IDToken{{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Secret: idToken(t, cached)}},
			}).AnyTimes()
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{Authority: f.authority, Issuer: f.authority.URL}, nil).AnyTimes()
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			f.lockRunsCallback()
			resp := f.tokenResponse(t, testHome)
			resp.IDToken = idToken(t, claims)
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
			var writes int
			var mu sync.Mutex
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheWrite) error {
				mu.Lock()
				defer mu.Unlock()
				writes++
				return nil
			}).AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account(), ForceRefresh: true})
			mu.Lock()
			defer mu.Unlock()
			if tc.stored {
				if err != nil || writes != 1 {
					t.Fatalf("Acquire = %v after %d writes; want the refreshed token, stored once", err, writes)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidIDToken) || res.AccessToken != "" || writes != 0 {
				t.Fatalf("Acquire = (%q, %v) after %d writes; want ErrInvalidIDToken and nothing written", string(res.AccessToken), err, writes)
			}
			if strings.Contains(err.Error(), string(resp.IDToken)) || strings.Contains(err.Error(), "n-2") {
				t.Fatalf("error %q quotes the ID token or its nonce", err)
			}
		})
	}
}
