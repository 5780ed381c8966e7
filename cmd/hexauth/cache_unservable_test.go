package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// sshCertDocument holds one Bearer access token and one ssh-cert access token (as MSAL
// Python caches an SSH certificate for `az ssh`), whose secrets must never be printed.
const sshCertDocument = `{"AccessToken": {
  "u.t-login.microsoftonline.com-accesstoken-my_client_id-t-read": {"home_account_id": "u.t",
    "environment": "login.microsoftonline.com", "client_id": "my_client_id", "realm": "t", "target": "read",
    "secret": "bearer-secret-value", "credential_type": "AccessToken", "token_type": "Bearer",
    "cached_at": "1000", "expires_on": "4600"},
  "u.t-login.microsoftonline.com-accesstoken-my_client_id-t-ssh": {"home_account_id": "u.t",
    "environment": "login.microsoftonline.com", "client_id": "my_client_id", "realm": "t", "target": "ssh",
    "secret": "ssh-secret-value", "credential_type": "AccessToken", "token_type": "ssh-cert", "key_id": "k1",
    "cached_at": "1000", "expires_on": "4600"}}}`

func TestCacheImport_run_namesTokensItWillNotServe(t *testing.T) {
	env := sampleEnv(t.TempDir())
	r := runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: env, stdin: sshCertDocument})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "read 0 accounts, 2 access tokens,") {
		t.Fatalf("cache import: got %s; want both access tokens read", r)
	}
	notice := `imported, never served: AccessToken["u.t-login.microsoftonline.com-accesstoken-my_client_id-t-ssh"]: token_type ssh-cert`
	if !strings.Contains(r.stderr, notice) || strings.Count(r.stderr, "never served") != 1 {
		t.Errorf("stderr %q; want exactly the notice %q", r.stderr, notice)
	}
	if strings.Contains(r.stdout+r.stderr, "secret-value") {
		t.Errorf("the output quotes a token of the document:\n%s", r)
	}

	r = runInProcess(t, invocation{args: []string{"cache", "import", "-", "--output", "json"}, env: env, stdin: sshCertDocument})
	var got cacheImportJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != exitOK || err != nil {
		t.Fatalf("cache import --output json: got %s (%v)", r, err)
	}
	if len(got.Unservable) != 1 || got.Unservable[0].Section != "AccessToken" || !strings.HasSuffix(got.Unservable[0].Key, "-ssh") ||
		!strings.Contains(got.Unservable[0].Reason, "Bearer tokens only") {
		t.Errorf("unservable = %+v; want the ssh-cert access token, with why", got.Unservable)
	}
	if got.Skipped == nil || len(got.Skipped) != 0 {
		t.Errorf("skipped = %#v; want an empty list (the token is imported)", got.Skipped)
	}
}
