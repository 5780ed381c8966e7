package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// cacheOnlyEnv is an environment with a cache and no client: what cache import, cache
// export and accounts list without an authority need.
func cacheOnlyEnv(dir string) map[string]string {
	return map[string]string{"HEXAUTH_CACHE": filepath.Join(dir, "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag}
}

// A document holds every client's entries: importing, exporting and listing them needs
// no client id and no authority (issue 12 item 9).
func TestCacheCommands_run_withoutAClient(t *testing.T) {
	env := cacheOnlyEnv(t.TempDir())
	r := runInProcess(t, invocation{args: []string{"cache", "import", javaSample}, env: env})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "read 1 account,") {
		t.Fatalf("cache import without --client-id and --authority: got %s; want the sample read", r)
	}
	list := listAccounts(t, env)
	if len(list) != 1 || list[0].Username != "John Doe" || list[0].Environment != "login.windows.net" || list[0].Realm != "contoso" {
		t.Fatalf("accounts list without --authority = %+v; want John Doe with its environment login.windows.net and realm", list)
	}
	if other := listAccounts(t, with(env, "HEXAUTH_PARTITION", "elsewhere")); len(other) != 0 {
		t.Fatalf("accounts list of another partition = %+v; want none", other)
	}
	if got := listAccounts(t, with(env, "HEXAUTH_USERNAME", "JOHN doe")); len(got) != 1 {
		t.Fatalf("accounts list --username (any case) without --authority = %+v; want John Doe", got)
	}
	if got := listAccounts(t, with(env, "HEXAUTH_USERNAME", "nobody")); len(got) != 0 {
		t.Fatalf("accounts list --username nobody = %+v; want none", got)
	}
	doc := exportDocument(t, env)
	var sections map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &sections); err != nil || len(sections["RefreshToken"]) != 1 || len(sections["Account"]) != 1 {
		t.Fatalf("cache export without a client = %d refresh tokens, %d accounts (%v); want the imported ones", len(sections["RefreshToken"]), len(sections["Account"]), err)
	}

	// The client's own view is unchanged: another client sees no account, the sample's does.
	client := sampleEnv(filepath.Dir(env["HEXAUTH_CACHE"]))
	if got := listAccounts(t, client); len(got) != 1 {
		t.Fatalf("accounts list as the sample's client = %+v; want John Doe", got)
	}
	if got := listAccounts(t, with(client, "HEXAUTH_CLIENT_ID", "another-client")); len(got) != 0 {
		t.Fatalf("accounts list as another client = %+v; want none (it holds no token of that client)", got)
	}
	r = runInProcess(t, invocation{args: []string{"accounts", "list", "--authority", "https://login.microsoftonline.com/common"}, env: env})
	if r.code != exitUsage || !strings.Contains(r.stderr, "--client-id") {
		t.Fatalf("accounts list --authority without --client-id: got %s; want exit %d naming --client-id", r, exitUsage)
	}
}
