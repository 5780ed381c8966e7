package idptest_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

func autoApprove(c *idptest.Config) { c.AutoApproveUser = userName }

func TestServer_Authorize_autoApproveRedirects(t *testing.T) {
	f := newFixture(t, autoApprove)
	p := newPKCE(t)
	u := location(t, get(t, f.srv.URL()+"/authorize?"+authParams(publicID, p.Challenge, "n-1").Encode()))
	if got := u.Scheme + "://" + u.Host + u.Path; got != redirectURI {
		t.Errorf("redirect to %q; want %q", got, redirectURI)
	}
	q := u.Query()
	if q.Get("code") == "" {
		t.Errorf("redirect query has no code")
	}
	if q.Get("state") != "state-123" {
		t.Errorf("state = %q; want %q", q.Get("state"), "state-123")
	}
	if q.Get("iss") != f.srv.Issuer() {
		t.Errorf("iss = %q; want %q (RFC 9207)", q.Get("iss"), f.srv.Issuer())
	}
}

func TestServer_Authorize_refusals(t *testing.T) {
	f := newFixture(t, autoApprove)
	p := newPKCE(t)
	tests := []struct {
		name      string
		edit      func(url.Values)
		redirects bool   // the error goes to the client; otherwise an error page
		wantError string // the redirected error code
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, false, ""},
		{"unregistered redirect URI", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9/evil") }, false, ""},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, true, "invalid_request"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, true, "invalid_request"},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, true, "unsupported_response_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := authParams(publicID, p.Challenge, "n")
			tt.edit(v)
			r := get(t, f.srv.URL()+"/authorize?"+v.Encode())
			if !tt.redirects {
				if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
					t.Fatalf("status = %d, Location %q; want 400 and no redirect (RFC 6749 §4.1.2.1)", r.status, r.header.Get("Location"))
				}
				if !strings.Contains(r.header.Get("Content-Type"), "text/html") {
					t.Errorf("Content-Type = %q; want an HTML error page", r.header.Get("Content-Type"))
				}
				return
			}
			q := location(t, r).Query()
			if q.Get("error") != tt.wantError || q.Get("code") != "" || q.Get("state") != "state-123" {
				t.Errorf("redirect query = %v; want error=%s with state and no code", q, tt.wantError)
			}
		})
	}
}

// hiddenInput matches the login form's hidden fields.
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

func TestServer_Authorize_loginFormShowsRequest(t *testing.T) {
	f := newFixture(t, nil)
	p := newPKCE(t)
	params := authParams(publicID, p.Challenge, "n-2")
	params.Set("login_hint", userName)
	r := get(t, f.srv.URL()+"/authorize?"+params.Encode())
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Content-Type %q; want 200 text/html", r.status, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	for _, want := range []string{`method="post"`, `action="` + f.srv.URL() + `/authorize"`, `name="username"`,
		`name="password"`, `value="` + userName + `"`} {
		if !strings.Contains(page, html.EscapeString(want)) && !strings.Contains(page, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	hidden := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		hidden.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k := range params {
		if hidden.Get(k) != params.Get(k) {
			t.Errorf("hidden %s = %q; want %q", k, hidden.Get(k), params.Get(k))
		}
	}
}

func TestServer_Authorize_loginFormPost(t *testing.T) {
	f := newFixture(t, nil)
	p := newPKCE(t)
	form := authParams(publicID, p.Challenge, "n-3")
	form.Set("username", userName)

	form.Set("password", "wrong")
	r := postForm(t, f.srv.URL()+"/authorize", form)
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "Wrong username or password") ||
		!strings.Contains(string(r.body), `name="password"`) {
		t.Fatalf("wrong password: status %d; want 401 with the form and an error", r.status)
	}
	if strings.Contains(string(r.body), `value="wrong"`) {
		t.Errorf("the re-rendered form repeats the password")
	}

	form.Set("password", userPassword)
	q := location(t, postForm(t, f.srv.URL()+"/authorize", form)).Query()
	if q.Get("code") == "" || q.Get("state") != "state-123" {
		t.Fatalf("redirect query = %v; want a code and the state", q)
	}
	resp := postForm(t, f.srv.URL()+"/token", codeForm(q.Get("code"), string(p.Verifier)))
	if resp.status != http.StatusOK {
		t.Fatalf("redeem the form's code: status %d: %s", resp.status, resp.body)
	}
	if c := idClaims(t, resp.json(t)); c.Nonce != "n-3" || c.PreferredUsername != userName {
		t.Errorf("ID token nonce %q, user %q; want n-3, %s", c.Nonce, c.PreferredUsername, userName)
	}
}

func TestServer_Authorize_entraLoginForm(t *testing.T) {
	f := newFixture(t, nil)
	p := newPKCE(t)
	endpoint := f.srv.EntraAuthority("common") + "/oauth2/v2.0/authorize"
	r := get(t, endpoint+"?"+authParams(publicID, p.Challenge, "n").Encode())
	if !strings.Contains(string(r.body), `action="`+endpoint+`"`) {
		t.Fatalf("the Entra login form does not post back to %s", endpoint)
	}
	form := authParams(publicID, p.Challenge, "n")
	form.Set("username", userName)
	form.Set("password", userPassword)
	if q := location(t, postForm(t, endpoint, form)).Query(); q.Get("code") == "" {
		t.Errorf("redirect query = %v; want a code", q)
	}
}

func TestServer_Authorize_promptNoneWithoutSession(t *testing.T) {
	f := newFixture(t, nil)
	v := authParams(publicID, newPKCE(t).Challenge, "n")
	v.Set("prompt", "none")
	q := location(t, get(t, f.srv.URL()+"/authorize?"+v.Encode())).Query()
	if q.Get("error") != "login_required" {
		t.Errorf("error = %q; want login_required", q.Get("error"))
	}
}
