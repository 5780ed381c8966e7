package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// daemon runs the program with args against the secret, returning its exit code,
// standard output and standard error.
func daemon(t *testing.T, secret string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "HEXAUTH_CLIENT_SECRET" {
			return secret
		}
		return ""
	}
	code := run(t.Context(), args, getenv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Against the HTTP fake provider on loopback: the first token comes from the provider,
// the second from the memory cache, and neither the token nor the secret is printed.
func TestRun_clientCredentials(t *testing.T) {
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "orders-daemon", Secret: "s3cret-value"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, out, errOut := daemon(t, "s3cret-value", "-authority", srv.Issuer(), "-client-id", "orders-daemon", "-scope", "api://orders/.default")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q; want 0", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "token from identity_provider, expires ") || !strings.HasPrefix(lines[1], "token from cache, expires ") {
		t.Fatalf("stdout = %q; want a token from the provider, then the same from the cache", out)
	}
	if strings.Contains(out+errOut, "s3cret-value") || strings.Contains(out, "eyJ") {
		t.Fatalf("output %q holds the secret or a token", out+errOut)
	}
	if n := srv.EndpointRequests(idptest.EndpointToken); n != 1 {
		t.Fatalf("token requests = %d; want 1 (the second token from the cache)", n)
	}
}

// The program imports no store package: a cache URL of one is refused with the package
// to import, and the URL (its password, its path) is not printed.
func TestRun_unimportedStore(t *testing.T) {
	for cache, pkg := range map[string]string{
		"sqlite:///srv/private-dir/tokens.db":            "github.com/hexauth/hexauth/app/sqlitestore",
		"postgres://app:hunter2@db.internal:5432/tokens": "github.com/hexauth/hexauth/app/postgresstore",
	} {
		code, _, errOut := daemon(t, "s3cret-value", "-authority", "https://login.example.com/tenant-a", "-client-id", "c", "-scope", "api://x/.default", "-cache", cache)
		if code != 1 || !strings.Contains(errOut, pkg) {
			t.Errorf("-cache %s: exit %d, stderr %q; want 1 and the package to import", pkg, code, errOut)
		}
		for _, leak := range []string{"hunter2", "private-dir", "db.internal"} {
			if strings.Contains(errOut, leak) {
				t.Errorf("-cache %s: stderr %q quotes the URL", pkg, errOut)
			}
		}
	}
}

func TestRun_usage(t *testing.T) {
	if code, _, errOut := daemon(t, "", "-authority", "https://login.example.com/tenant-a", "-client-id", "c", "-scope", "s"); code != 2 || !strings.Contains(errOut, "HEXAUTH_CLIENT_SECRET") {
		t.Errorf("no secret: exit %d, stderr %q; want 2 naming HEXAUTH_CLIENT_SECRET", code, errOut)
	}
	if code, _, _ := daemon(t, "s", "-bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d; want 2", code)
	}
}
