package usecases_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

const (
	tenantA  = "aaaaaaaa-0000-0000-0000-00000000000a" // the account's home tenant
	tenantB  = "bbbbbbbb-0000-0000-0000-00000000000b" // a tenant the account is a guest in
	entraUID = "0000aaaa-0000-4000-8000-000000000001" // the account's object id at home (client_info uid)
	entraID  = entraUID + "." + tenantA
)

// entraFixture is a fixture whose client authority is an Entra authority.
func entraFixture(t *testing.T, authorityURL string) *fixture {
	t.Helper()
	f := newFixture(t)
	a, err := domain.ParseAuthority(authorityURL, domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	f.authority, f.cfg.Authority = a, a
	return f
}

// homeTenantEntries caches, for an Entra account signed in at its home tenant, an
// account record and an unexpired access token, but no refresh token.
func homeTenantEntries(f *fixture) domain.CacheEntries {
	at := f.accessToken("read", time.Hour)
	at.HomeAccountID, at.Environment, at.Realm = entraID, "login.microsoftonline.com", tenantA
	return domain.CacheEntries{
		AccessTokens: []domain.AccessToken{at},
		Accounts:     []domain.Account{{HomeAccountID: entraID, Environment: "login.microsoftonline.com", Realm: tenantA, Username: "alice@a.example"}},
	}
}

func TestSilent_Acquire_tenantAuthorityServesOnlyThatTenantsTokens(t *testing.T) {
	for _, tc := range []struct {
		name      string
		authority string
		account   domain.Account
		wantHit   bool
	}{
		{"home tenant", "https://login.microsoftonline.com/" + tenantA, domain.Account{HomeAccountID: entraID, Realm: tenantA}, true},
		{"common, account realm", "https://login.microsoftonline.com/common", domain.Account{HomeAccountID: entraID, Realm: tenantA}, true},
		{"common, account known by home id only", "https://login.microsoftonline.com/organizations", domain.Account{HomeAccountID: entraID}, true},
		{"another tenant", "https://login.microsoftonline.com/" + tenantB, domain.Account{HomeAccountID: entraID, Realm: tenantA}, false},
		{"another tenant by domain", "https://login.microsoftonline.com/b.example", domain.Account{HomeAccountID: entraID, Realm: tenantA}, false},
		// A new process: nothing learned yet; the tenant's discovery document names its id.
		{"home tenant by domain", "https://login.microsoftonline.com/a.example", domain.Account{HomeAccountID: entraID, Realm: tenantA}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, tc.authority)
			f.find(homeTenantEntries(f)).AnyTimes()
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
				tid := map[string]string{"a.example": tenantA, "b.example": tenantB}[a.Tenant]
				return domain.ProviderMetadata{Authority: a, Issuer: "https://login.microsoftonline.com/" + tid + "/v2.0"}, nil
			}).AnyTimes()
			if !tc.wantHit {
				// No refresh token is cached: a refresh attempt reports ErrNoTokens.
				f.lockRunsCallback()
			}
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: tc.account})
			switch {
			case tc.wantHit && (err != nil || res.TokenSource != domain.SourceCache):
				t.Fatalf("Acquire = (%q, %v); want the home tenant's cached token", res.TokenSource, err)
			case !tc.wantHit && !errors.Is(err, domain.ErrNoTokens):
				t.Fatalf("Acquire = (%q, %v); want a refresh attempt (ErrNoTokens), not tenant %s's token", res.TokenSource, err, tenantA)
			}
		})
	}
}

// An authority naming its tenant by domain gets tokens cached under the tenant id (the
// ID token's tid): after one refresh, the next call is a cache hit.
func TestSilent_Acquire_tenantDomainAuthorityHitsAfterOneRefresh(t *testing.T) {
	f := entraFixture(t, "https://login.microsoftonline.com/b.example")
	f.expectMetadata()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	acct := domain.Account{HomeAccountID: entraID, Environment: "login.microsoftonline.com", Realm: tenantA}
	rt := f.refreshToken(testClient, "", "rt")
	rt.HomeAccountID, rt.Environment = entraID, "login.microsoftonline.com"
	entries := domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{acct}}

	claims := f.claimsFor("sub-b", "")
	claims["tid"], claims["oid"] = tenantB, entraUID
	resp := f.tokenResponse(t, "sub-b")
	resp.IDToken = idToken(t, claims)
	resp.ClientInfo = clientInfo(t, entraUID, tenantA)
	var written domain.CacheWrite
	gomock.InOrder(
		f.find(entries), // the cache read before the refresh
		f.lockRunsCallback(),
		f.find(entries), // read again under the lock
		f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil),
		f.find(entries), // supersession read before the write
		f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
			written = w
			return nil
		}),
	)
	s := newSilent(t, f)
	req := usecases.SilentRequest{Scopes: []string{"read"}, Account: acct}
	if _, err := s.Acquire(testContext(t), req); err != nil {
		t.Fatal(err)
	}
	if written.AccessToken == nil || written.AccessToken.Realm != tenantB {
		t.Fatalf("refreshed token cached under realm %v; want the tenant id %s", written.AccessToken, tenantB)
	}
	f.find(domain.CacheEntries{AccessTokens: []domain.AccessToken{*written.AccessToken}, Accounts: []domain.Account{acct, *written.Account}})
	res, err := s.Acquire(testContext(t), req)
	if err != nil || res.TokenSource != domain.SourceCache {
		t.Fatalf("second Acquire = (%q, %v); want a cache hit on the token cached under the tenant id", res.TokenSource, err)
	}
}

// clientInfo encodes Entra's client_info for a user.
func clientInfo(t *testing.T, uid, utid string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"uid": uid, "utid": utid})
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
