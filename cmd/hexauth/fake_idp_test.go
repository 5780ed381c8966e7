package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// fakeIdPRun is a fake-idp running in process.
type fakeIdPRun struct {
	stdout, stderr *lineWriter
	cancel         context.CancelFunc
	done           chan int
	issuer         string
}

// startFakeIdP runs fake-idp with args until the test stops it.
func startFakeIdP(t *testing.T, args ...string) *fakeIdPRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeIdPRun{stdout: newLineWriter(), stderr: newLineWriter(), cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: f.stdout, stderr: f.stderr, lookup: mapLookup(nil)}
	go func() { f.done <- execute(ctx, append([]string{"fake-idp"}, args...), e) }()
	select {
	case f.issuer = <-f.stdout.lines:
	case code := <-f.done:
		t.Fatalf("fake-idp ended with exit %d before printing its issuer:\n%s", code, f.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("fake-idp printed no issuer within 30s")
	}
	t.Cleanup(func() { f.stop(t) })
	return f
}

// stop interrupts fake-idp and returns its exit code.
func (f *fakeIdPRun) stop(t *testing.T) int {
	t.Helper()
	f.cancel()
	select {
	case code := <-f.done:
		f.done <- code // for a later stop
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("fake-idp did not stop within 30s")
		return -1
	}
}

func TestFakeIdP_run_servesUntilInterrupted(t *testing.T) {
	f := startFakeIdP(t)
	resp, err := http.Get(f.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || resp.StatusCode != 200 || doc.Issuer != f.issuer {
		t.Fatalf("discovery: HTTP %d %s; want the issuer %s", resp.StatusCode, body, f.issuer)
	}
	if !strings.Contains(f.stderr.String(), "users: "+fakeDefaultUser) || strings.Contains(f.stderr.String(), fakeDefaultPassword) {
		t.Fatalf("notice %q; want the default user named and no password", f.stderr)
	}
	env := map[string]string{"HEXAUTH_CLIENT_ID": fakeDefaultClient, "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_SCOPES": "api://any/read",
		"HEXAUTH_CACHE": "memory:", "HEXAUTH_PASSWORD": fakeDefaultPassword}
	if r := runInProcess(t, invocation{args: []string{"ropc", "--username", fakeDefaultUser}, env: env}); r.code != exitOK {
		t.Fatalf("ropc against fake-idp's defaults: %s", r)
	}
	if code := f.stop(t); code != exitOK || !strings.Contains(f.stderr.String(), "stopped") {
		t.Fatalf("got exit %d, stderr %q; want a graceful stop", code, f.stderr)
	}
	if _, err := http.Get(f.issuer + "/.well-known/openid-configuration"); err == nil {
		t.Fatal("the server still answers after the stop")
	}
}

func TestFakeIdP_run_configFileAndFlags(t *testing.T) {
	file := writeFile(t, "idp.json", `{
		"users": [{"username": "grace@example.com", "password": "grace-pw", "name": "Grace"}],
		"clients": [{"id": "tool"}],
		"scopes": ["api://tool/read"],
		"token_lifetime": "10m",
		"faults": [{"grant": "password", "status": 401, "error": "invalid_client", "error_description": "scripted"}]
	}`)
	f := startFakeIdP(t, "--config", file, "--user", "linus@example.com:linus-pw", "--rotate-refresh-tokens")
	env := map[string]string{"HEXAUTH_CLIENT_ID": "tool", "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_SCOPES": "api://tool/read", "HEXAUTH_CACHE": "memory:"}
	first := runInProcess(t, invocation{args: []string{"ropc", "--username", "grace@example.com", "--output", "json"}, env: with(env, "HEXAUTH_PASSWORD", "grace-pw")})
	if first.code != exitRefused || decodeError(t, first).ErrorDescription != "scripted" {
		t.Fatalf("first ropc: got %s; want the scripted invalid_client (exit %d)", first, exitRefused)
	}
	for _, user := range []string{"grace@example.com:grace-pw", "linus@example.com:linus-pw"} {
		name, pw, _ := strings.Cut(user, ":")
		r := runInProcess(t, invocation{args: []string{"ropc", "--username", name, "--output", "json"}, env: with(env, "HEXAUTH_PASSWORD", pw)})
		if tok := decodeToken(t, r); r.code != exitOK || tok.ExpiresIn > 600 {
			t.Fatalf("ropc %s: got %s; want a 10-minute token", name, r)
		}
	}
}

func TestFakeIdP_run_refusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not loopback", []string{"--addr", "0.0.0.0:0"}, "loopback"},
		{"bad user", []string{"--user", "nopassword"}, "NAME:PASSWORD"},
		{"bad fault", []string{"--fault", `{"endpoint":"userinfo"}`}, "endpoint"},
		{"unknown fault key", []string{"--fault", `{"statuss":500}`}, "unknown field"},
		{"status not HTTP", []string{"--fault", `{"status":42}`}, "fault 1: status 42: want an HTTP status in 100..599"},
		{"status past 599", []string{"--fault", `{"status":600}`}, "status 600"},
		{"unknown grant", []string{"--fault", `{"grant":"device_code","status":500}`}, `fault 1: grant "device_code"`},
		{"grant on the discovery endpoint", []string{"--fault", `{"endpoint":"discovery","grant":"password","status":500}`}, "only token requests carry a grant"},
		{"bad lifetime", []string{"--token-lifetime", "forever"}, "token_lifetime"},
		{"unknown auto-approve user", []string{"--auto-approve", "nobody@example.com"}, "AutoApproveUser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, invocation{args: append([]string{"fake-idp"}, tc.args...)})
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("got %s; want exit %d mentioning %q", r, exitUsage, tc.want)
			}
		})
	}
}

func TestFakeIdP_run_refusesABadFaultInTheConfigFile(t *testing.T) {
	file := writeFile(t, "idp.json", `{"faults": [{"grant": "password", "status": 503}, {"grant": "refresh", "status": 500}]}`)
	r := runInProcess(t, invocation{args: []string{"fake-idp", "--config", file}})
	if r.code != exitUsage || !strings.Contains(r.stderr, `fault 2: grant "refresh"`) || r.stdout != "" {
		t.Fatalf("got %s; want exit %d naming fault 2's grant, and no issuer served", r, exitUsage)
	}
}

func TestFaultJSON_fault_converts(t *testing.T) {
	fj := faultJSON{Endpoint: "token", Grant: "refresh_token", Times: -1, Delay: "50ms", Status: 503, Body: "html",
		RetryAfter: "2s", IDToken: "wrong_nonce", Error: "temporarily_unavailable", ErrorCodes: []int{1}, EchoRequest: true}
	f, err := fj.fault()
	if err != nil {
		t.Fatal(err)
	}
	if f.Endpoint != idptest.EndpointToken || f.Grant != domain.GrantRefreshToken || f.Times != -1 || f.Delay != 50*time.Millisecond ||
		f.Status != 503 || f.Body != idptest.BodyHTML || f.RetryAfter != 2*time.Second || f.IDToken != idptest.IDTokenWrongNonce ||
		f.Error == nil || f.Error.Error != "temporarily_unavailable" || !f.EchoRequest {
		t.Fatalf("got %+v; want every field converted", f)
	}
	for _, ok := range []faultJSON{{Status: 100}, {Status: 599}, {Endpoint: "*", Grant: "client_credentials"}, {Grant: "authorization_code"}} {
		if _, err := ok.fault(); err != nil {
			t.Errorf("fault(%+v) = %v; want it accepted", ok, err)
		}
	}
	for _, bad := range []faultJSON{{Body: "xml"}, {IDToken: "tampered"}, {Delay: "later"}, {RetryAfter: "-1s"},
		{Status: 99}, {Status: -1}, {Grant: "PASSWORD"}, {Endpoint: "authorize", Grant: "password"}} {
		if _, err := bad.fault(); err == nil {
			t.Errorf("fault(%+v) = nil error; want a refusal", bad)
		}
	}
}

func TestFakeIdPFlags_merge_defaultsOnlyWhenNothingIsConfigured(t *testing.T) {
	var f fakeIdPFlags
	got, err := f.merge(fakeIdPFile{}, nil)
	if err != nil || len(got.Users) != 1 || got.Users[0].Username != fakeDefaultUser || len(got.Clients) != 1 || got.Clients[0].ID != fakeDefaultClient {
		t.Fatalf("got %+v, %v; want the default user and client", got, err)
	}
	f.clients = listFlag{"svc:svc-secret"}
	got, err = f.merge(fakeIdPFile{}, nil)
	if err != nil || len(got.Users) != 0 || len(got.Clients) != 1 || got.Clients[0].Secret != "svc-secret" {
		t.Fatalf("got %+v, %v; want only the confidential client given", got, err)
	}
}

func TestDocs_fakeIdPConfigExampleIsValid(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n{\n  \"addr\"")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/cli.md has no fake-idp config example")
	}
	path := writeFile(t, "example.json", "{\n  \"addr\""+block)
	file, err := readFakeIdPFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, faults, err := file.serverConfig()
	if err != nil || len(faults) != 2 {
		t.Fatalf("got %d faults, %v; want the example's 2 faults", len(faults), err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the example's configuration: %v", err)
	}
}

func TestFakeIdPFile_serverConfig_omitIDTokenOnRefresh(t *testing.T) {
	file, err := readFakeIdPFile(writeFile(t, "idp.json", `{"omit_id_token_on_refresh": true}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := file.serverConfig()
	if err != nil || !cfg.Provider.OmitIDTokenOnRefresh {
		t.Fatalf("serverConfig() = OmitIDTokenOnRefresh %t, %v; want true", cfg.Provider.OmitIDTokenOnRefresh, err)
	}
}
