//go:build e2e

package e2e

import (
	"slices"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestAuthCode_PKCE_silentHit_refreshRotates(t *testing.T) {
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	res := signIn(t, pc, "a", alice, apiRead)
	if res.IDTokenClaims == nil || res.IDTokenClaims.Subject != aliceSub {
		t.Fatalf("ID token claims = %v; want sub %s", res.IDTokenClaims, aliceSub)
	}
	if res.RefreshToken == "" {
		t.Fatalf("no refresh token after a sign-in with offline_access and prompt=consent")
	}
	if !slices.Contains(res.Scopes, apiRead) {
		t.Errorf("scopes = %v; want %s among them", res.Scopes, apiRead)
	}
	t.Logf("account %+v token type %q scopes %v expires %v", res.Account, res.TokenType, res.Scopes, res.ExpiresOn)

	hit, err := pc.AcquireTokenSilent(ctxOf(t), []string{apiRead}, res.Account)
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent = %v, %v; want the cached access token", hit.TokenSource, err)
	}
}
