package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// The tests below run the built binary end to end against a fake provider started
// in process.

func TestBinary_flows_everySubcommandAndExitCode(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	exported := filepath.Join(t.TempDir(), "export.json")
	steps := []struct {
		name     string
		inv      invocation
		wantCode int
		check    func(t *testing.T, r result)
	}{
		{"version", invocation{args: []string{"version"}}, exitOK, func(t *testing.T, r result) {
			if !strings.HasPrefix(r.stdout, "hexauth ") {
				t.Errorf("got %q; want a version line", r.stdout)
			}
		}},
		{"usage", invocation{args: []string{"ropc", "--frobnicate"}, env: env}, exitUsage, nil},
		{"nothing cached yet", invocation{args: []string{"token"}, env: env}, exitInteraction, nil},
		{"wrong password", invocation{args: []string{"ropc", "--username", adaName, "--password-stdin"}, env: env, stdin: "wrong\n"}, exitRefused, nil},
		{"mfa required", invocation{args: []string{"ropc", "--username", mfaName, "--password-stdin", "--output", "json"}, env: env, stdin: mfaPassword + "\n"}, exitInteraction,
			func(t *testing.T, r result) {
				if e := decodeError(t, r); e.Error != "invalid_grant" || e.ErrorClass != "interaction_required" || e.SubError != "basic_action" || e.Claims == "" {
					t.Errorf("got %+v; want MSAL Python's invalid_grant with suberror and claims, class interaction_required", e)
				}
			}},
		{"ropc", invocation{args: []string{"ropc", "--username", adaName, "--password-stdin", "--output", "json"}, env: env, stdin: adaPassword + "\n"}, exitOK,
			wantSource("identity_provider")},
		{"token from the cache", invocation{args: []string{"token", "--output", "json"}, env: env}, exitOK, wantSource("cache")},
		{"token --force-refresh", invocation{args: []string{"token", "--force-refresh", "--output", "json"}, env: env}, exitOK, wantSource("identity_provider")},
		{"refresh", invocation{args: []string{"refresh", "--output", "json"}, env: with(env, "HEXAUTH_REFRESH_TOKEN", refreshTokenFor(t, srv))}, exitOK,
			wantSource("identity_provider")},
		{"accounts list", invocation{args: []string{"accounts", "list", "--output", "json"}, env: env}, exitOK, func(t *testing.T, r result) {
			var list []accountJSON
			if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0].Username != adaName {
				t.Errorf("got %s (%v); want ada's account", r.stdout, err)
			}
		}},
		{"cache export", invocation{args: []string{"cache", "export", "--file", exported}, env: env}, exitOK, func(t *testing.T, r result) {
			if info, err := os.Stat(exported); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("exported file: %v; want mode 0600", err)
			}
		}},
		{"accounts remove", invocation{args: []string{"accounts", "remove", "--username", adaName}, env: env}, exitOK, nil},
		{"token after remove", invocation{args: []string{"token", "--output", "json"}, env: env}, exitInteraction, func(t *testing.T, r result) {
			if e := decodeError(t, r); e.Error != "no_tokens" || e.ErrorClass != "no_tokens" {
				t.Errorf("got %+v; want error and error_class no_tokens", e)
			}
		}},
		{"cache import of a bad document", invocation{args: []string{"cache", "import", "-"}, env: env, stdin: "{"}, exitUsage, nil},
		{"cache import", invocation{args: []string{"cache", "import", exported}, env: env}, exitOK, func(t *testing.T, r result) {
			if !strings.HasPrefix(r.stdout, "read 1 account,") || !strings.HasSuffix(r.stdout, " from the document\n") {
				t.Errorf("got %q; want the import summary", r.stdout)
			}
		}},
		{"token after import", invocation{args: []string{"token", "--output", "json"}, env: env}, exitOK, wantSource("cache")},
	}
	for _, st := range steps { // in order: each step builds on the cache the previous ones left
		r := runBinary(t, st.inv)
		if r.code != st.wantCode {
			t.Fatalf("%s: got %s; want exit %d", st.name, r, st.wantCode)
		}
		if st.check != nil {
			t.Run(st.name, func(t *testing.T) { st.check(t, r) })
		}
	}
}

// wantSource checks that a JSON token result came from source.
func wantSource(source string) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		if tok := decodeToken(t, r); tok.TokenSource != source || tok.AccessToken == "" {
			t.Errorf("got %+v; want a token from %s", tok, source)
		}
		if strings.Contains(r.stdout, "refresh_token") {
			t.Errorf("the result mentions a refresh token: %s", r.stdout)
		}
	}
}

func TestBinary_flows_unavailableProviderExits5(t *testing.T) {
	srv := startIdP(t)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointAny, Status: 503, RetryAfter: 10 * time.Minute, Times: -1})
	r := runBinary(t, invocation{args: []string{"ropc", "--username", adaName}, env: with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", adaPassword)})
	if r.code != exitUnavailable {
		t.Fatalf("got %s; want exit %d", r, exitUnavailable)
	}
}

func TestBinary_cache_defaultIsPrivateUnderUserCacheDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CACHE_HOME decides os.UserCacheDir on Linux only")
	}
	srv := startIdP(t)
	cacheHome := t.TempDir()
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", adaPassword, "XDG_CACHE_HOME", cacheHome)
	delete(env, "HEXAUTH_CACHE")
	if r := runBinary(t, invocation{args: []string{"ropc", "--username", adaName}, env: env}); r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	dir, file := filepath.Join(cacheHome, "hexauth"), filepath.Join(cacheHome, "hexauth", "tokens.db")
	checkModes := func(when string) {
		t.Helper()
		for path, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
			info, err := os.Stat(path)
			if err != nil || info.Mode().Perm() != want {
				t.Fatalf("%s: %s: %v, mode %v; want %v", when, path, err, info.Mode().Perm(), want)
			}
		}
	}
	checkModes("created")
	// Left wider by an older hexauth, a copy or a umask: the next command narrows them.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runBinary(t, invocation{args: []string{"token"}, env: env}); r.code != exitOK {
		t.Fatalf("token: %s", r)
	}
	checkModes("existing, wider")
}

func TestBinary_login_noBrowserCompletedOverHTTP(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	tok, _ := loginOverHTTP(t, env)
	if tok.IDTokenClaims["preferred_username"] != adaName {
		t.Fatalf("login result claims %v; want ada's token", tok.IDTokenClaims)
	}
}

func TestBinary_demo_exitsZeroWithATranscript(t *testing.T) {
	r := runBinary(t, invocation{args: []string{"demo"}})
	if r.code != exitOK {
		t.Fatalf("demo: %s", r)
	}
	for _, st := range (&demo{}).steps() {
		if !strings.Contains(r.stdout, st.name+" ") {
			t.Errorf("the transcript does not mention %q", st.name)
		}
	}
}

// fakeIdPBinary is the built binary's fake-idp, running until stopped.
type fakeIdPBinary struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	issuer string
}

// startFakeIdPBinary runs the binary's fake-idp with args and reads its issuer line.
// The process is killed at the end of the test if it is still running.
func startFakeIdPBinary(t *testing.T, ctx context.Context, args ...string) *fakeIdPBinary {
	t.Helper()
	cmd := binaryCommand(t, ctx, invocation{args: append([]string{"fake-idp"}, args...)})
	f := &fakeIdPBinary{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = f.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	issuer, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the issuer: %v", err)
	}
	f.issuer = strings.TrimSpace(issuer)
	return f
}

// stop interrupts fake-idp and waits for it to end.
func (f *fakeIdPBinary) stop(t *testing.T) error {
	t.Helper()
	if err := f.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	return f.cmd.Wait()
}

func TestBinary_fakeIdP_gracefulOnSIGINT(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := startFakeIdPBinary(t, ctx)
	resp, err := http.Get(f.issuer + "/.well-known/openid-configuration")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery at %s: %v", f.issuer, err)
	}
	resp.Body.Close()
	if err := f.stop(t); err != nil {
		t.Fatalf("fake-idp after SIGINT: %v; stderr %s", err, f.stderr.String())
	}
	if !strings.Contains(f.stderr.String(), "stopped") {
		t.Fatalf("stderr %q; want the stop notice", f.stderr.String())
	}
}

func TestBinary_fakeIdP_badIDTokenExits1(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := startFakeIdPBinary(t, ctx, "--user", adaName+":"+adaPassword, "--client", testClient,
		"--fault", `{"grant":"password","id_token":"wrong_signature"}`)
	env := map[string]string{"HEXAUTH_CLIENT_ID": testClient, "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_SCOPES": testScope,
		"HEXAUTH_CACHE": filepath.Join(t.TempDir(), "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag, "HEXAUTH_PASSWORD": adaPassword}
	r := runBinary(t, invocation{args: []string{"ropc", "--username", adaName, "--output", "json"}, env: env})
	if r.code != exitFailure {
		t.Fatalf("ropc given an ID token with a forged signature: got %s; want exit %d", r, exitFailure)
	}
	if e := decodeError(t, r); e.Error != "invalid_id_token" || e.ErrorClass != "invalid_id_token" {
		t.Errorf("got %+v; want error and error_class invalid_id_token", e)
	}
	if strings.Contains(r.stdout+r.stderr, adaPassword) || strings.Contains(r.stdout, "access_token") {
		t.Errorf("a refused sign-in printed the password or a token:\n%s", r)
	}
	if list := runBinary(t, invocation{args: []string{"accounts", "list"}, env: env}); list.code != exitOK || list.stdout != "" {
		t.Errorf("accounts after the refused sign-in: got %s; want none cached", list)
	}
	if again := runBinary(t, invocation{args: []string{"ropc", "--username", adaName}, env: env}); again.code != exitOK {
		t.Errorf("ropc once the fault is spent: got %s; want success", again)
	}
	if err := f.stop(t); err != nil {
		t.Fatalf("fake-idp after SIGINT: %v; stderr %s", err, f.stderr.String())
	}
}
