package main

import (
	"errors"

	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/spf13/pflag"
)

// loadWith parses args into a flag set with every client setting and loads the
// settings with the environment envVars.
func loadWith(t *testing.T, args []string, envVars map[string]string) (settings, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cf := addConfigFlags(fs, append(slices.Clone(clientSettings), setScopes, setUsername, setRedirectPort)...)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cf.load(&env{lookup: mapLookup(envVars)})
}

// writeFile writes content to a new file in t's temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfig_load_flagsWinOverEnvironmentOverFile(t *testing.T) {
	file := writeFile(t, "hexauth.json", `{"client_id": "from-file", "authority": "https://file.example.com",
		"partition": "file-partition", "scopes": ["a", "b"], "username": "file@example.com", "verbose": true}`)
	env := map[string]string{"HEXAUTH_CONFIG": file, "HEXAUTH_AUTHORITY": "https://env.example.com", "HEXAUTH_PARTITION": "env-partition"}
	s, err := loadWith(t, []string{"--partition", "flag-partition", "--output", "json", "--timeout", "45s"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := settings{clientID: "from-file", authority: "https://env.example.com", partition: "flag-partition",
		scopes: []string{"a", "b"}, username: "file@example.com", json: true, timeout: 45 * time.Second, verbose: true}
	if s.clientID != want.clientID || s.authority != want.authority || s.partition != want.partition ||
		!slices.Equal(s.scopes, want.scopes) || s.username != want.username || s.json != want.json ||
		s.timeout != want.timeout || s.verbose != want.verbose {
		t.Fatalf("got %+v; want %+v", s, want)
	}
}

func TestConfig_load_configFlagWinsOverEnvironment(t *testing.T) {
	envFile := writeFile(t, "env.json", `{"client_id": "env-file"}`)
	flagFile := writeFile(t, "flag.json", `{"client_id": "flag-file"}`)
	s, err := loadWith(t, []string{"--config", flagFile}, map[string]string{"HEXAUTH_CONFIG": envFile})
	if err != nil || s.clientID != "flag-file" {
		t.Fatalf("got client id %q, %v; want flag-file", s.clientID, err)
	}
}

func TestConfig_load_refusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"not JSON", `client_id = "x"`, "not a JSON object"},
		{"unknown key", `{"cliend_id": "x"}`, `unknown key "cliend_id"`},
		{"password", `{"password": "hunter2"}`, "HEXAUTH_PASSWORD"},
		{"client secret", `{"client_secret": "s3cret"}`, "HEXAUTH_CLIENT_SECRET"},
		{"wrong type", `{"client_id": 42}`, "want a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "bad.json", tc.content)
			_, err := loadWith(t, []string{"--config", path}, nil)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want a usage error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error %q quotes a secret", err)
			}
		})
	}
	if _, err := loadWith(t, []string{"--config", filepath.Join(t.TempDir(), "missing.json")}, nil); exitCode(err) != exitUsage {
		t.Fatalf("missing config file: got %v; want a usage error", err)
	}
}

func TestConfig_toSettings_refusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		key, value string
	}{
		{setOutput.key, "yaml"},
		{setTimeout.key, "soon"},
		{setTimeout.key, "-5s"},
		{setVerbose.key, "maybe"},
		{setAuthorityKind.key, "okta"},
		{setRedirectPort.key, "http"},
		{setRedirectPort.key, "0"},
		{setRedirectPort.key, "65536"},
		{setRedirectPort.key, "8400.0"},
	} {
		if _, err := toSettings(map[string]string{tc.key: tc.value}); exitCode(err) != exitUsage {
			t.Errorf("toSettings(%s=%q) = %v; want a usage error", tc.key, tc.value, err)
		}
	}
	s, err := toSettings(map[string]string{setAuthorityKind.key: "Entra"})
	if err != nil || s.authorityKind != domain.AuthorityEntra {
		t.Fatalf("got %q, %v; want entra", s.authorityKind, err)
	}
}

// redirect_port is read like every setting, and the config file may write it as a
// number or a string.
func TestConfig_load_redirectPort(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		args       []string
		want       int
	}{
		{name: "unset is a random port", want: 0},
		{name: "JSON number in the file", file: `{"redirect_port": 8400}`, want: 8400},
		{name: "string in the file", file: `{"redirect_port": "8401"}`, want: 8401},
		{name: "environment over file", file: `{"redirect_port": 8400}`, env: map[string]string{"HEXAUTH_REDIRECT_PORT": "8402"}, want: 8402},
		{name: "flag over environment", env: map[string]string{"HEXAUTH_REDIRECT_PORT": "8402"}, args: []string{"--redirect-port", "65535"}, want: 65535},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.file != "" {
				env["HEXAUTH_CONFIG"] = writeFile(t, "hexauth.json", tc.file)
			}
			s, err := loadWith(t, tc.args, env)
			if err != nil || s.redirectPort != tc.want {
				t.Fatalf("redirect port = %d, %v; want %d", s.redirectPort, err, tc.want)
			}
		})
	}
	// Only redirect_port takes a number: other keys still refuse one.
	if _, err := loadWith(t, nil, map[string]string{"HEXAUTH_CONFIG": writeFile(t, "n.json", `{"partition": 8400}`)}); exitCode(err) != exitUsage {
		t.Fatalf("a number for partition: got %v; want a usage error", err)
	}
}

func TestConfig_load_ignoresSettingsTheCommandDoesNotRead(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	cf := addConfigFlags(fs, clientSettings...) // no redirect_port, as cache import
	file := writeFile(t, "hexauth.json", `{"client_id": "app", "redirect_port": 0}`)
	s, err := cf.load(&env{lookup: mapLookup(map[string]string{"HEXAUTH_CONFIG": file, "HEXAUTH_REDIRECT_PORT": "http"})})
	if err != nil || s.clientID != "app" || s.redirectPort != 0 {
		t.Fatalf("got %+v, %v; want client app and login's bad port ignored", s, err)
	}
}

func TestConfig_splitScopes_spacesAndCommas(t *testing.T) {
	got := splitScopes(" api://a/read,api://b/write  openid,,")
	want := []string{"api://a/read", "api://b/write", "openid"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestConfig_requireClient_namesWhatIsMissing(t *testing.T) {
	err := settings{}.requireClient()
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--client-id") || !strings.Contains(err.Error(), "--authority") {
		t.Fatalf("got %v; want a usage error naming --client-id and --authority", err)
	}
	if err := (settings{clientID: "x", authority: "https://a"}).requireClient(); err != nil {
		t.Fatalf("got %v; want nil", err)
	}
}

func TestResolveCache_defaultIsPrivateSQLiteUnderUserCacheDir(t *testing.T) {
	root := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", root)
	t.Setenv("HOME", root)
	got, err := resolveCache("")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.UserCacheDir()
	want := "sqlite://" + filepath.ToSlash(filepath.Join(dir, "hexauth", "tokens.db"))
	if got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	info, err := os.Stat(filepath.Join(dir, "hexauth"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}

func TestResolveCache_values(t *testing.T) {
	abs, _ := filepath.Abs("tokens.db")
	for _, tc := range []struct {
		in, want string
		usage    bool
	}{
		{"memory:", "memory:", false},
		{"sqlite:///var/x.db", "sqlite:///var/x.db", false},
		{"sqlite::memory:", "sqlite::memory:", false},
		{"postgres://u@db/x", "postgres://u@db/x", false},
		{"tokens.db", "sqlite://" + filepath.ToSlash(abs), false},
		{"redis://cache", "", true},
	} {
		got, err := resolveCache(tc.in)
		if tc.usage {
			if exitCode(err) != exitUsage {
				t.Errorf("resolveCache(%q) = %q, %v; want a usage error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("resolveCache(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
