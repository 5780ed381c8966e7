package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// startDeviceIdP is startIdP polled every second (the engine's minimum), so that the
// binary's real waits stay short; lifetime 0 keeps the provider's default.
func startDeviceIdP(t *testing.T, lifetime time.Duration) *idptest.Server {
	t.Helper()
	return idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:          []idptest.User{{Username: adaName, Password: adaPassword, Name: "Ada"}},
		Clients:        []idptest.Client{{ID: testClient}},
		Scopes:         []string{testScope},
		DeviceInterval: time.Second, DeviceCodeLifetime: lifetime,
	}})
}

var userCodeRE = regexp.MustCompile(`enter the code ([A-Z]{4}-[A-Z]{4})`)

// deviceLoginBinary runs `hexauth login --device-code` and, once the message with the
// user code is on stderr, calls decide with it; it returns the outcome.
func deviceLoginBinary(t *testing.T, env map[string]string, decide func(userCode string), extra ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := binaryCommand(t, ctx, invocation{args: append([]string{"login", "--device-code"}, extra...), env: env})
	var stdout bytes.Buffer
	stderr := newLineWriter()
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for line := range stderr.lines {
			if m := userCodeRE.FindStringSubmatch(line); m != nil {
				decide(m[1])
				return
			}
		}
	}()
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("login --device-code: %v", err)
	}
	stderr.mu.Lock()
	out := stderr.buf.String()
	stderr.mu.Unlock()
	return result{code: code, stdout: stdout.String(), stderr: out}
}

func TestBinary_loginDeviceCode_approved(t *testing.T) {
	srv := startDeviceIdP(t, 0)
	env := clientEnv(srv, t.TempDir())
	r := deviceLoginBinary(t, env, func(code string) {
		if err := srv.ApproveDevice(code, adaName); err != nil {
			t.Errorf("approve: %v", err)
		}
	}, "--output", "json")
	if r.code != exitOK {
		t.Fatalf("got %s; want exit 0", r)
	}
	if tok := decodeToken(t, r); tok.TokenSource != "identity_provider" || tok.IDTokenClaims["preferred_username"] != adaName {
		t.Fatalf("stdout = %s; want only ada's token result", r.stdout)
	}
	if !strings.Contains(r.stderr, srv.URL()+"/device") || strings.Contains(r.stdout, "enter the code") {
		t.Errorf("the message must be on stderr only; stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	}
	hit := runBinary(t, invocation{args: []string{"token", "--output", "json"}, env: env})
	if got := decodeToken(t, hit); hit.code != exitOK || got.TokenSource != "cache" {
		t.Fatalf("token after login --device-code: got %s; want a cache hit", hit)
	}
}

func TestBinary_loginDeviceCode_deniedExits4(t *testing.T) {
	srv := startDeviceIdP(t, 0)
	env := clientEnv(srv, t.TempDir())
	r := deviceLoginBinary(t, env, func(code string) { _ = srv.DenyDevice(code) }, "--output", "json")
	if r.code != exitRefused {
		t.Fatalf("got %s; want exit %d", r, exitRefused)
	}
	if e := decodeError(t, r); e.Error != "access_denied" || e.ErrorClass != "access_denied" {
		t.Errorf("got %+v; want access_denied", e)
	}
}

func TestBinary_loginDeviceCode_expiredExits3(t *testing.T) {
	srv := startDeviceIdP(t, 2*time.Second)
	r := deviceLoginBinary(t, clientEnv(srv, t.TempDir()), func(string) {}, "--output", "json")
	if r.code != exitInteraction {
		t.Fatalf("got %s; want exit %d", r, exitInteraction)
	}
	if e := decodeError(t, r); e.ErrorClass != "device_code_expired" {
		t.Errorf("got %+v; want error_class device_code_expired", e)
	}
}

func TestLogin_deviceCode_refusesRedirectFlags(t *testing.T) {
	srv := startDeviceIdP(t, 0)
	r := runInProcess(t, invocation{args: []string{"login", "--device-code", "--redirect-port", "8400"}, env: clientEnv(srv, t.TempDir())})
	if r.code != exitUsage || srv.EndpointRequests(idptest.EndpointAny) != 0 {
		t.Fatalf("got %s; want exit 2 before any request", r)
	}
}

// The provider's message is printed escaped: a provider cannot drive the terminal.
func TestLogin_deviceCode_messageEscaped(t *testing.T) {
	srv := startDeviceIdP(t, 2*time.Second)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDevice, Status: 200, Body: idptest.BodyRaw, RawBody: []byte(`{"device_code":"dc","user_code":"ABCD-EFGH",` +
		`"verification_uri":"https://idp.example/device","expires_in":2,"interval":1,"message":"go \u001b]0;pwned\u0007 now"}`)})
	r := runInProcess(t, invocation{args: []string{"login", "--device-code"}, env: clientEnv(srv, t.TempDir())})
	if strings.ContainsRune(r.stderr, 0x1b) || strings.ContainsRune(r.stderr, 0x07) || !strings.Contains(r.stderr, `go \x1b]0;pwned\x07 now`) {
		t.Fatalf("stderr = %q; want the message with its control characters escaped", r.stderr)
	}
}

// `hexauth fake-idp` serves the device flow: login --device-code against it, the user
// approving on its /device page over HTTP (code, username, password, Approve).
func TestFakeIdP_loginDeviceCode_approvedOnTheDevicePage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "idp.json")
	if err := os.WriteFile(file, []byte(`{"device_interval": "1s", "users": [{"username": "ada@example.com", "password": "ada-password"}],
		"clients": [{"id": "hexauth-cli"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f := startFakeIdP(t, "--config", file)
	env := map[string]string{"HEXAUTH_CLIENT_ID": "hexauth-cli", "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_SCOPES": "read",
		"HEXAUTH_CACHE": filepath.Join(t.TempDir(), "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag}
	r := deviceLoginBinary(t, env, func(code string) {
		resp, err := http.PostForm(f.issuer+"/device", url.Values{"user_code": {code}, "username": {"ada@example.com"},
			"password": {"ada-password"}, "decision": {"approve"}})
		if err != nil {
			t.Errorf("device page: %v", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("device page answered %d; want 200", resp.StatusCode)
		}
	}, "--output", "json")
	if tok := decodeToken(t, r); r.code != exitOK || tok.IDTokenClaims["preferred_username"] != "ada@example.com" {
		t.Fatalf("got %s; want ada signed in", r)
	}
}
