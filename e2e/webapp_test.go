//go:build e2e

package e2e

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestWebApp_confidentialAuthCode: a web app (confidential client, client_secret_basic,
// its redirect URI registered exactly) signs a user in with the auth-code flow, serves
// the token from its cache, and refreshes it with its secret.
func TestWebApp_confidentialAuthCode(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	newWeb := func(buffer time.Duration) *app.ConfidentialClient {
		cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "conf-web", Authority: issuers["a"], Cache: cache, ExpiryBuffer: buffer},
			app.ClientSecret("web-secret-0123456789"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		return cc
	}
	cc := newWeb(0)
	resetCounts(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice]))
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCodeFlow = %v", err)
	}
	if hit, err := cc.AcquireTokenSilent(ctx, []string{apiRead}, res.Account); err != nil || hit.TokenSource != domain.SourceCache {
		t.Fatalf("silent = %v; want a cache hit", err)
	}
	if r, err := newWeb(2*time.Hour).AcquireTokenSilent(ctx, []string{apiRead}, res.Account); err != nil || r.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent after expiry = %v; want a refresh", err)
	}
	if c := counts(t); c.ok("a", "auth:client_secret_basic") != 2 {
		t.Errorf("requests with client_secret_basic = %d; want 2 (code and refresh)", c.ok("a", "auth:client_secret_basic"))
	}
}

// TestAuthCode_promptNone_withoutSession: prompt=none in a browser with no session at the
// provider comes back with error=login_required (and iss): interaction required.
func TestAuthCode_promptNone_withoutSession(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("none"))
	if err != nil {
		t.Fatal(err)
	}
	resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice])
	if resp.Get("error") != "login_required" {
		t.Fatalf("the provider answered %v; want error=login_required", resp)
	}
	_, err = pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	var de *domain.Error
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.Code != "login_required" {
		t.Fatalf("AcquireTokenByAuthCodeFlow = %v; want interaction required with the provider's login_required", err)
	}
}

// TestAuthCode_promptNone_withSession: with a session at the provider (the browser signed
// in a moment ago), prompt=none gives a web app a code at once, no page shown (single
// sign-on); node-oidc-provider refuses it to a native app (interaction_required: "native
// clients require End-User interaction"), which hexauth reports as such.
func TestAuthCode_promptNone_withSession(t *testing.T) {
	ctx := ctxOf(t)
	web, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "conf-web", Authority: issuers["a"], Cache: "memory:"}, app.ClientSecret("web-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	native := newPublic(t, "a", "public-pkce", "memory:", 0)
	b := newBrowser(t, redirectTo)
	flow, err := web.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.AcquireTokenByAuthCodeFlow(ctx, flow, b.authResponse(flow.AuthURI, alice, passwords["a"][alice])); err != nil {
		t.Fatal(err)
	}
	silentSignIn := func(initiate func() (app.AuthCodeFlow, error), redeem func(app.AuthCodeFlow, url.Values) (app.AuthResult, error)) (app.AuthResult, error) {
		flow, err := initiate()
		if err != nil {
			t.Fatal(err)
		}
		p := b.get(flow.AuthURI)
		loc, err := url.Parse(p.resp.Header.Get("Location"))
		if p.resp.StatusCode/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), redirectTo) {
			t.Fatalf("prompt=none ended at %s; want a redirect to the app, no page", p)
		}
		return redeem(flow, loc.Query())
	}
	res, err := silentSignIn(
		func() (app.AuthCodeFlow, error) {
			return web.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("none"))
		},
		func(f app.AuthCodeFlow, v url.Values) (app.AuthResult, error) {
			return web.AcquireTokenByAuthCodeFlow(ctx, f, v)
		})
	if err != nil || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != aliceSub {
		t.Fatalf("web app, prompt=none with a session = %v; want alice signed in", err)
	}
	_, err = silentSignIn(
		func() (app.AuthCodeFlow, error) {
			return native.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("none"))
		},
		func(f app.AuthCodeFlow, v url.Values) (app.AuthResult, error) {
			return native.AcquireTokenByAuthCodeFlow(ctx, f, v)
		})
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("native app, prompt=none = %v; want interaction required", err)
	}
}
