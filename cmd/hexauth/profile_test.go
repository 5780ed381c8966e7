package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeDefaultConfig writes content as the default config file of a user whose home
// is home, and returns the environment that names that home.
func writeDefaultConfig(t *testing.T, home, content string) map[string]string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the default config path under test is Linux's (XDG_CONFIG_HOME)")
	}
	dir := filepath.Join(home, "xdg-config", "hexauth")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg-config")}
}

// showConfig runs config show -o json.
func showConfig(t *testing.T, env map[string]string, args ...string) configShowJSON {
	t.Helper()
	r := runInProcess(t, invocation{args: append([]string{"config", "show", "-o", "json"}, args...), env: env})
	var out configShowJSON
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("config show: %s", r)
	}
	return out
}

func TestConfig_precedence_flagsEnvConfigDefaultFile(t *testing.T) {
	home := t.TempDir()
	env := writeDefaultConfig(t, home, `{"client_id": "from-default", "authority": "https://default.example", "partition": "p-default", "username": "u-default", "scopes": "s-default"}`)
	explicit := writeFile(t, "explicit.json", `{"authority": "https://explicit.example", "partition": "p-explicit", "username": "u-explicit"}`)
	env = with(env, "HEXAUTH_CONFIG", explicit, "HEXAUTH_PARTITION", "p-env", "HEXAUTH_USERNAME", "u-env")
	got := showConfig(t, env, "--username", "u-flag")
	def := filepath.Join(home, "xdg-config", "hexauth", "config.json")
	want := map[string]settingShowJSON{
		"client_id": {"from-default", "file " + def},
		"authority": {"https://explicit.example", "file " + explicit},
		"partition": {"p-env", "env HEXAUTH_PARTITION"},
		"username":  {"u-flag", "flag --username"},
		"scopes":    {"s-default", "file " + def},
		"timeout":   {"", "default"},
	}
	for k, w := range want {
		if got.Settings[k] != w {
			t.Errorf("%s = %+v; want %+v", k, got.Settings[k], w)
		}
	}
	if len(got.Files) != 2 || got.Files[0] != def || got.Files[1] != explicit {
		t.Errorf("files = %v; want the default file, then --config's", got.Files)
	}
}

func TestConfig_profiles(t *testing.T) {
	env := writeDefaultConfig(t, t.TempDir(), `{"client_id": "personal", "authority": "https://a.example",
		"profiles": {"work": {"client_id": "work-app", "authority": "https://login.work.example"}}}`)
	if got := showConfig(t, env); got.Settings["client_id"].Value != "personal" {
		t.Fatalf("no profile: client_id %+v; want the top level's", got.Settings["client_id"])
	}
	got := showConfig(t, env, "--profile", "work")
	if got.Settings["client_id"].Value != "work-app" || !strings.HasSuffix(got.Settings["client_id"].Source, "profile work") || got.Profile != "work" {
		t.Fatalf("--profile work: %+v; want work's client id, sourced to the profile", got)
	}
	if got := showConfig(t, with(env, "HEXAUTH_PROFILE", "work")); got.Settings["authority"].Value != "https://login.work.example" {
		t.Fatalf("HEXAUTH_PROFILE=work: authority %+v; want work's", got.Settings["authority"])
	}
	r := runInProcess(t, invocation{args: []string{"token", "--profile", "home", "--cache", "memory:"}, env: env})
	if r.code != exitUsage || !strings.Contains(r.stderr, `profile "home" is in no config file`) {
		t.Fatalf("an unknown profile: got %s; want exit 2, not the defaults", r)
	}
	bad := writeDefaultConfig(t, t.TempDir(), `{"profiles": {"work": {"client_secret": "s3cr3t"}}}`)
	if r := runInProcess(t, invocation{args: []string{"config", "show"}, env: bad}); r.code != exitUsage || strings.Contains(r.stderr, "s3cr3t") || !strings.Contains(r.stderr, "use HEXAUTH_CLIENT_SECRET") {
		t.Fatalf("a secret in a profile: got %s; want exit 2 without the value", r)
	}
}

func TestConfigShow_neverShowsASecret(t *testing.T) {
	env := map[string]string{"HEXAUTH_CLIENT_SECRET": "cs-value", "HEXAUTH_PASSWORD": "pw-value", "HEXAUTH_CACHE": "postgres://u:pg-value@db/x"}
	for _, args := range [][]string{{"config", "show"}, {"config", "show", "-o", "json"}} {
		r := runInProcess(t, invocation{args: args, env: env})
		if r.code != exitOK || strings.Contains(r.stdout+r.stderr, "-value") || !strings.Contains(r.stdout, "HEXAUTH_CLIENT_SECRET") {
			t.Fatalf("%v: got %s; want where the secrets are set, never their values", args, r)
		}
	}
}

func TestConfig_defaultFileServesACommand(t *testing.T) {
	srv := startIdP(t)
	dir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"client_id": testClient, "authority": srv.Issuer(), "scopes": []string{testScope},
		"cache": filepath.Join(dir, "tokens.db"), "username": adaName})
	env := with(writeDefaultConfig(t, dir, string(cfg)), "HEXAUTH_PASSWORD", adaPassword)
	if r := runInProcess(t, invocation{args: []string{"ropc"}, env: env}); r.code != exitOK {
		t.Fatalf("ropc with only the default config file: %s", r)
	}
	if r := runInProcess(t, invocation{args: []string{"token", "-o", "json"}, env: env}); r.code != exitOK || decodeToken(t, r).TokenSource != "cache" {
		t.Fatalf("token with only the default config file: %s", r)
	}
}
