package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
)

// without returns a copy of m without key.
func without(m map[string]string, key string) map[string]string {
	out := with(m)
	delete(out, key)
	return out
}

// Without scopes, ropc signs in for the ID token only: its JSON result carries the ID
// token and no access token, and token without scopes prints that ID token (the cached
// one) on stdout.
func TestToken_run_withoutScopesPrintsTheIDToken(t *testing.T) {
	srv := startIdP(t)
	env := with(without(clientEnv(srv, t.TempDir()), "HEXAUTH_SCOPES"), "HEXAUTH_PASSWORD", adaPassword)
	r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName, "--output", "json"}, env: env})
	if r.code != exitOK {
		t.Fatalf("ropc without scopes: %s", r)
	}
	tok := decodeToken(t, r)
	if tok.IDToken == "" || tok.AccessToken != "" || tok.IDTokenClaims["preferred_username"] != adaName {
		t.Fatalf("ropc without scopes = %+v; want the ID token and its claims, no access token", tok)
	}
	hit := runInProcess(t, invocation{args: []string{"token"}, env: env})
	if hit.code != exitOK || strings.TrimSpace(hit.stdout) != tok.IDToken || !strings.Contains(hit.stderr, "ID token for "+adaName+" from cache") {
		t.Fatalf("token without scopes: %s; want the cached ID token on stdout", hit)
	}
}

// token --id-token prints the ID token even where scopes are configured (a profile
// made for an API), never the API's access token.
func TestToken_run_idTokenFlagIgnoresScopes(t *testing.T) {
	srv := startIdP(t)
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", adaPassword)
	r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName, "--output", "json"}, env: env})
	if r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	api := decodeToken(t, r)
	idt := runInProcess(t, invocation{args: []string{"token", "--id-token"}, env: env})
	printed := strings.TrimSpace(idt.stdout)
	if idt.code != exitOK || printed == "" || printed == api.AccessToken || strings.Count(printed, ".") != 2 {
		t.Fatalf("token --id-token: %s; want a JWT that is not the access token", idt)
	}
	var claims map[string]any
	payload := strings.Split(printed, ".")[1]
	if b, err := base64URL(payload); err != nil || json.Unmarshal(b, &claims) != nil || claims["aud"] != testClient {
		t.Fatalf("token --id-token printed a token whose claims are %v; want an ID token for %s", claims, testClient)
	}
}

// login without scopes asks for the reserved scopes only and prints the ID token.
func TestLogin_run_withoutScopesSignsIn(t *testing.T) {
	srv := startIdP(t)
	env := without(clientEnv(srv, t.TempDir()), "HEXAUTH_SCOPES")
	l := startLogin(t, env, "--username", adaName, "--output", "json")
	authURL := waitForURL(t, l.stderr.lines)
	u, _ := url.Parse(authURL)
	if got := u.Query().Get("scope"); got != "offline_access openid profile" {
		t.Fatalf("login without scopes asked for %q; want the reserved scopes only", got)
	}
	agent := useragent.New()
	defer agent.Close()
	agent.SetUser(adaName, adaPassword)
	if err := agent.Open(context.Background(), authURL); err != nil {
		t.Fatalf("sign in at the login form: %v", err)
	}
	if code := l.wait(t); code != exitOK {
		t.Fatalf("login exit %d; stderr:\n%s", code, l.stderr)
	}
	var tok tokenJSON
	if err := json.Unmarshal(l.stdout.Bytes(), &tok); err != nil || tok.IDToken == "" || tok.AccessToken != "" {
		t.Fatalf("login without scopes printed %s (%v); want the ID token only", l.stdout.String(), err)
	}
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
