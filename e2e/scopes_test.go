//go:build e2e

package e2e

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// TestSilent_scopeBeyondTheGrant: alice consented to api:read; a silent call for
// api:write makes the provider refuse the refresh with invalid_scope. That is
// interaction required (sign in with the new scope), and the refresh token still serves
// api:read.
func TestSilent_scopeBeyondTheGrant(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	res := signIn(t, pc, "a", alice, apiRead)
	_, err := pc.AcquireTokenSilent(ctx, []string{"api:write"}, res.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, domain.ErrInvalidScope) {
		t.Fatalf("silent for api:write = %v; want interaction required (and invalid_scope)", err)
	}
	x := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	if r, err := x.AcquireTokenSilent(ctx, []string{apiRead}, res.Account); err != nil || r.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("refresh for api:read after the refusal = %v; want the refresh token still good", err)
	}
	// The cure: sign in with the new scope.
	signIn(t, pc, "a", alice, "api:write")
	if _, err := pc.AcquireTokenSilent(ctx, []string{"api:write"}, res.Account); err != nil {
		t.Errorf("silent for api:write after consenting = %v", err)
	}
}

// TestSignIn_withoutPromptConsent_noRefreshToken: OIDC Core §11 lets a provider ignore
// offline_access unless prompt=consent, and node-oidc-provider does. hexauth asks for
// offline_access on every sign-in but, like MSAL, does not force the consent page, so
// here a sign-in without WithPrompt("consent") gets no refresh token: its access token
// serves from the cache, and once expired silent reports interaction required.
func TestSignIn_withoutPromptConsent_noRefreshToken(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice]))
	if err != nil {
		t.Fatal(err)
	}
	if res.RefreshToken != "" {
		t.Fatalf("a refresh token without prompt=consent; the provider's behaviour changed (update docs/e2e.md)")
	}
	if hit, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, res.Account); err != nil || hit.TokenSource != domain.SourceCache {
		t.Errorf("silent = %v; want the cached access token", err)
	}
	x := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	if _, err := x.AcquireTokenSilent(ctx, []string{apiRead}, res.Account); !errors.Is(err, domain.ErrNoTokens) {
		t.Errorf("silent after expiry = %v; want no tokens (interaction required)", err)
	}
}

// TestSignIn_unknownScope_grantedScopesSayWhatCameBack: the provider drops a scope it
// does not know and says so in the token response's scope; the result's Scopes report
// what was granted, not what was asked, so an app can tell that signing in again will
// not bring the scope (silent for it is interaction required, as for any scope beyond
// the grant).
func TestSignIn_unknownScope_grantedScopesSayWhatCameBack(t *testing.T) {
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	res := signIn(t, pc, "a", alice, apiRead, "unknown:x")
	if len(res.Scopes) != 1 || res.Scopes[0] != apiRead {
		t.Fatalf("granted scopes %v; want [%s] (the provider dropped unknown:x)", res.Scopes, apiRead)
	}
	if _, err := pc.AcquireTokenSilent(ctxOf(t), []string{"unknown:x"}, res.Account); !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, domain.ErrInvalidScope) {
		t.Errorf("silent for unknown:x = %v; want interaction required and invalid_scope", err)
	}
}
