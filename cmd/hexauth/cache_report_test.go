package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reportDoc is a document whose import has something for every part of the report: an
// undated refresh token on an Entra host (a notice: stamped), a realm-less refresh token
// of an OIDC issuer's host that nothing ties to an issuer (skipped), and a vendor
// section (kept).
func reportDoc(rtSecret string) string {
	return `{
  "RefreshToken": {
    "a": {"home_account_id": "uid.utid", "environment": "login.microsoftonline.com", "client_id": "app", "secret": "` + rtSecret + `", "credential_type": "RefreshToken"},
    "b": {"home_account_id": "sub-1", "environment": "idp.example.com", "client_id": "app", "secret": "oidc-rt-secret", "credential_type": "RefreshToken"}
  },
  "Vendor_Ext": {"vendor_secret": "foreign-secret-value"}
}`
}

// cache import --output json prints every part of the report (checked on the built
// binary) — kept sections, skipped
// entries (a refresh token no issuer claims among them), notices and conflicts — and
// never a secret; text mode prints the same on stderr.
func TestCacheImport_run_reportIsPrintedWhole(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HEXAUTH_CACHE": filepath.Join(dir, "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag}
	first := filepath.Join(dir, "first.json")
	second := filepath.Join(dir, "second.json")
	if err := os.WriteFile(first, []byte(reportDoc("first-rt-secret")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte(reportDoc("second-rt-secret")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runInProcess(t, invocation{args: []string{"cache", "import", first}, env: env})
	if r.code != exitOK {
		t.Fatalf("cache import: got %s", r)
	}
	for _, want := range []string{`kept as written: section "Vendor_Ext"`, `not imported: RefreshToken["b"]: no realm`,
		`note: RefreshToken["a"]: field "cached_at": no timestamp`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr of cache import lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "read 0 accounts, 0 access tokens, 1 refresh token, 0 ID tokens, 0 app metadata entries from the document\n" {
		t.Errorf("stdout = %q; want 1 refresh token read (the one no issuer claims is skipped)", r.stdout)
	}

	// The second import through the built program: its real stdout, stderr and exit code.
	r = runBinary(t, invocation{args: []string{"cache", "import", "--output", "json", second}, env: env})
	var got cacheImportJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != exitOK || err != nil {
		t.Fatalf("cache import --output json: got %s (%v)", r, err)
	}
	if len(got.ForeignSections) != 1 || got.ForeignSections[0] != "Vendor_Ext" {
		t.Errorf("foreign_sections = %q; want [Vendor_Ext]", got.ForeignSections)
	}
	if len(got.Skipped) != 1 || got.Skipped[0].Section != "RefreshToken" || got.Skipped[0].Key != "b" || !strings.Contains(got.Skipped[0].Reason, "no realm") {
		t.Errorf("skipped = %+v; want the OIDC host's realm-less refresh token, with its reason", got.Skipped)
	}
	if got.Read.RefreshTokens != 1 {
		t.Errorf("read.refresh_tokens = %d; want 1 (the skipped one is not counted)", got.Read.RefreshTokens)
	}
	if len(got.Notices) != 1 || got.Notices[0].Field != "cached_at" || got.Notices[0].Key != "a" {
		t.Errorf("notices = %+v; want the undated refresh token's stamp", got.Notices)
	}
	if len(got.Conflicts) != 1 || got.Conflicts[0].Resolution != "replaced a stored refresh token" ||
		got.Conflicts[0].Key != "uid.utid-login.microsoftonline.com-refreshtoken-app--" {
		t.Errorf("conflicts = %+v; want the refresh token replaced by the second import", got.Conflicts)
	}
	for _, secret := range []string{"first-rt-secret", "second-rt-secret", "oidc-rt-secret", "foreign-secret-value"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the output of cache import quotes a secret of the document:\n%s", r)
		}
	}
}
