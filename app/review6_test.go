package app_test

import (
	"errors"
	"path/filepath"
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
// sign-out that does not sign out.
func TestAccounts_removalByOneAppLeavesAnotherAppsAccountVisible(t *testing.T) {
	t.Skip("review6: needs a design decision (DESIGN §3 says RemoveAccount deletes the account records): keep them while another client's tokens of the account remain, or list accounts from a client's tokens; see the review6 report")
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
