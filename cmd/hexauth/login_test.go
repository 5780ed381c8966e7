package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
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

// freePort returns a loopback port nothing listened on a moment ago. Another process
// may take it before the test does: callers retry on exit 5.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// urlOrExit returns the sign-in URL login printed, or its exit code when it ended
// before printing one.
func (l *loginRun) urlOrExit(t *testing.T) (string, int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-l.stderr.lines:
			if s := strings.TrimSpace(line); strings.HasPrefix(s, "http://") {
				return s, -1
			}
		case code := <-l.done:
			return "", code
		case <-timeout:
			t.Fatal("login printed no sign-in URL and did not end within 30s")
		}
	}
}

// A provider that registers the exact redirect URI, port included: login on that port
// signs in, and the provider refuses any other port.
func TestLogin_run_fixedRedirectPort(t *testing.T) {
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		redirectURI := fmt.Sprintf("http://127.0.0.1:%d/", port)
		srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
			Users:   []idptest.User{{Username: adaName, Password: adaPassword}},
			Clients: []idptest.Client{{ID: testClient, RedirectURIs: []string{redirectURI}}},
			Scopes:  []string{testScope},
		}})
		env := clientEnv(srv, t.TempDir())
		l := startLogin(t, env, "--redirect-port", strconv.Itoa(port), "--output", "json")
		authURL, code := l.urlOrExit(t)
		if code == exitUnavailable && attempt < 3 {
			continue // another process took the port between the probe and login
		}
		if authURL == "" {
			t.Fatalf("login --redirect-port %d exit %d before a sign-in URL; stderr:\n%s", port, code, l.stderr)
		}
		u, _ := url.Parse(authURL)
		if got := u.Query().Get("redirect_uri"); got != redirectURI {
			t.Fatalf("redirect_uri = %q; want %q", got, redirectURI)
		}
		agent := useragent.New()
		defer agent.Close()
		agent.SetUser(adaName, adaPassword)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		other := *u
		q := u.Query()
		q.Set("redirect_uri", fmt.Sprintf("http://127.0.0.1:%d/", port%65535+1))
		other.RawQuery = q.Encode()
		if _, err := agent.Authorize(ctx, other.String()); err == nil || !strings.Contains(err.Error(), "does not match the redirect URIs") {
			t.Fatalf("authorize with another port: %v; want the provider to refuse a redirect URI not registered exactly", err)
		}
		if err := agent.Open(ctx, authURL); err != nil {
			t.Fatalf("sign in: %v", err)
		}
		if code := l.wait(t); code != exitOK {
			t.Fatalf("login exit %d; stderr:\n%s", code, l.stderr)
		}
		var tok tokenJSON
		if err := json.Unmarshal(l.stdout.Bytes(), &tok); err != nil || tok.TokenSource != "identity_provider" {
			t.Fatalf("login result %s (%v); want a token from the provider", l.stdout.String(), err)
		}
		return
	}
}

func TestLogin_run_redirectPortInUseIsUnavailable(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	srv := startIdP(t)
	r := runInProcess(t, invocation{args: []string{"login", "--no-browser", "--output", "json"},
		env: with(clientEnv(srv, t.TempDir()), "HEXAUTH_REDIRECT_PORT", port)})
	if r.code != exitUnavailable || !strings.Contains(r.stdout, `"error": "unavailable"`) {
		t.Fatalf("login with port %s taken: got %s; want exit %d and error unavailable", port, r, exitUnavailable)
	}
	if !strings.Contains(r.stderr, "cannot listen on port "+port) || strings.Contains(r.stderr, "try again later") {
		t.Fatalf("stderr %q; want the port named and the remedy for a taken port, not for an unreachable provider", r.stderr)
	}
	if strings.Contains(r.stderr, "Open this URL") {
		t.Fatalf("stderr %q; want no sign-in started on a port that cannot be listened on", r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, "WithRedirectPort") {
		t.Fatalf("got %s; want no Go option name in a command's messages (issue 15)", r)
	}
}

func TestLogin_run_badRedirectPortIsUsage(t *testing.T) {
	srv := startIdP(t)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		file string
	}{
		{name: "not a number", args: []string{"--redirect-port", "http"}},
		{name: "zero", args: []string{"--redirect-port", "0"}},
		{name: "above 65535 in the environment", env: []string{"HEXAUTH_REDIRECT_PORT", "65536"}},
		{name: "negative in the environment", env: []string{"HEXAUTH_REDIRECT_PORT", "-8400"}},
		{name: "out of range in the config file", file: `{"redirect_port": 70000}`},
		{name: "not an integer in the config file", file: `{"redirect_port": 8400.5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := with(clientEnv(srv, t.TempDir()), tc.env...)
			if tc.file != "" {
				env["HEXAUTH_CONFIG"] = writeFile(t, "hexauth.json", tc.file)
			}
			r := runInProcess(t, invocation{args: append([]string{"login", "--no-browser"}, tc.args...), env: env})
			if r.code != exitUsage || !strings.Contains(r.stderr, "--redirect-port") || strings.Contains(r.stderr, "Open this URL") {
				t.Fatalf("got %s; want exit %d naming --redirect-port, before any sign-in", r, exitUsage)
			}
		})
	}
}
