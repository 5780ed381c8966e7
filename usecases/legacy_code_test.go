package usecases_test

import (
	"errors"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

func newLegacyCode(t *testing.T, f *fixture) *usecases.LegacyCode {
	t.Helper()
	l, err := usecases.NewLegacyCode(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func legacyRequest() usecases.CodeRequest {
	return usecases.CodeRequest{Code: "the-code", RedirectURI: "https://app.example/cb", Scopes: []string{"read"}, Nonce: "nonce-1"}
}

// The nonce the caller sent with its authorization request is checked against the ID
// token: a code redeemed for another sign-in (a replayed or injected one) is refused.
func TestLegacyCode_Acquire_checksTheNonceSent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nonce string // in the ID token
	}{
		{"another nonce", "nonce-2"},
		{"no nonce", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.expectMetadata()
			resp := f.tokenResponse(t, testHome)
			resp.IDToken = idToken(t, f.claimsFor(testHome, tc.nonce))
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			// No store call is expected: the strict mock fails the test on a Find or a Write.
			res, err := newLegacyCode(t, f).Acquire(testContext(t), legacyRequest())
			if !errors.Is(err, domain.ErrNonceMismatch) || res.AccessToken != "" {
				t.Fatalf("Acquire = (token returned %v, %v); want ErrNonceMismatch (sent nonce-1)", res.AccessToken != "", err)
			}
		})
	}
}

// A redeemed code's tokens are cached like any other flow's: a later silent call for the
// account the result names is served from the cache, without asking the provider.
func TestLegacyCode_Acquire_resultIsFoundByALaterSilentCall(t *testing.T) {
	f := newFixture(t)
	f.expectMetadata()
	f.storeKeepingWrites(1)
	f.lockRunsCallback().AnyTimes() // a silent miss goes on to a refresh
	resp := f.tokenResponse(t, testHome)
	resp.IDToken = idToken(t, f.claimsFor(testHome, "nonce-1"))
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil).Times(1) // the silent call must not ask again
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	redeemed, err := newLegacyCode(t, f).Acquire(testContext(t), legacyRequest())
	if err != nil {
		t.Fatal(err)
	}
	if redeemed.Account.HomeAccountID != testHome || redeemed.RefreshToken != "new-rt" {
		t.Fatalf("redeemed account %q, refresh token returned %v; want %s and the issued refresh token", redeemed.Account.HomeAccountID, redeemed.RefreshToken != "", testHome)
	}
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: redeemed.Account})
	if err != nil || res.TokenSource != domain.SourceCache || res.AccessToken != "new-at" {
		t.Fatalf("silent Acquire = (%q from %q, %v); want the redeemed new-at from the cache", string(res.AccessToken), res.TokenSource, err)
	}
}
