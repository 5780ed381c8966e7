//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestRefresh_rotation_reuseRevokesTheGrant: an expired access token is refreshed with
// one refresh grant and the provider's rotated refresh token replaces the spent one in
// the cache; a copy of the cache taken before (an old export imported elsewhere) then
// presents the spent token: the provider revokes the whole grant, both copies report
// interaction required, and neither presents a refused token twice.
func TestRefresh_rotation_reuseRevokesTheGrant(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	first := signIn(t, pc, "a", alice, apiRead)
	var before bytes.Buffer
	if err := pc.ExportCache(ctx, &before); err != nil {
		t.Fatal(err)
	}

	resetCounts(t)
	// The same cache through a client whose expiry buffer outlasts every token: the
	// cached access token counts as expired.
	expired := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	res, err := expired.AcquireTokenSilent(ctx, []string{apiRead}, first.Account)
	if err != nil || res.TokenSource != domain.SourceIdentityProvider || res.AccessToken == first.AccessToken {
		t.Fatalf("silent after expiry = %v, %v; want a new access token from the provider", res.TokenSource, err)
	}
	if n := counts(t).ok("a", "refresh_token"); n != 1 {
		t.Errorf("refresh grants = %d; want 1", n)
	}
	if hit, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, first.Account); err != nil || hit.AccessToken != res.AccessToken || hit.TokenSource != domain.SourceCache {
		t.Errorf("silent after the refresh = %v, %v; want the refreshed token from the cache", hit.TokenSource, err)
	}
	var after bytes.Buffer
	if err := pc.ExportCache(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(after.String(), string(first.RefreshToken)) {
		t.Errorf("the cache still holds the spent refresh token after rotation")
	}

	// A second refresh with the rotated token works: the rotation was stored.
	res2, err := expired.AcquireTokenSilent(ctx, []string{apiRead}, first.Account)
	if err != nil || res2.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("second refresh = %v, %v; want the rotated refresh token redeemed", res2.TokenSource, err)
	}

	// The old copy: another cache holding the spent refresh token.
	stale := newPublic(t, "a", "public-pkce", sqliteCache(t), 2*time.Hour)
	if _, err := stale.ImportCache(ctx, &before); err != nil {
		t.Fatal(err)
	}
	resetCounts(t)
	_, err = stale.AcquireTokenSilent(ctx, []string{apiRead}, first.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("silent with a spent refresh token = %v; want interaction required", err)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != "invalid_grant" {
		t.Errorf("error = %#v; want the provider's invalid_grant kept", err)
	}
	if _, err := stale.AcquireTokenSilent(ctx, []string{apiRead}, first.Account); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Errorf("second silent on the stale copy = %v; want interaction required", err)
	}
	// Reuse detection revoked the grant: the live cache's token is refused too.
	_, err = expired.AcquireTokenSilent(ctx, []string{apiRead}, first.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("silent on the live cache after the reuse = %v; want interaction required (grant revoked)", err)
	}
	if c := counts(t); c.error("a", "refresh_token") != 2 || c.ok("a", "refresh_token") != 0 {
		t.Errorf("refresh grants after the reuse: ok %d, refused %d; want 0 and 2 (each refused token presented once)",
			c.ok("a", "refresh_token"), c.error("a", "refresh_token"))
	}
	// A sign-in again is the cure.
	again := signIn(t, pc, "a", alice, apiRead)
	if _, err := expired.AcquireTokenSilent(ctx, []string{apiRead}, again.Account); err != nil {
		t.Errorf("silent after signing in again = %v", err)
	}
}

// TestRefreshToken_redeemedByTheApp: AcquireTokenByRefreshToken with the refresh token a
// sign-in returned; then the spent one presented again is refused as interaction
// required.
func TestRefreshToken_spentTokenRefused(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	first := signIn(t, pc, "a", alice, apiRead)
	res, err := pc.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), []string{apiRead})
	if err != nil || res.RefreshToken == "" || res.RefreshToken == first.RefreshToken {
		t.Fatalf("AcquireTokenByRefreshToken = %v; want a rotated refresh token", err)
	}
	_, err = pc.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), []string{apiRead})
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("spent refresh token = %v; want invalid_grant, interaction required", err)
	}
	if strings.Contains(err.Error(), string(first.RefreshToken)) {
		t.Errorf("the error names the refresh token")
	}
}

// TestSilent_concurrentAfterExpiry_oneRefresh: 20 goroutines of one process ask for the
// expired token at once; the provider sees one refresh grant and every caller gets the
// token it issued.
func TestSilent_concurrentAfterExpiry_oneRefresh(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	// public-short's first access token lives 2 s, inside the 5-minute expiry buffer: it
	// is expired at once; the refreshed one lives an hour, so a caller arriving after the
	// refresh finds it in the cache.
	expired := newPublic(t, "a", "public-short", cache, 0)
	first := signIn(t, expired, "a", alice, apiRead)
	resetCounts(t)
	errs := make(chan error, 20)
	tokens := make(chan string, 20)
	for range 20 {
		go func() {
			r, err := expired.AcquireTokenSilent(ctx, []string{apiRead}, first.Account)
			errs <- err
			tokens <- string(r.AccessToken)
		}()
	}
	seen := map[string]bool{}
	for range 20 {
		if err := <-errs; err != nil {
			t.Errorf("silent = %v", err)
		}
		seen[<-tokens] = true
	}
	if c := counts(t); c.ok("a", "refresh_token") != 1 || c.error("a", "refresh_token") != 0 {
		t.Errorf("refresh grants: %d good, %d refused; want exactly one", c.ok("a", "refresh_token"), c.error("a", "refresh_token"))
	}
	if len(seen) != 1 {
		t.Errorf("%d different tokens returned; want 1", len(seen))
	}
}
