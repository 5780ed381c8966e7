package app_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// The legacy pair can send the nonce it then checks: a provider that requires a nonce
// gets one from AuthorizationURL(WithNonce), and the ID token of the code is checked
// against it on redemption.
func TestAuthorizationURL_WithNonceIsSentAndChecked(t *testing.T) {
	ctx := testContext(t)
	const nonce = "n0nce-Of-This-Request-7Qx2"
	for _, c := range []struct {
		name   string
		redeem string
		want   error
	}{{"same nonce", nonce, nil}, {"another nonce", "n0nce-Of-Another-Request", domain.ErrNonceMismatch}} {
		t.Run(c.name, func(t *testing.T) {
			srv, cc := newHTTPWebApp(t)
			pkce, err := domain.NewPKCE(nil)
			if err != nil {
				t.Fatal(err)
			}
			uri, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "", app.WithCodeChallenge(pkce.Challenge), app.WithNonce(nonce))
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(uri)
			if err != nil || u.Query().Get("nonce") != nonce {
				t.Fatalf("authorization URL %s: nonce %q; want %q", uri, u.Query().Get("nonce"), nonce)
			}
			resp, err := srv.SignIn(ctx, uri, "alice@example.com", "pw")
			if err != nil {
				t.Fatal(err)
			}
			res, err := cc.AcquireTokenByAuthorizationCode(ctx, resp.Get("code"), "", []string{"api://orders/read"},
				app.WithCodeVerifier(string(pkce.Verifier)), app.WithNonce(c.redeem))
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("AcquireTokenByAuthorizationCode = %v; want %v", err, c.want)
			}
			if c.want == nil && res.IDTokenClaims.Nonce != nonce {
				t.Errorf("ID token nonce %q; want %q", res.IDTokenClaims.Nonce, nonce)
			}
			if c.want != nil {
				if accts, _ := cc.Accounts(ctx); len(accts) != 0 {
					t.Errorf("a refused ID token cached %d accounts; want none", len(accts))
				}
			}
		})
	}
}

// Without WithNonce AuthorizationURL sends none (as MSAL's get_authorization_request_url);
// a nonce with a control character is refused before any request.
func TestAuthorizationURL_nonceOnlyWhenGivenAndBounded(t *testing.T) {
	ctx := testContext(t)
	_, cc := newHTTPWebApp(t)
	uri, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "")
	if u, _ := url.Parse(uri); err != nil || u.Query().Has("nonce") {
		t.Errorf("AuthorizationURL without WithNonce = %s, %v; want no nonce", uri, err)
	}
	if _, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "", app.WithNonce("line\nbreak")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("AuthorizationURL(WithNonce with a line break) = %v; want ErrInvalidInput", err)
	}
}

// InitiateAuthCodeFlow sends and records the nonce WithNonce gives instead of a random
// one, so the completion checks the ID token against it.
func TestInitiateAuthCodeFlow_WithNonceIsTheFlowsNonce(t *testing.T) {
	ctx := testContext(t)
	_, cc := newHTTPWebApp(t)
	const nonce = "n0nce-Of-This-Flow-9Kd3"
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "", app.WithNonce(nonce))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(flow.AuthURI)
	if flow.Nonce != nonce || u.Query().Get("nonce") != nonce {
		t.Errorf("flow nonce %q, URL nonce %q; want %q in both", flow.Nonce, u.Query().Get("nonce"), nonce)
	}
}
