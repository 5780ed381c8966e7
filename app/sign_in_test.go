package app_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// signInClient returns a public client of a fake provider configured by edit.
func signInClient(t *testing.T, edit func(*memory.ProviderConfig)) (*app.PublicClient, *memory.IdentityProvider, *memory.Clock) {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	cfg := memory.ProviderConfig{Clock: clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []memory.Client{{ID: clientID}}, Scopes: []string{"api://orders/read"}}
	if edit != nil {
		edit(&cfg)
	}
	idp, err := memory.NewIdentityProvider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := app.NewPublicClient(testContext(t), app.Config{ClientID: clientID, Authority: authority, IdentityProvider: idp, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc, idp, clock
}

// A sign-in without API scopes (none, or only the reserved ones) is allowed: the result
// is for the ID token, with its claims and the account, expiring with the ID token; it
// refuses to be sent as a bearer token.
func TestSignIn_idTokenOnly(t *testing.T) {
	ctx := testContext(t)
	for _, scopes := range [][]string{nil, {"openid"}, {"OpenID", "profile", "offline_access"}} {
		// refresh_in on the access token: an ID-token-only result plans no refresh of it.
		pc, _, _ := signInClient(t, func(c *memory.ProviderConfig) { c.RefreshIn = 10 * time.Minute })
		res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", scopes)
		if err != nil {
			t.Fatalf("sign-in with scopes %q: %v", scopes, err)
		}
		if !res.IDTokenOnly() || res.IDToken == "" || res.IDTokenClaims == nil || res.Account.Username != "alice@example.com" {
			t.Fatalf("result %v (for %q); want an ID-token-only result with claims and the account", res, res.For)
		}
		if !res.ExpiresOn.Equal(res.IDTokenClaims.Expiry) || !res.RefreshOn.IsZero() {
			t.Fatalf("ExpiresOn %v, RefreshOn %v; want the ID token's exp %v and no refresh_on", res.ExpiresOn, res.RefreshOn, res.IDTokenClaims.Expiry)
		}
		if _, err := res.BearerToken(); !errors.Is(err, domain.ErrInvalidInput) {
			t.Fatalf("BearerToken of an ID-token-only result = %v; want ErrInvalidInput", err)
		}
	}
}

// A result for scopes is for the access token, which BearerToken hands out.
func TestSignIn_scopedResultIsForTheAccessToken(t *testing.T) {
	ctx := testContext(t)
	pc, _, _ := signInClient(t, nil)
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := res.BearerToken(); res.IDTokenOnly() || err != nil || tok != res.AccessToken {
		t.Fatalf("scoped result: For %q, BearerToken %v; want the access token", res.For, err)
	}
}

// Silent with no scopes returns the cached ID token while it is valid beyond the
// expiry buffer, then refreshes with the reserved scopes and returns the new one.
func TestSilent_idTokenOnly(t *testing.T) {
	ctx := testContext(t)
	pc, idp, clock := signInClient(t, nil)
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Minute)
	hit, err := pc.AcquireTokenSilent(ctx, nil, first.Account)
	if err != nil {
		t.Fatal(err)
	}
	if hit.TokenSource != domain.SourceCache || hit.IDToken != first.IDToken || !hit.IDTokenOnly() || hit.IDTokenClaims == nil || hit.Account.Username != "alice@example.com" {
		t.Fatalf("silent sign-in = %v; want the cached ID token", hit)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 0 {
		t.Fatalf("refresh grants = %d; want 0 on a hit", n)
	}
	clock.Advance(26 * time.Minute) // 4 minutes before exp: inside the 5-minute buffer
	fresh, err := pc.AcquireTokenSilent(ctx, []string{"openid"}, first.Account)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.TokenSource != domain.SourceIdentityProvider || fresh.IDToken == first.IDToken || !fresh.IDTokenOnly() ||
		!fresh.IDTokenClaims.Expiry.After(clock.Now().Add(5*time.Minute)) {
		t.Fatalf("silent sign-in near exp = %v; want a new ID token from the provider", fresh)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
	again, _ := pc.AcquireTokenSilent(ctx, nil, first.Account)
	if again.IDToken != fresh.IDToken || again.TokenSource != domain.SourceCache {
		t.Fatalf("after the refresh: %v; want the new ID token from the cache", again)
	}
}

// A provider that answers the refresh without an ID token (Google, some Okta set-ups)
// makes an ID-token-only silent call interaction required, saying why: never the old,
// expiring ID token.
func TestSilent_idTokenOnly_noIDTokenOnRefresh(t *testing.T) {
	ctx := testContext(t)
	pc, _, clock := signInClient(t, func(c *memory.ProviderConfig) { c.OmitIDTokenOnRefresh = true })
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(57 * time.Minute)
	res, err := pc.AcquireTokenSilent(ctx, nil, first.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) || !strings.Contains(err.Error(), "no ID token") {
		t.Fatalf("silent sign-in, refreshed without an ID token = %v; want ErrInteractionRequired saying so", err)
	}
	if res.IDToken != "" || res.AccessToken != "" {
		t.Fatalf("result %v; want none (never the old ID token)", res)
	}
}

// Client credentials still need a scope.
func TestSignIn_clientCredentialsNeedAScope(t *testing.T) {
	ctx := testContext(t)
	_, cc := newWebApp(t)
	if _, err := cc.AcquireTokenForClient(ctx, []string{"openid"}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("client credentials with only reserved scopes = %v; want ErrInvalidInput", err)
	}
}

// The auth code flow and the legacy code redemption sign in without API scopes, and
// the authorization and token requests carry the reserved scopes alone (over HTTP).
func TestSignIn_authCodeCarriesReservedScopesOnly(t *testing.T) {
	ctx := testContext(t)
	srv, cc, rec := newRecordedWebApp(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, nil, "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(flow.AuthURI); u.Query().Get("scope") != "offline_access openid profile" {
		t.Fatalf("authorization scope %q; want the reserved scopes only", u.Query().Get("scope"))
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IDTokenOnly() || res.IDTokenClaims == nil || res.Account.Username != "alice@example.com" {
		t.Fatalf("result %v; want an ID-token-only sign-in", res)
	}
	if forms := rec.sent(); len(forms) != 1 || forms[0].Get("scope") != "offline_access openid profile" {
		t.Fatalf("token request forms %v; want scope of the reserved scopes only", forms)
	}
}

// Regression (a sign-in result as a bearer token): BearerToken refuses an
// ID-token-only result, and the CLI blanks access_token in its JSON for one, but the
// library's MSAL-shaped result (MSALResult/MSALJSON, what an MSAL-Python-style caller
// reads result["access_token"] from) still carries the access token the provider
// issued besides — for no API the caller asked for — next to expires_in computed from
// the ID token's exp (signInResult moves ExpiresOn to it), not the access token's.
func TestSignIn_MSALResultCarriesNoAccessToken(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IDTokenOnly() {
		t.Fatalf("a sign-in without scopes: For = %v; want the ID token", res.For)
	}
	if _, err := res.BearerToken(); err == nil {
		t.Fatal("BearerToken of a sign-in result succeeded")
	}
	m := res.MSALResult(clock.Now())
	if m.AccessToken != "" || m.TokenType != "" || m.Scope != "" {
		t.Errorf("MSALResult of an ID-token-only sign-in carries access_token/token_type/scope (expires_in %d s, the ID token's), which BearerToken refuses to hand out", m.ExpiresIn)
	}
	if want := int64(res.IDTokenClaims.Expiry.Sub(clock.Now()) / time.Second); m.ExpiresIn != want || m.IDToken != string(res.IDToken) {
		t.Errorf("MSALResult expires_in = %d, id_token set %v; want the ID token's %d and the ID token", m.ExpiresIn, m.IDToken != "", want)
	}
}
