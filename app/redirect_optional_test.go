package app_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// newHTTPWebApp returns the HTTP fake provider, with one web app registered with one
// redirect URI, and a confidential client of that app over HTTP.
func newHTTPWebApp(t *testing.T) (*idptest.Server, *app.ConfidentialClient) {
	t.Helper()
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []idptest.Client{{ID: "web", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1:8400/callback"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cc, err := app.NewConfidentialClient(testContext(t), app.Config{ClientID: "web", Authority: srv.Issuer()}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return srv, cc
}

// Without a redirect URI (MSAL: optional), the authorization request carries none, the
// provider answers at the registered one, and the token request omits it too (RFC 6749
// §4.1.3): the provider, which refuses an empty or differing redirect_uri, issues the
// tokens.
func TestInitiateAuthCodeFlow_withoutRedirectURI(t *testing.T) {
	ctx := testContext(t)
	srv, cc := newHTTPWebApp(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"openid", "api://orders/read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(flow.AuthURI); u.Query().Has("redirect_uri") {
		t.Fatalf("AuthURI %s carries a redirect_uri; want none", flow.AuthURI)
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatalf("completing a flow without a redirect URI: %v", err)
	}
	if res.AccessToken == "" || res.Account.Username != "alice@example.com" {
		t.Fatalf("result %v; want alice's tokens", res)
	}
}

// A flow edited to carry another redirect URI than its authorization request (one
// added, one dropped) is refused before the code is sent.
func TestAcquireTokenByAuthCodeFlow_redirectURIEdited(t *testing.T) {
	ctx := testContext(t)
	srv, cc := newHTTPWebApp(t)
	without, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	with, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	added, dropped := without, with
	added.RedirectURI = "http://127.0.0.1:8400/callback"
	dropped.RedirectURI = ""
	for name, flow := range map[string]app.AuthCodeFlow{"added": added, "dropped": dropped} {
		resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp); !errors.Is(err, domain.ErrInvalidFlow) {
			t.Fatalf("flow with its redirect URI %s = %v; want ErrInvalidFlow", name, err)
		}
	}
	if n := srv.Requests(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("edited flows sent %d code redemptions; want 0", n)
	}
}

// AuthorizationURL and the legacy AcquireTokenByAuthorizationCode take no redirect URI
// either: the code is redeemed without one. Redeeming it with one the authorization
// request did not carry is refused by the provider (RFC 6749 §4.1.3).
func TestAcquireTokenByAuthorizationCode_withoutRedirectURI(t *testing.T) {
	ctx := testContext(t)
	for _, c := range []struct {
		name     string
		redirect string
		want     error
	}{{"omitted", "", nil}, {"not in the authorization request", "http://127.0.0.1:8400/callback", domain.ErrInvalidGrant}} {
		t.Run(c.name, func(t *testing.T) {
			srv, cc := newHTTPWebApp(t)
			pkce, err := domain.NewPKCE(nil)
			if err != nil {
				t.Fatal(err)
			}
			uri, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "", app.WithCodeChallenge(pkce.Challenge))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.SignIn(ctx, uri, "alice@example.com", "pw")
			if err != nil {
				t.Fatal(err)
			}
			_, err = cc.AcquireTokenByAuthorizationCode(ctx, resp.Get("code"), c.redirect, []string{"api://orders/read"}, app.WithCodeVerifier(string(pkce.Verifier)))
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("AcquireTokenByAuthorizationCode = %v; want %v", err, c.want)
			}
		})
	}
}
