package app_test

import (
	"context"
	"fmt"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A library gives the client a store it was handed, with no registry: the caller opened
// it (here a private in-memory SQLite database) and closes it after the client.
func ExampleConfig_cacheStore() {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: sqlite.MemoryPath})
	if err != nil {
		panic(err)
	}
	defer store.Close() // the client never closes a CacheStore

	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, CacheStore: store,
		IdentityProvider: newFake(clock), Clock: clock,
	})
	if err != nil {
		panic(err)
	}
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		panic(err)
	}
	if err := pc.Close(); err != nil {
		panic(err)
	}
	accounts, err := store.Accounts(ctx, domain.AccountFilter{})
	fmt.Println(len(accounts), accounts[0].Username, err)
	// Output: 1 alice@example.com <nil>
}
