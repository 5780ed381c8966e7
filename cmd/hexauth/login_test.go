package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
)

// loginRun is a login running in process.
type loginRun struct {
	stdout bytes.Buffer
	stderr *lineWriter
	done   chan int
}

// startLogin runs login --no-browser with args in a goroutine.
func startLogin(t *testing.T, vars map[string]string, args ...string) *loginRun {
	t.Helper()
	l := &loginRun{stderr: newLineWriter(), done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: &l.stdout, stderr: l.stderr, lookup: mapLookup(vars)}
	go func() {
		l.done <- execute(context.Background(), append([]string{"login", "--no-browser"}, args...), e)
	}()
	return l
}

// wait returns login's exit code.
func (l *loginRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-l.done:
		return code
	case <-time.After(time.Minute):
		t.Fatal("login did not end within a minute")
		return -1
	}
}

func TestLogin_run_signInThroughTheLoginForm(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	l := startLogin(t, env, "--username", adaName, "--output", "json")
	authURL := waitForURL(t, l.stderr.lines)
	u, _ := url.Parse(authURL)
	q := u.Query()
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("code_challenge_method") != "S256" || q.Get("login_hint") != adaName {
		t.Fatalf("authorization URL query %v; want a loopback redirect, PKCE S256 and the login hint", q)
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
	if err := json.Unmarshal(l.stdout.Bytes(), &tok); err != nil || tok.TokenSource != "identity_provider" || tok.IDTokenClaims["preferred_username"] != adaName {
		t.Fatalf("login result %s (%v); want ada's token from the provider", l.stdout.String(), err)
	}
	if srv.Requests(domain.GrantAuthorizationCode) != 1 {
		t.Fatalf("got %d authorization code grants; want 1", srv.Requests(domain.GrantAuthorizationCode))
	}
	hit := runInProcess(t, invocation{args: []string{"token", "--output", "json"}, env: env})
	if got := decodeToken(t, hit); hit.code != exitOK || got.TokenSource != "cache" {
		t.Fatalf("token after login: got %s; want a cache hit", hit)
	}
}

func TestLogin_run_noRedirectBeforeTimeoutIsInteractionRequired(t *testing.T) {
	srv := startIdP(t)
	l := startLogin(t, with(clientEnv(srv, t.TempDir()), "HEXAUTH_TIMEOUT", "3s"))
	authURL := waitForURL(t, l.stderr.lines)
	agent := useragent.New()
	defer agent.Close()
	agent.SetUser(adaName, "not-the-password")
	err := agent.Open(context.Background(), authURL)
	if err == nil || !strings.Contains(err.Error(), "refused the username or password") || strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("got %v; want the login form's refusal, without the password", err)
	}
	if code := l.wait(t); code != exitInteraction {
		t.Fatalf("login exit %d; want %d; stderr:\n%s", code, exitInteraction, l.stderr)
	}
}

func TestLogin_run_consentDeniedIsRefused(t *testing.T) {
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: "carol@example.com", Password: "carol-pw", DeniesConsent: true}},
		Clients: []idptest.Client{{ID: testClient}},
	}})
	l := startLogin(t, clientEnv(srv, t.TempDir()), "--output", "json")
	agent := useragent.New()
	defer agent.Close()
	agent.SetUser("carol@example.com", "carol-pw")
	if err := agent.Open(context.Background(), waitForURL(t, l.stderr.lines)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if code := l.wait(t); code != exitRefused || !strings.Contains(l.stdout.String(), `"error": "access_denied"`) {
		t.Fatalf("login exit %d, stdout %s; want %d and access_denied", code, l.stdout.String(), exitRefused)
	}
}

func TestCLIBrowser_Open_printsURLAndSSHHint(t *testing.T) {
	var out bytes.Buffer
	b := &cliBrowser{w: &out}
	authURL := "http://127.0.0.1:9/authorize?redirect_uri=" + url.QueryEscape("http://127.0.0.1:53682/")
	if err := b.Open(context.Background(), authURL); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n"+authURL+"\n") || !strings.Contains(out.String(), "ssh -L 53682:127.0.0.1:53682") {
		t.Fatalf("got %q; want the URL on its own line and the port-forwarding hint", out.String())
	}
}
