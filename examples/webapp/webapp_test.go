package webapp_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestServer_signInClaimsAPISignOut(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	if p := b.get("/t/acme/"); p.status != 200 || !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("home before sign-in = %d %q; want the signed-out page", p.status, p.body)
	}
	b.signIn("acme")
	home := b.get("/t/acme/")
	if !strings.Contains(home.body, `<strong id="user-name">`+testName+`</strong>`) {
		t.Fatalf("home after sign-in does not name %q:\n%s", testName, home.body)
	}
	if got := h.accounts("acme"); len(got) != 1 || got[0].Username != testUser {
		t.Fatalf("accounts(acme) = %+v; want %s", got, testUser)
	}
	claims := b.get("/t/acme/claims")
	for _, want := range []string{`<td id="claim-iss">` + h.idp.Issuer() + `</td>`, `<td id="claim-preferred_username">` + testUser + `</td>`, `<td id="claim-aud">` + testClientID + `</td>`} {
		if !strings.Contains(claims.body, want) {
			t.Errorf("claims page lacks %s:\n%s", want, claims.body)
		}
	}
	api := b.get("/t/acme/api")
	if api.status != 200 || !strings.Contains(api.body, `<span id="api-status">200</span>`) || !strings.Contains(api.body, "hello, "+testName) || !strings.Contains(api.body, `&#34;tenant&#34;:&#34;acme&#34;`) {
		t.Fatalf("API page = %d:\n%s\nwant the API's 200 greeting %q for tenant acme", api.status, api.body, testName)
	}
	out := b.do(http.MethodPost, "/t/acme/logout", url.Values{"csrf": {csrfOf(t, home.body)}}, nil)
	if out.status != http.StatusSeeOther || out.location != "/t/acme/" {
		t.Fatalf("POST logout = %d to %q; want 303 to /t/acme/", out.status, out.location)
	}
	if p := b.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("home after sign-out:\n%s\nwant the signed-out page", p.body)
	}
	if got := h.accounts("acme"); len(got) != 0 {
		t.Fatalf("accounts(acme) after sign-out = %+v; want none", got)
	}
	if b.cookie("webapp-session-acme") != "" {
		t.Fatal("the session cookie survived sign-out")
	}
}

// refusal is a callback the web app must refuse without caching anything.
func TestServer_callbackRefusals(t *testing.T) {
	tests := []struct {
		name string
		// run plays the attack and returns the callback's answer.
		run        func(h *harness) page
		wantStatus int
	}{
		{"no flow cookie", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			return h.newBrowser().callback(resp) // another browser, with no flow at all
		}, 400},
		{"wrong state", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			resp.Set("state", "forged-"+resp.Get("state"))
			return b.callback(resp)
		}, 400},
		{"state missing", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			resp.Del("state")
			return b.callback(resp)
		}, 400},
		{"flow cookie from another browser", func(h *harness) page {
			victim, attacker := h.newBrowser(), h.newBrowser()
			attackerResp := h.authorize(attacker.startSignIn("acme")) // the attacker's own code (login CSRF)
			victim.startSignIn("acme")                                // the victim has a flow of their own
			return victim.callback(attackerResp)
		}, 400},
		{"flow cookie copied into another browser with another state", func(h *harness) page {
			a, b := h.newBrowser(), h.newBrowser()
			respA := h.authorize(a.startSignIn("acme"))
			b.startSignIn("acme")
			a.setCookie("webapp-flow", b.cookie("webapp-flow")) // b's flow, a's response
			return a.callback(respA)
		}, 400},
		{"expired flow cookie", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			h.clock.Advance(11 * time.Minute)
			return b.callback(resp)
		}, 400},
		{"tampered flow cookie", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			v := []byte(b.cookie("webapp-flow"))
			v[len(v)/2] ^= 1
			b.setCookie("webapp-flow", string(v))
			return b.callback(resp)
		}, 400},
		{"session cookie presented as the flow cookie", func(h *harness) page {
			other := h.newBrowser()
			other.signIn("globex")
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			b.setCookie("webapp-flow", other.cookie("webapp-session-globex"))
			return b.callback(resp)
		}, 400},
		{"provider error", func(h *harness) page {
			b := h.newBrowser()
			authURL, _ := url.Parse(b.startSignIn("acme"))
			return b.callback(url.Values{"state": {authURL.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"the user declined"}})
		}, 403},
		{"code replayed after sign-out", func(h *harness) page {
			b := h.newBrowser()
			resp := h.authorize(b.startSignIn("acme"))
			flow := b.cookie("webapp-flow")
			b.callback(resp)
			home := b.get("/t/acme/")
			b.do(http.MethodPost, "/t/acme/logout", url.Values{"csrf": {csrfOf(h.t, home.body)}}, nil)
			if n := len(h.accounts("acme")); n != 0 {
				h.t.Fatalf("accounts after sign-out = %d; want 0", n)
			}
			b.setCookie("webapp-flow", flow) // the very same flow cookie and response, again
			return b.callback(resp)
		}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{})
			p := tc.run(h)
			if p.status != tc.wantStatus || !strings.Contains(p.body, `id="error"`) {
				t.Fatalf("callback = %d %q; want %d and the error page", p.status, p.body, tc.wantStatus)
			}
			if got := h.accounts("acme"); len(got) != 0 {
				t.Fatalf("accounts(acme) = %+v after a refused callback; want none", got)
			}
		})
	}
}

// A refused state never reaches the token endpoint: the code is not spent.
func TestServer_callback_wrongStateRedeemsNothing(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	resp := h.authorize(b.startSignIn("acme"))
	good := resp.Get("state")
	resp.Set("state", good+"x")
	if p := b.callback(resp); p.status != 400 || !strings.Contains(p.body, "does not belong to the sign-in this browser started") {
		t.Fatalf("callback with a wrong state = %d %q; want 400 saying it is not this browser's sign-in", p.status, p.body)
	}
	if n := h.idp.Requests(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("authorization_code requests = %d after a wrong state; want 0", n)
	}
	if b.cookie("webapp-flow") != "" {
		t.Fatal("the flow cookie survived a refused callback; want it spent")
	}
}

func TestServer_sessionBoundToTenant(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	b.setCookie("webapp-session-globex", b.cookie("webapp-session-acme"))
	if p := b.get("/t/globex/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("globex home with acme's session renamed:\n%s\nwant signed out", p.body)
	}
	if p := b.get("/t/acme/"); !strings.Contains(p.body, testName) {
		t.Fatalf("acme home:\n%s\nwant %s signed in", p.body, testName)
	}
	if n := len(h.accounts("globex")); n != 0 {
		t.Fatalf("accounts(globex) = %d; want 0: a sign-in at acme is acme's alone", n)
	}
}

func TestServer_logoutRefusesForgedRequests(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	csrf := csrfOf(t, b.get("/t/acme/").body)
	tests := []struct {
		name       string
		method     string
		form       url.Values
		header     http.Header
		wantStatus int
	}{
		{"no token", http.MethodPost, url.Values{}, nil, http.StatusForbidden},
		{"wrong token", http.MethodPost, url.Values{"csrf": {csrf + "x"}}, nil, http.StatusForbidden},
		{"another origin", http.MethodPost, url.Values{"csrf": {csrf}}, http.Header{"Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"GET", http.MethodGet, nil, nil, http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p := b.do(tc.method, "/t/acme/logout", tc.form, tc.header); p.status != tc.wantStatus {
				t.Fatalf("%s logout = %d; want %d", tc.method, p.status, tc.wantStatus)
			}
			if n := len(h.accounts("acme")); n != 1 {
				t.Fatalf("accounts(acme) = %d after a forged sign-out; want 1", n)
			}
			if p := b.get("/t/acme/"); !strings.Contains(p.body, testName) {
				t.Fatal("signed out by a forged request")
			}
		})
	}
}

// A session cookie is honoured only until it expires.
func TestServer_sessionExpires(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	h.clock.Advance(8*time.Hour + time.Second)
	if p := b.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("home after the session's lifetime:\n%s\nwant signed out", p.body)
	}
}

// The token goes to the API's host and port only: a redirect to another port of the
// same host is followed without it.
func TestServer_apiTokenOnlyToAllowedHost(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"message":"elsewhere"}`))
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/steal", http.StatusFound))
	defer redirector.Close()
	var sawToken bool
	redirectorWithCheck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken = strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") // the API itself does get it
		redirector.Config.Handler.ServeHTTP(w, r)
	}))
	defer redirectorWithCheck.Close()
	h := newHarness(t, options{apiURL: redirectorWithCheck.URL + "/orders"})
	b := h.newBrowser()
	b.signIn("acme")
	p := b.get("/t/acme/api")
	if p.status != 200 || !strings.Contains(p.body, "elsewhere") {
		t.Fatalf("API page = %d:\n%s\nwant the redirect target's answer", p.status, p.body)
	}
	if !sawToken {
		t.Fatal("the API's own host got no bearer token")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) != 1 || leaked[0] != "" {
		t.Fatalf("the redirect target on another port got Authorization %q; want none", leaked)
	}
}

func TestServer_claimsAreEscaped(t *testing.T) {
	const name = `Ada <script>alert(1)</script>`
	h := newHarness(t, options{userName: name})
	b := h.newBrowser()
	b.signIn("acme")
	for _, path := range []string{"/t/acme/", "/t/acme/claims"} {
		p := b.get(path)
		if strings.Contains(p.body, "<script>") || !strings.Contains(p.body, html.EscapeString("<script>")) {
			t.Fatalf("%s shows the name unescaped or not at all:\n%s", path, p.body)
		}
	}
}

// No token or code reaches a page (beyond the claims page's claims), a cookie or a log
// line.
func TestServer_noSecretInPagesCookiesOrLogs(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	authURL := b.startSignIn("acme")
	resp := h.authorize(authURL)
	var bodies []string
	cb := b.callback(resp)
	bodies = append(bodies, cb.body, cb.location)
	for _, path := range []string{"/t/acme/", "/t/acme/claims", "/t/acme/api"} {
		bodies = append(bodies, b.get(path).body)
	}
	bodies = append(bodies, b.callback(resp).body) // a replay's error page
	res, err := h.client.Partition("acme").AcquireTokenSilent(context.Background(), testScopes, h.accounts("acme")[0])
	if err != nil {
		t.Fatalf("AcquireTokenSilent: %v", err)
	}
	u, _ := url.Parse(h.web.URL)
	var cookies []string
	for _, c := range b.jar.Cookies(u) {
		cookies = append(cookies, c.Value)
	}
	secrets := map[string]string{"code": resp.Get("code"), "state": resp.Get("state"), "access token": string(res.AccessToken), "ID token": string(res.IDToken)}
	haystacks := map[string]string{"pages": strings.Join(bodies, "\n"), "cookies": strings.Join(cookies, "\n"), "logs": h.logs.String()}
	for sn, secret := range secrets {
		if len(secret) < 8 {
			t.Fatalf("%s %q is too short to look for", sn, secret)
		}
		for hn, hay := range haystacks {
			if strings.Contains(hay, secret) {
				t.Errorf("the %s appears in the %s", sn, hn)
			}
		}
	}
	if !strings.Contains(h.logs.String(), "webapp: refused") {
		t.Fatalf("the replay's refusal was not logged:\n%s", h.logs.String())
	}
}

func TestServer_unknownTenantIs404(t *testing.T) {
	h := newHarness(t, options{})
	for _, path := range []string{"/t/initech/", "/t/initech/login", "/t/ACME/"} {
		if p := h.newBrowser().get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", path, p.status)
		}
	}
}

func TestDemoAPI_refusesMissingAndUnknownTokens(t *testing.T) {
	h := newHarness(t, options{})
	for _, auth := range []string{"", "Bearer ", "Bearer not-a-token-we-issued", "Basic dXNlcjpwdw=="} {
		req, _ := http.NewRequest(http.MethodGet, h.api.URL, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %q: %d %q; want 401 with a Bearer challenge", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestConfig_Validate(t *testing.T) {
	h := newHarness(t, options{})
	key := make([]byte, 32)
	good := func() webappConfig {
		return webappConfig{client: h, publicURL: "https://app.example.com", tenants: []string{"acme"}, key: key, apiURL: "https://api.example.com/orders"}
	}
	tests := []struct {
		name   string
		adjust func(*webappConfig)
	}{
		{"no client", func(c *webappConfig) { c.client = nil }},
		{"plain http public URL off loopback", func(c *webappConfig) { c.publicURL = "http://app.example.com" }},
		{"public URL with a path", func(c *webappConfig) { c.publicURL = "https://app.example.com/app" }},
		{"no tenant", func(c *webappConfig) { c.tenants = nil }},
		{"tenant with a slash", func(c *webappConfig) { c.tenants = []string{"a/b"} }},
		{"tenant in capitals", func(c *webappConfig) { c.tenants = []string{"Acme"} }},
		{"tenant twice", func(c *webappConfig) { c.tenants = []string{"acme", "acme"} }},
		{"short key", func(c *webappConfig) { c.key = key[:16] }},
		{"plain http API off loopback", func(c *webappConfig) { c.apiURL = "http://api.example.com/orders" }},
		{"relative API URL", func(c *webappConfig) { c.apiURL = "/orders" }},
	}
	if _, err := good().build(); err != nil {
		t.Fatalf("New(good config) = %v; want nil", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.adjust(&c)
			if _, err := c.build(); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("New = %v; want ErrInvalidInput", err)
			}
		})
	}
}

// Over https the cookies are Secure and "__Host-" prefixed; always HttpOnly and
// SameSite=Lax, the flow's for FlowLifetime only.
func TestServer_httpsCookies(t *testing.T) {
	h := newHarness(t, options{})
	srv, err := webappConfig{client: h, publicURL: "https://app.example.com", tenants: []string{"acme"}, key: make([]byte, 32), apiURL: "https://api.example.com/"}.build()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.example.com/t/acme/login", nil))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login = %d; want 303", rec.Code)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies; want 1", len(cookies))
	}
	c := cookies[0]
	if c.Name != "__Host-webapp-flow" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 600 {
		t.Fatalf("flow cookie = %+v; want __Host-webapp-flow, Secure, HttpOnly, Lax, Path=/, no Domain, Max-Age=600", c)
	}
	if u, _ := url.Parse(rec.Header().Get("Location")); u.Query().Get("redirect_uri") != "https://app.example.com/callback" {
		t.Fatalf("redirect_uri = %q; want https://app.example.com/callback", u.Query().Get("redirect_uri"))
	}
	if len(c.Value) > 4096 {
		t.Fatalf("flow cookie is %d bytes; browsers keep 4096", len(c.Value))
	}
}

// A session whose account the cache no longer holds (removed by another process, an
// admin, or a sign-out in another tab of another app instance) is over: the page is the
// signed-out one and the cookie is cleared, not kept until it expires.
func TestServer_staleSessionCookieIsCleared(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	stale := b.cookie("webapp-session-acme")
	if stale == "" {
		t.Fatal("no session cookie after sign-in")
	}
	for _, a := range h.accounts("acme") {
		if err := h.client.Partition("acme").RemoveAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if p := b.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("home after the account was removed:\n%s\nwant the signed-out page", p.body)
	}
	if b.cookie("webapp-session-acme") != "" {
		t.Fatal("the session cookie of a removed account survived a page load")
	}
	// The session found over is deleted, not only its cookie: a copy of the cookie stays
	// refused once the user signs in again.
	h.newBrowser().signIn("acme")
	h.expectSessionRefused("acme", stale, "a copy of the ended session's cookie after a new sign-in")
}

// Two sessions of one user in one tenant (two browsers) share the account's cached
// tokens. Signing out in one ends both: RemoveAccount deleted the tokens they share, and
// the other session's id is deleted too, so that its cookie (or a copy of it) is not
// honoured again once the user signs in anew. Another tenant's session is untouched.
func TestServer_signOutEndsEverySessionOfTheAccountInTheTenant(t *testing.T) {
	h := newHarness(t, options{})
	a, b := h.newBrowser(), h.newBrowser()
	a.signIn("acme")
	b.signIn("acme")
	b.signIn("globex")
	bAcme := b.cookie("webapp-session-acme")
	if p := b.get("/t/acme/"); !strings.Contains(p.body, testName) {
		t.Fatalf("b's acme home before a's sign-out:\n%s\nwant %s signed in", p.body, testName)
	}
	if out := a.signOut("acme"); out.status != http.StatusSeeOther {
		t.Fatalf("a's POST logout = %d; want 303", out.status)
	}
	h.newBrowser().signIn("acme") // the user signs in again, elsewhere, before b comes back
	if p := b.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("b's acme home after a signed out and the user signed in anew:\n%s\nwant signed out", p.body)
	}
	h.expectSessionRefused("acme", bAcme, "a copy of b's acme cookie")
	if p := b.get("/t/globex/"); !strings.Contains(p.body, testName) {
		t.Fatalf("b's globex home after a signed out of acme:\n%s\nwant %s still signed in", p.body, testName)
	}
}

// Each sign-in makes a new session, whose cookie works, and deletes the session the
// browser had in the tenant: a copy of the previous cookie is refused, whether the user
// signed out in between or not.
func TestServer_eachSignInIsANewSession(t *testing.T) {
	for _, signOutFirst := range []bool{true, false} {
		h := newHarness(t, options{})
		b := h.newBrowser()
		b.signIn("acme")
		previous := b.cookie("webapp-session-acme")
		if signOutFirst {
			b.signOut("acme")
		}
		b.signIn("acme")
		if c := b.cookie("webapp-session-acme"); c == "" || c == previous {
			t.Fatalf("signed out first %t: the second sign-in set no new session cookie", signOutFirst)
		}
		h.expectSessionRefused("acme", previous, "the previous sign-in's cookie after a new one")
		if p := b.get("/t/acme/"); !strings.Contains(p.body, testName) {
			t.Fatalf("signed out first %t: home after the new sign-in:\n%s\nwant %s signed in", signOutFirst, p.body, testName)
		}
	}
}
