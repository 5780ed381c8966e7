package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseSettings_refusesIncompleteConfiguration(t *testing.T) {
	full := map[string]string{"WEBAPP_AUTHORITY": "https://idp.example.com", "WEBAPP_CLIENT_ID": "webapp", "WEBAPP_CLIENT_SECRET": "s"}
	tests := []struct {
		name    string
		args    []string
		drop    string
		set     map[string]string
		wantErr string
	}{
		{"no authority", nil, "WEBAPP_AUTHORITY", nil, "-authority"},
		{"no client id", nil, "WEBAPP_CLIENT_ID", nil, "-client-id"},
		{"no client secret", nil, "WEBAPP_CLIENT_SECRET", nil, "WEBAPP_CLIENT_SECRET"},
		{"short cookie key", nil, "", map[string]string{"WEBAPP_COOKIE_KEY": "c2hvcnQ="}, "WEBAPP_COOKIE_KEY"},
		{"positional argument", []string{"serve"}, "", nil, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range full {
				if k != tc.drop {
					env[k] = v
				}
			}
			for k, v := range tc.set {
				env[k] = v
			}
			if _, err := parseSettings(tc.args, envOf(env), io.Discard); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseSettings = %v; want an error naming %s", err, tc.wantErr)
			}
		})
	}
	s, err := parseSettings([]string{"-tenants", "acme, globex", "-scopes", "a b,c"}, envOf(full), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.tenants, "|") != "acme|globex" || strings.Join(s.scopes, "|") != "a|b|c" || s.publicURL != "http://127.0.0.1:8080" {
		t.Fatalf("settings = %+v; want tenants acme|globex, scopes a|b|c, public URL from -listen", s)
	}
}

// lines hands each line written to it to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	for _, s := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		l <- s
	}
	return len(p), nil
}

// TestRun_signsInAgainstTheFakeProvider runs the command as a user would, against
// idptest, with the demo API, and signs in with an HTTP client; on the memory and on
// the SQLite store (which the command links).
func TestRun_signsInAgainstTheFakeProvider(t *testing.T) {
	for _, cache := range []string{"memory:", "sqlite://" + t.TempDir() + "/tokens.db"} {
		t.Run(strings.SplitN(cache, ":", 2)[0], func(t *testing.T) { signInWithCache(t, cache) })
	}
}

func signInWithCache(t *testing.T, cache string) {
	idp := idptest.NewTestServer(t, idptest.Config{
		Provider: idptest.ProviderConfig{
			Users:   []idptest.User{{Username: "ada@example.com", Password: "pw", Name: "Ada Lovelace"}},
			Clients: []idptest.Client{{ID: "webapp", Secret: domain.Secret("webapp-secret")}},
		},
		AutoApproveUser: "ada@example.com",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(lines, 4)
	done := make(chan error, 1)
	env := map[string]string{"WEBAPP_CLIENT_SECRET": "webapp-secret"}
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-authority", idp.Issuer(), "-client-id", "webapp", "-tenants", "acme", "-scopes", "api://orders/read", "-cache", cache}, envOf(env), out, io.Discard)
	}()
	var base string
	select {
	case l := <-out:
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "serving" {
			t.Fatalf("first line %q; want \"webapp: serving URL ...\"", l)
		}
		base = f[2]
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not start serving")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	if body := get("/t/acme/login"); !strings.Contains(body, "Ada Lovelace") { // auto-approved: login, provider, callback, home
		t.Fatalf("after sign-in:\n%s\nwant Ada Lovelace signed in", body)
	}
	if body := get("/t/acme/api"); !strings.Contains(body, "hello, Ada Lovelace") {
		t.Fatalf("API page:\n%s\nwant the demo API's greeting", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel = %v; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}
