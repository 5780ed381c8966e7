//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

func TestAccounts_listFilterRemove(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	ra := signIn(t, pc, "a", alice, apiRead)
	rb := signIn(t, pc, "a", bob, apiRead)
	list, err := pc.Accounts(ctx)
	if err != nil || len(list) != 2 || list[0].Username != alice || list[1].Username != bob {
		t.Fatalf("Accounts() = %+v, %v; want alice and bob", list, err)
	}
	if l, err := pc.Accounts(ctx, app.WithUsername("ALICE")); err != nil || len(l) != 1 || l[0].HomeAccountID != aliceSub {
		t.Errorf("Accounts(WithUsername(ALICE)) = %+v, %v; want alice (case-insensitive)", l, err)
	}
	if err := pc.RemoveAccount(ctx, rb.Account); err != nil {
		t.Fatal(err)
	}
	if l, _ := pc.Accounts(ctx); len(l) != 1 || l[0].Username != alice {
		t.Errorf("Accounts() after removing bob = %+v; want alice", l)
	}
	if _, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account); !errors.Is(err, domain.ErrNoTokens) {
		t.Errorf("silent for bob after removal = %v; want no tokens", err)
	}
	if _, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, ra.Account); err != nil {
		t.Errorf("silent for alice after removing bob = %v", err)
	}
}

// TestExportImport_silentHit: a cache exported in MSAL's format and imported elsewhere
// serves the access token from the cache, and its refresh token still works.
func TestExportImport_silentHit(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	res := signIn(t, pc, "a", alice, apiRead)
	var doc bytes.Buffer
	if err := pc.ExportCache(ctx, &doc); err != nil {
		t.Fatal(err)
	}
	other := newPublic(t, "a", "public-pkce", "memory:", 0)
	if _, err := other.ImportCache(ctx, &doc); err != nil {
		t.Fatalf("ImportCache() = %v", err)
	}
	accounts, err := other.Accounts(ctx)
	if err != nil || len(accounts) != 1 || accounts[0].HomeAccountID != aliceSub {
		t.Fatalf("Accounts() after import = %+v, %v; want alice", accounts, err)
	}
	hit, err := other.AcquireTokenSilent(ctx, []string{apiRead}, accounts[0])
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent after import = %v, %v; want the exported access token from the cache", hit.TokenSource, err)
	}
	fresh, err := other.AcquireTokenSilent(ctx, []string{apiRead}, accounts[0], app.WithForceRefresh())
	if err != nil || fresh.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("forced refresh after import = %v, %v; want the imported refresh token redeemed", fresh.TokenSource, err)
	}
}

// TestLogs_neverHoldSecrets: a whole session against the real provider with debug logs
// on: no token, code, verifier or password appears in them.
func TestLogs_neverHoldSecrets(t *testing.T) {
	ctx := ctxOf(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cache := sqliteCache(t)
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: "public-pkce", Authority: issuers["a"], Cache: cache, Logger: logger, ExpiryBuffer: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatal(err)
	}
	resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice])
	first, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatal(err)
	}
	second, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, first.Account) // refreshes: the buffer outlasts the token
	if err != nil {
		t.Fatal(err)
	}
	// A refused refresh too: the spent refresh token presented again.
	_, _ = pc.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), []string{apiRead})
	if logs.Len() == 0 {
		t.Fatal("no logs at debug level; the test would prove nothing")
	}
	for name, secret := range map[string]string{
		"code": resp.Get("code"), "verifier": string(flow.CodeVerifier), "password": passwords["a"][alice],
		"access token": string(first.AccessToken), "refresh token": string(first.RefreshToken), "ID token": string(first.IDToken),
		"refreshed access token": string(second.AccessToken),
	} {
		if secret != "" && strings.Contains(logs.String(), secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}
