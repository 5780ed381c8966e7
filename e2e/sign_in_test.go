//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestSignIn_withoutScopes_idTokenCachedThenRefreshed: against a real provider, a
// sign-in without API scopes is for the ID token; silent without scopes serves it from
// the cache, and once it is inside the expiry buffer refreshes with the reserved scopes
// alone and gets the ID token the provider issues on a refresh of an openid grant.
func TestSignIn_withoutScopes_idTokenCachedThenRefreshed(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	res := signIn(t, pc, "a", alice)
	if !res.IDTokenOnly() || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != aliceSub || !res.ExpiresOn.Equal(res.IDTokenClaims.Expiry) {
		t.Fatalf("sign-in without scopes = For %q, claims %v; want alice's ID token", res.For, res.IDTokenClaims)
	}
	hit, err := pc.AcquireTokenSilent(ctx, nil, res.Account)
	if err != nil || hit.TokenSource != domain.SourceCache || hit.IDToken != res.IDToken {
		t.Fatalf("silent without scopes = %v, %v; want the cached ID token", hit.TokenSource, err)
	}

	resetCounts(t)
	// The same cache through a client whose expiry buffer outlasts every token.
	expired := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	fresh, err := expired.AcquireTokenSilent(ctx, nil, res.Account)
	// Within the same second the provider's ID token can be byte for byte the first one
	// (same claims, RS256 is deterministic): that it came from the provider is the test.
	if err != nil || fresh.TokenSource != domain.SourceIdentityProvider || !fresh.IDTokenOnly() || fresh.IDToken == "" ||
		fresh.IDTokenClaims.Subject != aliceSub {
		t.Fatalf("silent without scopes past the buffer = %v, %v (For %q, same ID token %t, claims %v); want a new ID token from the provider", fresh.TokenSource, err, fresh.For, fresh.IDToken == res.IDToken, fresh.IDTokenClaims)
	}
	if n := counts(t).ok("a", "refresh_token"); n != 1 {
		t.Errorf("refresh grants = %d; want 1", n)
	}
	if again, err := pc.AcquireTokenSilent(ctx, nil, res.Account); err != nil || again.IDToken != fresh.IDToken {
		t.Errorf("silent after the refresh = %v; want the new ID token from the cache", err)
	}
}

// TestSignIn_maxAge_authTime: with max_age sent, the real provider's ID token carries
// auth_time, which the result exposes.
func TestSignIn_maxAge_authTime(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"), app.WithMaxAge(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice])
	res, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatalf("completion with max_age = %v", err)
	}
	if at := res.IDTokenClaims.AuthTime; at.IsZero() || time.Since(at) > 10*time.Minute {
		t.Fatalf("auth_time = %v; want the sign-in's, within max_age", at)
	}
}
