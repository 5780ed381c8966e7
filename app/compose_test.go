package app_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/app/postgresstore"
	"github.com/hexauth/hexauth/app/sqlitestore"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// myStore is "your own store" of docs/adapters.md: a module outside app that opens a
// store and closes it with the graph. It reads the path from the test, not from
// Config.Cache, as a third-party store would.
func myStore(path string) fx.Option {
	return fx.Module("myapp.store",
		fx.Provide(fx.Annotate(func(lc fx.Lifecycle) (*sqlite.Store, error) {
			s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
			if err != nil {
				return nil, err
			}
			lc.Append(fx.StopHook(s.Close))
			return s, nil
		}, fx.As(new(ports.CacheStore)))),
	)
}

const composeKey = "0123456789abcdef0123456789abcdef"

// Every composition docs/adapters.md shows validates: by hand with and without a clock
// in the graph, each store package's Module and Provide, ProvideCacheStore, and Options
// with an explicit store or a registered URL; a confidential client needs its
// Credential.
func TestModule_documentedCompositionsValidate(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	cfg := app.Config{ClientID: clientID, Authority: authority, SealingKey: []byte(composeKey)}
	path := t.TempDir() + "/tokens.db"
	for _, tc := range []struct {
		name string
		opts []fx.Option
	}{
		{"hand-composed with a clock", []fx.Option{fx.Supply(cfg), app.Module, myStore(path), app.HTTPIdP,
			fx.Supply(fx.Annotate(clock, fx.As(new(ports.Clock)))), fx.Invoke(func(*app.PublicClient) {})}},
		{"hand-composed without a clock", []fx.Option{fx.Supply(cfg), app.Module, myStore(path), app.InProcessIdP(newFake(clock)),
			fx.Invoke(func(*app.PublicClient) {})}},
		{"hand-composed confidential", []fx.Option{fx.Supply(cfg), app.Module, app.Memory, app.HTTPIdP,
			fx.Supply(app.ClientSecret("s")), fx.Invoke(func(*app.ConfidentialClient) {})}},
		{"Options", []fx.Option{app.Options(app.Config{ClientID: clientID, Authority: authority, Cache: "sqlite://" + path, SealingKey: []byte(composeKey)}),
			fx.Invoke(func(*app.PublicClient) {})}},
		{"sqlitestore.Module", []fx.Option{fx.Supply(app.Config{ClientID: clientID, Authority: authority, Cache: "sqlite://" + path, SealingKey: []byte(composeKey)}),
			app.Module, sqlitestore.Module, app.HTTPIdP, fx.Invoke(func(*app.PublicClient) {})}},
		{"sqlitestore.Provide", []fx.Option{fx.Supply(cfg), app.Module, sqlitestore.Provide(sqlite.Config{Path: path}), app.HTTPIdP,
			fx.Invoke(func(*app.PublicClient) {})}},
		{"postgresstore.Module", []fx.Option{fx.Supply(app.Config{ClientID: clientID, Authority: authority, Cache: "postgres://app@db.internal/tokens?schema=eu"}),
			app.Module, postgresstore.Module, app.HTTPIdP, fx.Invoke(func(*app.PublicClient) {})}},
		{"postgresstore.Provide", []fx.Option{fx.Supply(cfg), app.Module, postgresstore.Provide(postgres.Config{DSN: "postgres://app@db.internal/tokens"}), app.HTTPIdP,
			fx.Invoke(func(*app.PublicClient) {})}},
		{"ProvideCacheStore", []fx.Option{fx.Supply(cfg), app.Module, app.InProcessIdP(newFake(clock)),
			app.ProvideCacheStore(func(ctx context.Context) (ports.CacheStore, error) {
				return sqlite.Open(ctx, sqlite.Config{Path: path})
			}),
			fx.Invoke(func(*app.PublicClient) {})}},
		{"Options with a CacheStore", []fx.Option{app.Options(app.Config{ClientID: clientID, Authority: authority, CacheStore: openSQLite(t), SealingKey: []byte(composeKey)}),
			fx.Invoke(func(*app.PublicClient) {})}},
		{"Options with a registered URL", []fx.Option{app.Options(app.Config{ClientID: clientID, Authority: authority, Cache: "postgresql://app@db.internal/tokens", NearCacheBytes: 1 << 20}),
			fx.Invoke(func(*app.PublicClient) {})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := fx.ValidateApp(tc.opts...); err != nil {
				t.Fatalf("fx.ValidateApp: %v", err)
			}
		})
	}
}

// Composed by hand as docs/adapters.md shows, a Config with a SealingKey seals: no token
// reaches the database file in clear, and the client reads its sealed tokens back. The
// clock supplied to the graph is the engine's.
func TestModule_handComposedGraphSealsAtRest(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	path := t.TempDir() + "/tokens.db"
	cfg := app.Config{ClientID: clientID, Authority: authority, SealingKey: []byte(composeKey)}
	var pc *app.PublicClient
	a := fx.New(fx.NopLogger,
		fx.Supply(cfg),
		app.Module,
		myStore(path),
		app.InProcessIdP(newFake(clock)),
		fx.Supply(fx.Annotate(clock, fx.As(new(ports.Clock)))),
		fx.Populate(&pc),
	)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
	if err != nil || hit.AccessToken != res.AccessToken || hit.TokenSource != domain.SourceCache {
		t.Fatalf("silent = %v, %v; want the sealed token opened from the cache (on the graph's clock)", hit.TokenSource, err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(path + "-wal"); err == nil {
		raw = append(raw, wal...)
	}
	if !strings.Contains(string(raw), "alice@example.com") {
		t.Fatal("the database holds no account: the check below would prove nothing")
	}
	for name, secret := range map[string]string{"access": string(res.AccessToken), "refresh": string(res.RefreshToken), "ID": string(res.IDToken)} {
		if secret == "" || strings.Contains(string(raw), secret) {
			t.Errorf("the %s token is in clear in the database (or empty): SealingKey ignored", name)
		}
	}
}

// A composition without a clock in the graph runs on Config.Clock.
func TestModule_clockFallsBackToConfig(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	var pc *app.PublicClient
	a := fx.New(fx.NopLogger,
		fx.Supply(app.Config{ClientID: clientID, Authority: authority, Clock: clock}),
		app.Module, app.Memory, app.InProcessIdP(newFake(clock)), fx.Populate(&pc))
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Stop(context.Background())
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if want := exampleStart.Add(time.Hour); !res.ExpiresOn.Equal(want) {
		t.Fatalf("ExpiresOn = %v; want %v (the token was issued on Config.Clock)", res.ExpiresOn, want)
	}
}

// A key that cannot be honoured stops the graph at start: never a clear-text store.
func TestModule_unusableSealingKeyFailsTheStart(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	a := fx.New(fx.NopLogger,
		fx.Supply(app.Config{ClientID: clientID, Authority: authority, SealingKey: []byte("short")}),
		app.Module, app.Memory, app.InProcessIdP(newFake(clock)), fx.Invoke(func(*app.PublicClient) {}))
	var de *domain.Error
	if err := a.Err(); err == nil || !errors.As(err, &de) || !errors.Is(de, domain.ErrInvalidInput) {
		t.Fatalf("start with a 5-byte key = %v; want ErrInvalidInput", err)
	}
}
