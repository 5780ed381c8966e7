package app_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// Review 6: two apps of no family share a cache (the Azure CLI and another tool on one
// msal_token_cache). RemoveAccount in one deletes the account's records in every realm
// (DESIGN §3), while the other app's tokens for it stay. The other app then lists no
// account, so its own sign-out ("hexauth logout --all": list, then remove) finds nothing
// and reports success, and its refresh token stays in the cache for good, invisible: a
// sign-out that does not sign out. ADR 0020: the records stay while another client's
// token of the account remains; the app that removed it no longer lists it.
func TestAccounts_removalByOneAppLeavesAnotherAppsAccountVisible(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []memory.Client{{ID: "cli"}, {ID: "tool"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cache := "sqlite://" + filepath.Join(t.TempDir(), "tokens.db")
	newClient := func(id string) *app.PublicClient {
		pc, err := app.NewPublicClient(ctx, app.Config{ClientID: id, Authority: authority, Cache: cache, IdentityProvider: idp, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	cli, tool := newClient("cli"), newClient("tool")
	res, err := cli.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tool.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", readOrders); err != nil {
		t.Fatal(err)
	}
	if err := cli.RemoveAccount(ctx, res.Account); err != nil {
		t.Fatal(err)
	}
	if gone, err := cli.Accounts(ctx); err != nil || len(gone) != 0 {
		t.Fatalf("cli.Accounts after its own sign-out = %v, %v; want none", gone, err)
	}
	list, err := tool.Accounts(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("tool.Accounts after cli's sign-out = %v, %v; want alice: tool still holds her refresh token and serves her", list, err)
	}
	if err := tool.RemoveAccount(ctx, list[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := tool.AcquireTokenSilent(ctx, readOrders, res.Account, app.WithForceRefresh()); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("tool's silent call after its own sign-out = %v; want ErrNoTokens", err)
	}
}

// Review 6: ImportCache logged one Info line per entry of the report, so a hostile or
// broken document of 64 MiB made of entries that carry no field (`"k1":{"z":1}`, 12
// bytes each) wrote some 5 million log lines, ~20 times its size. The report returned
// still lists every entry; the log names the first few of each kind and counts the rest.
func TestPublicClient_ImportCache_logIsBoundedByEntries(t *testing.T) {
	ctx := testContext(t)
	pc, logs := newLoggedClient(t)
	const n = 5000
	var doc strings.Builder
	doc.WriteString(`{"AccessToken": {`)
	for i := range n {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `"k%d": {"z": 1}`, i)
	}
	doc.WriteString(`}}`)
	report, err := pc.ImportCache(ctx, strings.NewReader(doc.String()))
	if err != nil || len(report.Skipped) != n {
		t.Fatalf("ImportCache = %d skipped, %v; want %d skipped", len(report.Skipped), err, n)
	}
	lines := strings.Count(logs.String(), "\n")
	if lines > 200 {
		t.Fatalf("ImportCache logged %d lines for a document of %d skipped entries; want the log bounded (at most 200 lines)", lines, n)
	}
	if !strings.Contains(logs.String(), "skipped=5000") || !strings.Contains(logs.String(), "key=k0") {
		t.Fatalf("the log lost the count or the first entries:\n%.2000s", logs.String())
	}
}

// Review 6: the key of a skipped entry was logged whole, as the document spells it: one
// entry under a key of a megabyte made a log line of a megabyte.
func TestPublicClient_ImportCache_logClipsLongKeys(t *testing.T) {
	ctx := testContext(t)
	pc, logs := newLoggedClient(t)
	key := strings.Repeat("k", 1<<20)
	report, err := pc.ImportCache(ctx, strings.NewReader(`{"AccessToken": {"`+key+`": {"z": 1}}}`))
	if err != nil || len(report.Skipped) != 1 || report.Skipped[0].Key != key {
		t.Fatalf("ImportCache = %d skipped, %v; want the entry skipped, its key whole in the report", len(report.Skipped), err)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if len(line) > 1024 {
			t.Fatalf("ImportCache logged a line of %d bytes for a document key of %d; want keys clipped", len(line), len(key))
		}
	}
	if !strings.Contains(logs.String(), "key="+strings.Repeat("k", 200)+"…") {
		t.Fatalf("the log does not name the clipped key:\n%.2000s", logs.String())
	}
}

// newLoggedClient returns a public client on the in-memory fake provider whose log is
// written, as text, to the buffer returned.
func newLoggedClient(t *testing.T) (*app.PublicClient, *bytes.Buffer) {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	logs := new(bytes.Buffer)
	pc, err := app.NewPublicClient(testContext(t), app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: newFake(clock), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc, logs
}
