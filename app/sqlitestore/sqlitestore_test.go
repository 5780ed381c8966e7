package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/app/sqlitestore"
	"github.com/hexauth/hexauth/domain"
	"go.uber.org/fx"
)

var start = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// fake is the in-process provider of adapters/memory with one user, alice.
func fake(clock *memory.Clock) *memory.IdentityProvider {
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "correct horse"}},
		Clients: []memory.Client{{ID: "my-app"}},
		Scopes:  []string{"api://orders/read"},
	})
	if err != nil {
		panic(err)
	}
	return idp
}

// Importing the package is what lets Config.Cache name a SQLite file. (This test
// package imports it by name; a program that needs only the URL imports it blank:
// import _ "github.com/hexauth/hexauth/app/sqlitestore".)
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	clock := memory.NewClock(start)
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: "my-app", Authority: "https://login.example.com/tenant-a",
		Cache:            "sqlite://" + filepath.ToSlash(filepath.Join(dir, "tokens.db")),
		IdentityProvider: fake(clock), Clock: clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"api://orders/read"}); err != nil {
		fmt.Println(err)
		return
	}
	accounts, _ := pc.Accounts(ctx)
	fmt.Println(sqlitestore.Scheme, len(accounts), accounts[0].Username)
	// Output: sqlite 1 alice@example.com
}

// Provide opens the file its sqlite.Config names, whatever Config.Cache says, and the
// graph closes it when it stops: what was written is in the file for the next opener.
func TestProvide_opensAndClosesWithTheGraph(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "tokens.db")
	clock := memory.NewClock(start)
	var pc *app.PublicClient
	a := fx.New(fx.NopLogger,
		fx.Supply(app.Config{ClientID: "my-app", Authority: "https://login.example.com/tenant-a", Clock: clock}),
		app.Module, sqlitestore.Provide(sqlite.Config{Path: path}), app.InProcessIdP(fake(clock)),
		fx.Populate(&pc))
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"api://orders/read"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Accounts(ctx); !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Accounts after the graph stopped = %v; want ErrCacheStore (the store is closed)", err)
	}
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if list, err := s.Accounts(ctx, domain.AccountFilter{}); err != nil || len(list) != 1 {
		t.Fatalf("the file after the graph stopped holds %v, %v; want alice", list, err)
	}
}

// Module opens the store Config.Cache names and refuses the URL of another store.
func TestModule(t *testing.T) {
	clock := memory.NewClock(start)
	for cache, wantErr := range map[string]bool{
		"sqlite::memory:":           false,
		"postgres://u:hunter2@db/x": true,
		"memory:":                   true,
	} {
		var pc *app.PublicClient
		a := fx.New(fx.NopLogger,
			fx.Supply(app.Config{ClientID: "my-app", Authority: "https://login.example.com/tenant-a", Cache: cache, Clock: clock}),
			app.Module, sqlitestore.Module, app.InProcessIdP(fake(clock)), fx.Populate(&pc))
		err := a.Err()
		if wantErr {
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("Module with Cache %s: %v; want ErrInvalidInput", cache, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Module with Cache %s: %v", cache, err)
		}
	}
}
