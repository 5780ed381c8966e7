package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A family refresh token moved by cache export and cache import (neither needs a
// client) serves another app of the family through the CLI, as the Go API does: the
// account is listed to that app and token redeems the family token (issue 12 item 9).
func TestCacheImport_run_familyRefreshTokenServesAnotherApp(t *testing.T) {
	file := writeFile(t, "idp.json", `{
		"users": [{"username": "grace@example.com", "password": "grace-pw"}],
		"clients": [{"id": "office", "family_id": "1"}, {"id": "teams", "family_id": "1"}],
		"scopes": ["api://tool/read"]
	}`)
	f := startFakeIdP(t, "--config", file)
	dir := t.TempDir()
	office := map[string]string{"HEXAUTH_CLIENT_ID": "office", "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_SCOPES": "api://tool/read",
		"HEXAUTH_CACHE": filepath.Join(dir, "office.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag}
	if r := runInProcess(t, invocation{args: []string{"ropc", "--username", "grace@example.com"}, env: with(office, "HEXAUTH_PASSWORD", "grace-pw")}); r.code != exitOK {
		t.Fatalf("ropc as office: %s", r)
	}
	exported := runInProcess(t, invocation{args: []string{"cache", "export"}, env: map[string]string{
		"HEXAUTH_CACHE": office["HEXAUTH_CACHE"], "HEXAUTH_TIMEOUT": testTimeoutFlag}})
	if exported.code != exitOK || !strings.Contains(exported.stdout, `"family_id": "1"`) {
		t.Fatalf("cache export of office's cache: got %s; want its family refresh token", exported)
	}
	teamsCache := filepath.Join(dir, "teams.db")
	// No client; the authority ties the document's realm-less refresh token (an OIDC
	// issuer's) to its issuer, without which it would not be imported.
	if r := runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: map[string]string{
		"HEXAUTH_CACHE": teamsCache, "HEXAUTH_AUTHORITY": f.issuer, "HEXAUTH_TIMEOUT": testTimeoutFlag}, stdin: exported.stdout}); r.code != exitOK {
		t.Fatalf("cache import without a client: %s", r)
	}
	teams := with(with(office, "HEXAUTH_CLIENT_ID", "teams"), "HEXAUTH_CACHE", teamsCache)
	if list := listAccounts(t, teams); len(list) != 1 || list[0].Username != "grace@example.com" {
		t.Fatalf("accounts list as teams = %+v; want grace (office's family refresh token serves teams)", list)
	}
	r := runInProcess(t, invocation{args: []string{"token", "--output", "json"}, env: teams})
	if tok := decodeToken(t, r); r.code != exitOK || tok.TokenSource != "identity_provider" {
		t.Fatalf("token as teams: got %s; want a token redeemed with the family refresh token", r)
	}
}
