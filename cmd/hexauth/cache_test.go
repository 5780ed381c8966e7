package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// javaSample is an MSAL Java cache of one account (John Doe, client my_client_id,
// login.windows.net) with an unknown section and a placeholder access token, which are
// not imported.
var javaSample = filepath.Join("..", "..", "msalcache", "testdata", "msal-java", "test_resources_cache_data_serialized_cache.json")

// sampleEnv returns the environment of the sample's client with its cache in dir. No
// command below contacts the authority.
func sampleEnv(dir string) map[string]string {
	return map[string]string{
		"HEXAUTH_CLIENT_ID": "my_client_id", "HEXAUTH_AUTHORITY": "https://login.microsoftonline.com/common",
		"HEXAUTH_CACHE": filepath.Join(dir, "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag,
	}
}

// listAccounts runs accounts list --output json.
func listAccounts(t *testing.T, env map[string]string) []accountJSON {
	t.Helper()
	r := runInProcess(t, invocation{args: []string{"accounts", "list", "--output", "json"}, env: env})
	var list []accountJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != exitOK || err != nil {
		t.Fatalf("accounts list: got %s (%v)", r, err)
	}
	return list
}

// exportDocument runs cache export to stdout and returns the document.
func exportDocument(t *testing.T, env map[string]string) string {
	t.Helper()
	r := runInProcess(t, invocation{args: []string{"cache", "export"}, env: env})
	if r.code != exitOK || !json.Valid([]byte(r.stdout)) {
		t.Fatalf("cache export: got %s; want a JSON document", r)
	}
	return r.stdout
}

func TestCacheImport_run_sampleAccountsAreListed(t *testing.T) {
	env := sampleEnv(t.TempDir())
	r := runInProcess(t, invocation{args: []string{"cache", "import", javaSample}, env: env})
	want := "read 1 account, 1 access token, 1 refresh token, 1 ID token, 1 app metadata entry from the document\n"
	if r.code != exitOK || r.stdout != want {
		t.Fatalf("cache import: got %s; want exit 0 and stdout %q", r, want)
	}
	for _, notice := range []string{`kept as written: section "unknownEntity"`, `not imported: AccessToken["an-entry"]`} {
		if !strings.Contains(r.stderr, notice) {
			t.Errorf("stderr %q; want the notice %q", r.stderr, notice)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "a refresh token") || strings.Contains(r.stdout+r.stderr, "an access token") {
		t.Errorf("the output quotes a token of the sample:\n%s", r)
	}
	list := listAccounts(t, env)
	if len(list) != 1 || list[0].Username != "John Doe" || list[0].HomeAccountID != "uid.utid" || list[0].Realm != "contoso" {
		t.Fatalf("accounts after import = %+v; want John Doe (uid.utid, contoso)", list)
	}
	if other := listAccounts(t, with(env, "HEXAUTH_PARTITION", "tenant-b")); len(other) != 0 {
		t.Fatalf("accounts of another partition = %+v; want none", other)
	}
}

func TestCacheImport_run_jsonListsWhatWasNotImported(t *testing.T) {
	env := sampleEnv(t.TempDir())
	r := runInProcess(t, invocation{args: []string{"cache", "import", "--partition", "p1", "--output", "json", javaSample}, env: env})
	var got cacheImportJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != exitOK || err != nil {
		t.Fatalf("cache import --output json: got %s (%v)", r, err)
	}
	want := cacheCounts{Accounts: 1, AccessTokens: 1, RefreshTokens: 1, IDTokens: 1, AppMetadata: 1}
	if got.Partition != "p1" || got.Read != want {
		t.Errorf("got partition %q, read %+v; want p1, %+v", got.Partition, got.Read, want)
	}
	if len(got.ForeignSections) != 1 || got.ForeignSections[0] != "unknownEntity" {
		t.Errorf("foreign_sections = %q; want [unknownEntity]", got.ForeignSections)
	}
	if doc := exportDocument(t, with(env, "HEXAUTH_PARTITION", "p1")); !strings.Contains(doc, `"unknownEntity"`) {
		t.Errorf("cache export after the import lacks the kept section unknownEntity:\n%s", doc)
	}
	if len(got.Skipped) != 1 || got.Skipped[0].Section != "AccessToken" || got.Skipped[0].Key != "an-entry" || got.Skipped[0].Reason == "" {
		t.Errorf("skipped = %+v; want AccessToken an-entry with a reason", got.Skipped)
	}
}

func TestCacheImport_run_dashReadsStdin(t *testing.T) {
	doc, err := os.ReadFile(javaSample)
	if err != nil {
		t.Fatal(err)
	}
	env := sampleEnv(t.TempDir())
	r := runInProcess(t, invocation{args: []string{"cache", "import", "-", "--partition", "p2"}, env: env, stdin: string(doc)})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "read 1 account,") {
		t.Fatalf("cache import - --partition p2: got %s; want the sample imported", r)
	}
	if list := listAccounts(t, with(env, "HEXAUTH_PARTITION", "p2")); len(list) != 1 || list[0].Username != "John Doe" {
		t.Fatalf("accounts of p2 after import from stdin = %+v; want John Doe", list)
	}
	if list := listAccounts(t, env); len(list) != 0 {
		t.Fatalf("accounts of the zero partition = %+v; want none (the flag after FILE chose p2)", list)
	}
}

func TestCacheImport_run_malformedDocumentChangesNothing(t *testing.T) {
	dir := t.TempDir()
	env := sampleEnv(dir)
	if r := runInProcess(t, invocation{args: []string{"cache", "import", javaSample}, env: env}); r.code != exitOK {
		t.Fatalf("import the sample: %s", r)
	}
	before := exportDocument(t, env)

	const secret = "imported-secret-value"
	bad := filepath.Join(dir, "bad.json")
	doc := `{"Account": {"bob": {"home_account_id": "bob-home", "environment": "login.windows.net", "realm": "contoso", "username": "bob"}},
	  "RefreshToken": {"bob-rt": {"home_account_id": "bob-home", "environment": "login.windows.net", "client_id": "my_client_id", "secret": "` + secret + `"}},
	  "AccessToken": {"bob-at": {"home_account_id": "bob-home", "environment": "login.windows.net", "target": "s1", "secret": "` + secret + `"}}}`
	if err := os.WriteFile(bad, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		stdin      string
		wantStderr string
	}{
		{"file", []string{bad}, "", `AccessToken["bob-at"]: field "client_id"`},
		{"stdin", []string{"-"}, doc, `AccessToken["bob-at"]: field "client_id"`},
		{"not JSON", []string{"-"}, `{"AccessToken": {"x": `, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, invocation{args: append([]string{"cache", "import"}, tc.args...), env: env, stdin: tc.stdin})
			if r.code != exitUsage || r.stdout != "" {
				t.Fatalf("got %s; want exit %d and nothing on stdout", r, exitUsage)
			}
			if strings.Contains(r.stderr, secret) || !strings.Contains(r.stderr, tc.wantStderr) {
				t.Fatalf("stderr %q; want %q named and no secret", r.stderr, tc.wantStderr)
			}
			if after := exportDocument(t, env); after != before {
				t.Fatalf("the cache changed after a failed import:\n%s\nwant\n%s", after, before)
			}
		})
	}
	if list := listAccounts(t, env); len(list) != 1 || list[0].Username != "John Doe" {
		t.Fatalf("accounts after failed imports = %+v; want John Doe only", list)
	}
	j := runInProcess(t, invocation{args: []string{"cache", "import", "--output", "json", bad}, env: env})
	if e := decodeError(t, j); j.code != exitUsage || e.Error != string(domain.ErrInvalidInput) || strings.Contains(j.stdout, secret) {
		t.Fatalf("cache import --output json of a bad file: got %s; want an invalid_input error object", j)
	}
	missing := runInProcess(t, invocation{args: []string{"cache", "import", filepath.Join(dir, "absent.json")}, env: env})
	if missing.code != exitUsage || !strings.Contains(missing.stderr, "absent.json") {
		t.Fatalf("cache import of a missing file: got %s; want exit %d naming the file", missing, exitUsage)
	}
}

func TestCacheExport_run_privateFileReimportsIntoAFreshCache(t *testing.T) {
	dir := t.TempDir()
	env := sampleEnv(dir)
	if r := runInProcess(t, invocation{args: []string{"cache", "import", javaSample}, env: env}); r.code != exitOK {
		t.Fatalf("import the sample: %s", r)
	}
	out := filepath.Join(dir, "export.json")
	r := runInProcess(t, invocation{args: []string{"cache", "export", "--file", out}, env: env})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "exported 1 account,") || !strings.Contains(r.stderr, "refresh tokens in clear") {
		t.Fatalf("cache export --file: got %s; want a summary and the warning", r)
	}
	info, err := os.Stat(out)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("exported file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	assertNoTempFiles(t, dir)

	fresh := sampleEnv(t.TempDir())
	// The sample's unknownEntity section went out with the export and comes back: the
	// one line on stderr says it is kept.
	const kept = "hexauth: kept as written: section \"unknownEntity\" (not part of the unified cache schema; an export writes it back)\n"
	if r := runInProcess(t, invocation{args: []string{"cache", "import", out}, env: fresh}); r.code != exitOK || r.stderr != kept {
		t.Fatalf("re-import the export: got %s; want everything imported, no notice but the kept section", r)
	}
	got, want := listAccounts(t, fresh), listAccounts(t, env)
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("accounts after the round trip = %+v; want %+v", got, want)
	}
	if a, b := exportDocument(t, fresh), exportDocument(t, env); a != b {
		t.Fatalf("the re-imported cache exports differently:\n%s\nwant\n%s", a, b)
	}
}

func TestCacheExport_run_existingFileNeedsForce(t *testing.T) {
	dir := t.TempDir()
	env := sampleEnv(dir)
	if r := runInProcess(t, invocation{args: []string{"cache", "import", javaSample}, env: env}); r.code != exitOK {
		t.Fatalf("import the sample: %s", r)
	}
	for _, tc := range []struct {
		name     string
		mode     os.FileMode
		wantMode os.FileMode
	}{
		{"group-readable file becomes 0600", 0o640, 0o600},
		{"stricter file keeps its mode", 0o400, 0o400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "existing.json")
			if err := os.WriteFile(path, []byte("keep me"), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil { // the umask may have narrowed it
				t.Fatal(err)
			}
			r := runInProcess(t, invocation{args: []string{"cache", "export", "--file", path}, env: env})
			if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "--force") {
				t.Fatalf("export onto an existing file: got %s; want exit %d suggesting --force", r, exitUsage)
			}
			if data, err := os.ReadFile(path); err != nil || string(data) != "keep me" {
				t.Fatalf("existing file after a refused export = %q, %v; want it untouched", data, err)
			}
			forced := runInProcess(t, invocation{args: []string{"cache", "export", "--file", path, "--force"}, env: env})
			if forced.code != exitOK {
				t.Fatalf("export --force: got %s", forced)
			}
			data, err := os.ReadFile(path)
			if err != nil || !strings.Contains(string(data), `"John Doe"`) {
				t.Fatalf("file after export --force = %q, %v; want the document", data, err)
			}
			if info, err := os.Stat(path); err != nil || info.Mode().Perm() != tc.wantMode {
				t.Fatalf("mode after export --force: %v, %v; want %v", info.Mode().Perm(), err, tc.wantMode)
			}
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
	if r := runInProcess(t, invocation{args: []string{"cache", "export", "--force"}, env: env}); r.code != exitUsage {
		t.Fatalf("export --force without --file: got %s; want exit %d", r, exitUsage)
	}
}

func TestCacheExport_run_stdoutRoundTripsASignIn(t *testing.T) {
	srv := startIdP(t)
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", adaPassword)
	if r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName}, env: env}); r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	exported := runInProcess(t, invocation{args: []string{"cache", "export", "--output", "json"}, env: env})
	if exported.code != exitOK || !strings.Contains(exported.stderr, "refresh tokens in clear") {
		t.Fatalf("cache export: got %s; want the document and the warning", exported)
	}

	fresh := clientEnv(srv, t.TempDir())
	if r := runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: fresh, stdin: exported.stdout}); r.code != exitOK {
		t.Fatalf("import the export: %s", r)
	}
	hit := runInProcess(t, invocation{args: []string{"token", "--output", "json"}, env: fresh})
	if tok := decodeToken(t, hit); hit.code != exitOK || tok.TokenSource != "cache" {
		t.Fatalf("token after import: got %s; want the imported access token from the cache", hit)
	}
	before := srv.Requests(domain.GrantRefreshToken)
	refreshed := runInProcess(t, invocation{args: []string{"token", "--force-refresh", "--output", "json"}, env: fresh})
	if tok := decodeToken(t, refreshed); refreshed.code != exitOK || tok.TokenSource != "identity_provider" {
		t.Fatalf("token --force-refresh after import: got %s; want the imported refresh token redeemed", refreshed)
	}
	if got := srv.Requests(domain.GrantRefreshToken); got != before+1 {
		t.Fatalf("got %d refresh grants; want %d", got, before+1)
	}
}

// assertNoTempFiles fails when dir holds a temporary file of writePrivateFile.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestDocs_cacheImportJSONExampleMatchesTheResult(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n{\n  \"partition\"")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/cli.md has no cache import JSON example")
	}
	dec := json.NewDecoder(strings.NewReader("{\n  \"partition\"" + block))
	dec.DisallowUnknownFields()
	var example cacheImportJSON
	if err := dec.Decode(&example); err != nil {
		t.Fatalf("the example is not a cache import result: %v", err)
	}
	r := runInProcess(t, invocation{args: []string{"cache", "import", "--output", "json", javaSample}, env: sampleEnv(t.TempDir())})
	var got cacheImportJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("cache import --output json: %s (%v)", r, err)
	}
	if a, b := mustJSON(t, example), mustJSON(t, got); !bytes.Equal(a, b) {
		t.Fatalf("the documented example\n%s\nis not the sample's result\n%s", a, b)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCacheImport_run_countsWhatWasReadNotWhatWasKept(t *testing.T) {
	srv := startIdP(t)
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", adaPassword)
	if r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName}, env: env}); r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	// A document older than the cache: its refresh token was cached an hour before the
	// stored one, which the store keeps.
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal([]byte(exportDocument(t, env)), &doc); err != nil || len(doc["RefreshToken"]) != 1 {
		t.Fatalf("export: %v; want one refresh token", err)
	}
	const staleRT = "stale-refresh-token-from-the-document"
	for _, rt := range doc["RefreshToken"] {
		rt["secret"] = staleRT
		rt["cached_at"] = "1000000000"
	}
	old, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	r := runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: env, stdin: string(old)})
	if r.code != exitOK || !strings.Contains(r.stdout, "1 refresh token") || !strings.HasPrefix(r.stdout, "read ") || !strings.HasSuffix(r.stdout, " from the document\n") {
		t.Fatalf("cache import of an older document: got %s; want what was read from the document", r)
	}
	if strings.Contains(exportDocument(t, env), staleRT) {
		t.Fatal("the store replaced its newer refresh token with the document's: the summary's count is what was read, not kept")
	}
	if !strings.Contains(r.stderr, "refresh token conflict: RefreshToken[") || !strings.Contains(r.stderr, ": kept the stored newer one") {
		t.Errorf("stderr %q; want the conflict named and resolved as kept", r.stderr)
	}

	// The same token without a timestamp (as MSAL Go writes it) is stamped at import and
	// replaces the stored one, and both are said.
	for _, rt := range doc["RefreshToken"] {
		delete(rt, "cached_at")
	}
	undated, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	r = runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: env, stdin: string(undated)})
	if r.code != exitOK || !strings.Contains(exportDocument(t, env), staleRT) {
		t.Fatalf("cache import of an undated refresh token: got %s; want it to replace the stored one", r)
	}
	for _, want := range []string{": replaced a stored refresh token", `note: RefreshToken[`, `field "cached_at": no timestamp`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q; want %q", r.stderr, want)
		}
	}
	if strings.Contains(r.stderr, staleRT) {
		t.Error("stderr quotes the refresh token")
	}
}
