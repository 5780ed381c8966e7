package usecases_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Regression tests of review3's findings on spent refresh tokens (domain.SpentMember):
// the record a rotation writes is honoured by silent's choice of tokens and written by
// every flow that rotates a cached token.

// TestSilent_Acquire_neverPresentsARefreshTokenRecordedAsSpent (review3): the app's refresh token P
// was kept under an alias host (an MSAL .NET cache imported under login.windows.net);
// a silent refresh through login.microsoftonline.com redeemed it, and the rotation wrote
// N under the authority's host with P recorded as spent (domain.SpentMember). P stays in
// the store (the write replaces only N's key). When N is refused with invalid_grant,
// silent falls back to the alias-host token and presents P — a token the cache itself
// records as rotated away, the reuse that the spent record exists to prevent (RFC 9700
// §4.14.2: presenting it can make a provider revoke the family).
func TestSilent_Acquire_neverPresentsARefreshTokenRecordedAsSpent(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	home := "0000aaaa-0000-4000-8000-00000000000a." + tenant
	f := newFixture(t)
	a, err := domain.ParseAuthority("https://login.microsoftonline.com/"+tenant, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	f.authority = a
	f.cfg.Authority = a
	spent := domain.RefreshToken{HomeAccountID: home, Environment: "login.windows.net", ClientID: testClient,
		Secret: "rt-P-rotated-away", CachedAt: t0.Add(-time.Hour)}
	live := domain.RefreshToken{HomeAccountID: home, Environment: "login.microsoftonline.com", ClientID: testClient,
		Secret: "rt-N-live", CachedAt: t0}
	live.RecordRotation(spent)
	if !live.Supersedes(spent.Secret) {
		t.Fatal("fixture: the live token does not record the alias token as spent")
	}
	acct := domain.Account{HomeAccountID: home, Environment: a.Host, Realm: tenant, AuthorityType: domain.AuthorityTypeMSSTS}
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{spent, live}, Accounts: []domain.Account{acct},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	var sent []string
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		sent = append(sent, string(r.RefreshToken))
		return domain.ParseTokenResponse(domain.GrantRefreshToken, 400, []byte(`{"error":"invalid_grant"}`))
	}).AnyTimes()
	_, err = newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
	if err == nil {
		t.Fatal("Acquire succeeded; want the refusal")
	}
	for _, s := range sent {
		if s == string(spent.Secret) {
			t.Fatalf("refresh tokens presented: %v; the alias-host token the live one records as spent was presented", sent)
		}
	}
}

// TestRefreshTokenRedeemer_rotationRecordsTheCachedTokenAsSpent (review3): the account's cached
// refresh token P is redeemed through AcquireTokenByRefreshToken (hexauth refresh, or an
// app handing back the token an earlier result gave it) and the provider rotates it to N.
// Like a silent refresh (redemption.presented), this flow must record P as spent in
// N (domain.SpentMember), or the guard of commit 604bc51 would not hold here: a later
// import of the document P came from (an undated MSAL Go or Azure CLI cache, imported
// again by a sync job) would replace N with P, and the next silent call present a rotated-away
// token, which a provider with reuse detection (RFC 9700 §4.14.2; Auth0, Okta, Keycloak)
// answers by revoking the whole family.
func TestRefreshTokenRedeemer_rotationRecordsTheCachedTokenAsSpent(t *testing.T) {
	f := newFixture(t)
	presented := f.refreshToken(testClient, "", "rt-P-from-an-imported-cache")
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{presented}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, testHome), nil) // rotates to "new-rt"
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	var written *domain.RefreshToken
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		written = w.RefreshToken
		return nil
	})
	r, err := usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	acct := f.account()
	if _, err := r.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: presented.Secret, Scopes: []string{"read"}, Account: &acct}); err != nil {
		t.Fatal(err)
	}
	if written == nil || written.Secret != "new-rt" {
		t.Fatalf("written refresh token = %v; want the rotated one", written)
	}
	if !written.Supersedes(presented.Secret) {
		t.Fatalf("the rotated refresh token does not record the presented cached token as spent (domain.SpentMember = %v)", written.Spent())
	}
}
