package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
)

// signInAda caches ada's tokens in env's cache with ropc.
func signInAda(t *testing.T, env map[string]string) tokenJSON {
	t.Helper()
	r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName, "-o", "json"}, env: with(env, "HEXAUTH_PASSWORD", adaPassword)})
	if r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	return decodeToken(t, r)
}

func TestToken_execCredential_isAKubernetesExecCredential(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	tok := signInAda(t, env)
	r := runInProcess(t, invocation{args: []string{"token", "--exec-credential"}, env: env})
	if r.code != exitOK {
		t.Fatalf("token --exec-credential: %s", r)
	}
	var ec map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&ec); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	status, _ := ec["status"].(map[string]any)
	if ec["kind"] != "ExecCredential" || ec["apiVersion"] != "client.authentication.k8s.io/v1" || status["token"] != tok.AccessToken {
		t.Fatalf("got %v; want a v1 ExecCredential whose status.token is the cached access token", ec)
	}
	exp, err := time.Parse(time.RFC3339, status["expirationTimestamp"].(string))
	if err != nil || exp.Before(time.Now().Add(50*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("expirationTimestamp %v (%v); want RFC 3339, about an hour ahead", status["expirationTimestamp"], err)
	}
	if want, _ := time.Parse(time.RFC3339, tok.ExpiresOn); !exp.Equal(want) {
		t.Fatalf("expirationTimestamp %v; want the JSON result's expires_on %s", exp, tok.ExpiresOn)
	}
}

func TestToken_idToken_printsTheRawIDToken(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	signInAda(t, env)
	r := runInProcess(t, invocation{args: []string{"token", "--id-token"}, env: env})
	parts := strings.Split(strings.TrimSpace(r.stdout), ".")
	if r.code != exitOK || len(parts) != 3 {
		t.Fatalf("token --id-token: got %s; want a JWT", r)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims["preferred_username"] != adaName || claims["aud"] != testClient {
		t.Fatalf("ID token claims %s (%v); want ada's ID token for %s", payload, err, testClient)
	}
	ec := runInProcess(t, invocation{args: []string{"token", "--id-token", "--exec-credential"}, env: env})
	if ec.code != exitOK || !strings.Contains(ec.stdout, `"token": "`+strings.TrimSpace(r.stdout)+`"`) {
		t.Fatalf("token --id-token --exec-credential: got %s; want the ID token in status.token", ec)
	}
}

// TestToken_interactive_parallelCallsOpenOneBrowser runs three token --interactive
// processes on an empty cache, as kubectl does for parallel commands: one prints the
// sign-in URL, the others wait for it and then use its tokens.
func TestToken_interactive_parallelCallsOpenOneBrowser(t *testing.T) {
	srv := startIdP(t)
	dir := t.TempDir()
	env := with(clientEnv(srv, dir), "HEXAUTH_TIMEOUT", "", "XDG_CACHE_HOME", filepath.Join(dir, "xdg"))
	delete(env, "HEXAUTH_TIMEOUT")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 3
	type proc struct {
		cmd    *exec.Cmd
		stdout bytes.Buffer
		stderr *lineWriter
	}
	procs := make([]*proc, n)
	urls := make(chan string, n)
	for i := range procs {
		p := &proc{stderr: newLineWriter()}
		p.cmd = binaryCommand(t, ctx, invocation{args: []string{"token", "--interactive", "--no-browser", "--exec-credential"}, env: env})
		p.cmd.Stdout, p.cmd.Stderr = &p.stdout, p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for line := range p.stderr.lines {
				if l := strings.TrimSpace(line); strings.HasPrefix(l, "http://") {
					urls <- l
				}
			}
		}()
		procs[i] = p
	}
	var authURL string
	select {
	case authURL = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("no process printed a sign-in URL")
	}
	agent := useragent.New()
	defer agent.Close()
	agent.SetUser(adaName, adaPassword)
	if err := agent.Open(ctx, authURL); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	var token string
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\nstderr:\n%s", i, err, p.stderr)
		}
		var ec execCredential
		if err := json.Unmarshal(p.stdout.Bytes(), &ec); err != nil || ec.Status.Token == "" {
			t.Fatalf("process %d printed %q (%v); want an ExecCredential", i, p.stdout.String(), err)
		}
		if token != "" && ec.Status.Token != token {
			t.Fatalf("process %d got another token: two sign-ins", i)
		}
		token = ec.Status.Token
	}
	printed := 0
	for _, p := range procs {
		printed += strings.Count(p.stderr.String(), "Open this URL in a browser")
	}
	if printed != 1 || srv.Requests(domain.GrantAuthorizationCode) != 1 {
		t.Fatalf("%d processes printed a sign-in URL and the provider redeemed %d codes; want 1 and 1", printed, srv.Requests(domain.GrantAuthorizationCode))
	}
}

func TestToken_interactive_isRefusedWithApp(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"token", "--app", "--interactive", "--client-id", webClient, "--authority", "http://127.0.0.1:1", "--scopes", "s", "--cache", "memory:"},
		env: map[string]string{"HEXAUTH_CLIENT_SECRET": webSecret}})
	if r.code != exitUsage || !strings.Contains(r.stderr, "--app gets the application's own token") {
		t.Fatalf("got %s; want exit 2", r)
	}
}
