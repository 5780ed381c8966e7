package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// This test binary imports both store packages (stores_test.go), so their schemes are
// registered, as in a program that imports them (the package's internal tests add one
// of their own).
func TestCacheStoreSchemes_registeredByImport(t *testing.T) {
	got := app.CacheStoreSchemes()
	for _, want := range []string{"memory", "postgres", "postgresql", "sqlite"} {
		if !slices.Contains(got, want) {
			t.Errorf("CacheStoreSchemes() = %v; want it to hold %q", got, want)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("CacheStoreSchemes() = %v; want it sorted", got)
	}
}

// A scheme nobody registered fails Validate, NewPublicClient and OpenCache with
// ErrInvalidInput naming the scheme, without the URL's password.
func TestConfig_Validate_unregisteredScheme(t *testing.T) {
	ctx := testContext(t)
	cfg := app.Config{ClientID: clientID, Authority: authority, Cache: "redis://default:hunter2@cache.internal:6379/0"}
	for name, err := range map[string]error{
		"Validate":        cfg.Validate(),
		"NewPublicClient": func() error { _, err := app.NewPublicClient(ctx, cfg); return err }(),
		"OpenCache":       func() error { _, err := app.OpenCache(ctx, cfg); return err }(),
	} {
		if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), `"redis"`) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s with a redis: Cache = %v; want ErrInvalidInput naming the scheme, without the password", name, err)
		}
	}
}

// A registered store's URL checks run at Validate, before anything is opened, and never
// quote the URL.
func TestConfig_Validate_storeURLs(t *testing.T) {
	for _, cache := range []string{
		"sqlite://", "sqlite:///", "sqlite:memory", "sqlite:/tmp/x.db",
		"postgres://u:hunter2@db/tokens?schema=pg_catalog",
		"postgres://u:hunter2@db/tokens?schema=bad-name",
		"postgresql://u:hunter2@db:notaport/tokens",
	} {
		err := app.Config{ClientID: clientID, Authority: authority, Cache: cache}.Validate()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Validate(Cache %s) = %v; want ErrInvalidInput", strings.ReplaceAll(cache, "hunter2", "xxxxx"), err)
		} else if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "@db") {
			t.Errorf("Validate(Cache %s) quotes the URL: %v", strings.ReplaceAll(cache, "hunter2", "xxxxx"), err)
		}
	}
	for _, cache := range []string{"sqlite:///tmp/x.db", "sqlite://x.db", "sqlite::memory:", "postgresql://u@db/tokens?schema=tenants_eu&max_conns=2"} {
		if err := (app.Config{ClientID: clientID, Authority: authority, Cache: cache}).Validate(); err != nil {
			t.Errorf("Validate(Cache %s) = %v; want nil", cache, err)
		}
	}
}

// openSQLite opens a store by hand, as a library's caller would for Config.CacheStore.
func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(testContext(t), sqlite.Config{Path: filepath.Join(t.TempDir(), "tokens.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Config.CacheStore is the store the client uses, sealed when a SealingKey is set, and
// the caller's to close: closing the client leaves it open.
func TestConfig_CacheStore_explicitStore(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	store := openSQLite(t)
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: authority, CacheStore: store,
		SealingKey: []byte(composeKey), IdentityProvider: newFake(clock), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	accounts, err := store.Accounts(ctx, domain.AccountFilter{})
	if err != nil {
		t.Fatalf("the store after the client closed: %v; want it still open (the caller closes it)", err)
	}
	if len(accounts) != 1 || accounts[0].Username != "alice@example.com" {
		t.Fatalf("the store holds %v; want alice, signed in through the client", accounts)
	}
	snap, err := store.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.AccessTokens) != 1 {
		t.Fatalf("the store holds %d access tokens; want the one just acquired", len(snap.AccessTokens))
	}
	if stored := string(snap.AccessTokens[0].Secret); stored == "" || strings.Contains(stored, string(res.AccessToken)) {
		t.Fatal("the access token is in clear (or empty) in the caller's store: SealingKey ignored")
	}

	// A view of the cache on the same store reads it, and leaves it open too.
	c, err := app.OpenCache(ctx, app.Config{CacheStore: store, SealingKey: []byte(composeKey)})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.Accounts(ctx, ""); err != nil || len(list) != 1 {
		t.Fatalf("OpenCache(CacheStore).Accounts = %v, %v; want alice", list, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Accounts(ctx, domain.AccountFilter{}); err != nil {
		t.Fatalf("the store after the cache view closed: %v; want it still open", err)
	}
}

// CacheStore excludes Cache and NearCacheBytes, which are about a store the client
// opens: never a silent choice between two stores.
func TestConfig_CacheStore_conflicts(t *testing.T) {
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for name, cfg := range map[string]app.Config{
		"with Cache":          {ClientID: clientID, Authority: authority, CacheStore: store, Cache: "memory:"},
		"with NearCacheBytes": {ClientID: clientID, Authority: authority, CacheStore: store, NearCacheBytes: 1 << 20},
	} {
		if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("CacheStore %s: Validate = %v; want ErrInvalidInput", name, err)
		}
	}
}

// ProvideCacheStore refuses a missing open function or store at the start of the graph.
func TestProvideCacheStore_refusesNothing(t *testing.T) {
	cfg := app.Config{ClientID: clientID, Authority: authority, IdentityProvider: newFake(memory.NewClock(exampleStart))}
	for name, open := range map[string]func(context.Context) (ports.CacheStore, error){
		"nil function": nil,
		"nil store":    func(context.Context) (ports.CacheStore, error) { return nil, nil },
	} {
		err := fx.New(fx.NopLogger, fx.Supply(cfg), app.Module, app.ProvideCacheStore(open), app.InProcessIdP(cfg.IdentityProvider),
			fx.Invoke(func(*app.PublicClient) {})).Err()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ProvideCacheStore(%s): graph error = %v; want ErrInvalidInput", name, err)
		}
	}
}
