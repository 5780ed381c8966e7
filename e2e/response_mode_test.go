//go:build e2e

package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestAuthCode_formPost: with response_mode=form_post the real provider ends the
// sign-in with its own auto-submitting form to the redirect URI; the app reads that
// POST with ReadAuthResponse and completes the flow. The same fields taken as a query
// are refused before the code is sent, and the flow stays usable.
func TestAuthCode_formPost(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"),
		app.WithResponseMode(app.ResponseModeFormPost))
	if err != nil {
		t.Fatal(err)
	}
	p := newBrowser(t, redirectTo).signIn(flow.AuthURI, alice, passwords["a"][alice])
	var post *http.Request
	for _, f := range forms(p.body) {
		if strings.EqualFold(f.attrs["method"], "post") && strings.HasPrefix(f.attrs["action"], redirectTo) {
			post = httptest.NewRequest(http.MethodPost, f.attrs["action"], strings.NewReader(f.fields.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if post == nil {
		t.Fatalf("the provider's last page (%s) has no form posting to the redirect URI:\n%s", p, p.body)
	}
	resp, mode, err := app.ReadAuthResponse(post)
	if err != nil || mode != app.ResponseModeFormPost || resp.Get("code") == "" {
		t.Fatalf("ReadAuthResponse = %q, %v; want the posted code", mode, err)
	}
	resetCounts(t)
	if _, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp); !errors.Is(err, domain.ErrInvalidResponse) {
		t.Fatalf("a form_post response completed as a query = %v; want ErrInvalidResponse", err)
	}
	if n := counts(t).ok("a", "authorization_code") + counts(t).error("a", "authorization_code"); n != 0 {
		t.Fatalf("the refused completion sent %d code redemptions; want 0", n)
	}
	res, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithResponseMode(mode))
	if err != nil || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != aliceSub {
		t.Fatalf("completion from the POSTed form = %v; want alice's tokens", err)
	}
}
