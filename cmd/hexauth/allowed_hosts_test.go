package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// --allowed-hosts (HEXAUTH_ALLOWED_HOSTS, "allowed_hosts") reaches app.Config: an
// authority on a link-local host is refused unless it is allow-listed. accounts list
// opens a client without touching the network, so this runs offline.
func TestAllowedHosts_reachTheClient(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"HEXAUTH_CLIENT_ID": testClient, "HEXAUTH_AUTHORITY": "https://169.254.169.254/issuer",
		"HEXAUTH_CACHE": filepath.Join(dir, "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag,
	}
	r := runInProcess(t, invocation{args: []string{"accounts", "list"}, env: env})
	if r.code == exitOK || !strings.Contains(r.stderr, "link-local") {
		t.Fatalf("accounts list with a link-local authority: got %s; want a refusal naming link-local", r)
	}
	for _, inv := range []invocation{
		{args: []string{"accounts", "list", "--allowed-hosts", "idp.example.com,169.254.169.254"}, env: env},
		{args: []string{"accounts", "list"}, env: with(env, "HEXAUTH_ALLOWED_HOSTS", "169.254.169.254")},
		{args: []string{"accounts", "list", "--config", writeFile(t, "hexauth.json", `{"allowed_hosts": ["169.254.169.254"]}`)}, env: env},
	} {
		if r := runInProcess(t, inv); r.code != exitOK {
			t.Errorf("accounts list %q with the host allowed: got %s; want exit 0", inv.args, r)
		}
	}
}
