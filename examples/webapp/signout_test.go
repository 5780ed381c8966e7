package webapp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// signOut posts the sign-out form of b's tenant home page and returns the answer.
func (b *browser) signOut(tenant string) page {
	b.h.t.Helper()
	return b.do(http.MethodPost, "/t/"+tenant+"/logout", url.Values{"csrf": {csrfOf(b.h.t, b.get("/t/"+tenant+"/").body)}}, nil)
}

// With an end_session_endpoint, sign-out ends the session here first, then redirects to
// the provider with the cached ID token as id_token_hint, the client id, the exact
// post-logout redirect URI and a state; the provider sends the browser back there, and
// the web app returns it to the tenant it signed out of. The ID token is in no log line
// and no cookie.
func TestServer_signOutAtTheProvider(t *testing.T) {
	h := newHarness(t, options{endSession: true})
	b := h.newBrowser()
	b.signIn("acme")
	res, err := h.client.Partition("acme").AcquireTokenSilent(context.Background(), nil, h.accounts("acme")[0])
	if err != nil {
		t.Fatal(err)
	}
	idToken := string(res.IDToken)
	out := b.signOut("acme")
	if out.status != http.StatusSeeOther || !strings.HasPrefix(out.location, h.idp.URL()+"/logout?") {
		t.Fatalf("POST logout = %d to %q; want 303 to the provider's end_session_endpoint", out.status, out.location)
	}
	// Signed out here before the browser even reaches the provider.
	if n := len(h.accounts("acme")); n != 0 || b.cookie("webapp-session-acme") != "" {
		t.Fatalf("after the sign-out: %d accounts, session cookie %t; want none and none", n, b.cookie("webapp-session-acme") != "")
	}
	loc, _ := url.Parse(out.location)
	q := loc.Query()
	if q.Get("id_token_hint") != idToken || q.Get("client_id") != testClientID || q.Get("post_logout_redirect_uri") != h.web.URL+"/signed-out" || len(q.Get("state")) < 43 {
		t.Fatalf("logout request %v; want the cached ID token, client_id %s, post_logout_redirect_uri %s/signed-out and a 256-bit state", redactHint(q), testClientID, h.web.URL)
	}
	back := b.do(http.MethodGet, out.location, nil, nil) // the provider's answer
	if back.status != http.StatusFound || !strings.HasPrefix(back.location, h.web.URL+"/signed-out?") {
		t.Fatalf("provider's logout = %d to %q (%s); want a redirect to our /signed-out", back.status, back.location, back.body)
	}
	landing := b.do(http.MethodGet, back.location, nil, nil)
	if landing.status != http.StatusSeeOther || landing.location != "/t/acme/" {
		t.Fatalf("GET /signed-out = %d to %q; want 303 to /t/acme/", landing.status, landing.location)
	}
	if b.cookie("webapp-logout") != "" {
		t.Fatal("the logout cookie survived the landing")
	}
	if p := b.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("home after the sign-out:\n%s\nwant signed out", p.body)
	}
	if got := h.idp.EndSessions(); len(got) != 1 || got[0].ClientID != testClientID {
		t.Fatalf("the provider accepted %d logout requests; want 1 for %s", len(got), testClientID)
	}
	if strings.Contains(h.logs.String(), idToken) {
		t.Fatal("the ID token appears in a log line")
	}
}

// redactHint is a logout request's query without the ID token, for a failure message.
func redactHint(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	if c.Has("id_token_hint") {
		c.Set("id_token_hint", "(redacted)")
	}
	return c
}

// Without an end_session_endpoint the sign-out is ours alone, as before: back to the
// tenant's home, no logout cookie, nothing sent to the provider.
func TestServer_signOutWithoutEndSessionEndpointIsLocal(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	if out := b.signOut("acme"); out.status != http.StatusSeeOther || out.location != "/t/acme/" {
		t.Fatalf("POST logout = %d to %q; want 303 to /t/acme/", out.status, out.location)
	}
	if b.cookie("webapp-logout") != "" || len(h.idp.EndSessions()) != 0 {
		t.Fatal("a sign-out without an end_session_endpoint set a logout cookie or reached the provider")
	}
}

// The landing goes back to the tenant only with this browser's logout cookie and the
// state it holds; anything else goes to the tenant list, and the cookie is spent.
func TestServer_signedOutLandingChecksTheState(t *testing.T) {
	h := newHarness(t, options{endSession: true})
	tests := []struct {
		name  string
		state func(real string) string
		// otherBrowser plays the landing in a browser with no logout cookie.
		otherBrowser bool
	}{
		{"forged state", func(real string) string { return real + "x" }, false},
		{"no state", func(string) string { return "" }, false},
		{"another browser", func(real string) string { return real }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := h.newBrowser()
			b.signIn("acme")
			loc, _ := url.Parse(b.signOut("acme").location)
			lander := b
			if tc.otherBrowser {
				lander = h.newBrowser()
			}
			p := lander.get("/signed-out?" + url.Values{"state": {tc.state(loc.Query().Get("state"))}}.Encode())
			if p.status != http.StatusSeeOther || p.location != "/" {
				t.Fatalf("GET /signed-out = %d to %q; want 303 to /", p.status, p.location)
			}
			if b.cookie("webapp-logout") != "" && !tc.otherBrowser {
				t.Fatal("the logout cookie survived a refused landing")
			}
		})
	}
}

// The signed-in home page's sign-out form may redirect to the provider's end-session
// endpoint (Chromium applies form-action to a form's redirects) and nowhere else; without
// an endpoint, and on every other page, forms stay on this site.
func TestServer_formActionAllowsTheEndSessionOriginOnly(t *testing.T) {
	for _, endSession := range []bool{false, true} {
		h := newHarness(t, options{endSession: endSession})
		b := h.newBrowser()
		signedOut := b.get("/t/acme/").header.Get("Content-Security-Policy")
		b.signIn("acme")
		home := b.get("/t/acme/").header.Get("Content-Security-Policy")
		want := "form-action 'self';"
		if endSession {
			want = "form-action 'self' " + h.idp.URL() + ";"
		}
		if !strings.Contains(home, want) {
			t.Errorf("end session %t: signed-in home CSP %q; want %q", endSession, home, want)
		}
		if !strings.Contains(signedOut, "form-action 'self';") {
			t.Errorf("end session %t: signed-out home CSP %q; want form-action 'self' only", endSession, signedOut)
		}
	}
}
