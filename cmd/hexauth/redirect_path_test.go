package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// login --redirect-path sends http://127.0.0.1:PORT/callback (providers that registered
// that URI exactly refuse "/") and takes the redirect there.
func TestBinary_login_redirectPath(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	tok, authURL := loginOverHTTP(t, env, "--redirect-path", "/callback")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("redirect_uri"); !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/callback$`).MatchString(got) {
		t.Errorf("redirect_uri %q; want http://127.0.0.1:PORT/callback", got)
	}
	if tok.IDTokenClaims["preferred_username"] != adaName || tok.AccessToken == "" {
		t.Errorf("login result %+v; want ada's token", tok)
	}
}

// A path the browser would not send back unchanged is a usage error (exit 2) naming the
// flag, from the flag, the environment or with --device-code.
func TestBinary_login_redirectPathRefused(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	for _, inv := range []invocation{
		{args: []string{"login", "--no-browser", "--redirect-path", "callback"}, env: env},
		{args: []string{"login", "--no-browser", "--redirect-path", "/cb?x=1"}, env: env},
		{args: []string{"login", "--no-browser"}, env: with(env, "HEXAUTH_REDIRECT_PATH", "/a/../cb")},
		{args: []string{"token", "--interactive", "--no-browser", "--redirect-path", "/cb#f"}, env: env},
		{args: []string{"login", "--device-code", "--redirect-path", "/callback"}, env: env},
	} {
		r := runInProcess(t, inv)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--redirect-path") {
			t.Errorf("%v: %s; want exit 2 naming --redirect-path", inv.args, r)
		}
	}
}
