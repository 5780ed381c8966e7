package postgresstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop the test schema

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/app/postgresstore"
	"github.com/hexauth/hexauth/domain"
	"go.uber.org/fx"
)

// testDSN returns HEXAUTH_TEST_POSTGRES_DSN and a schema of the test's own, dropped at
// its end; it skips the test when the variable is unset.
func testDSN(t *testing.T) (dsn, schema string) {
	t.Helper()
	dsn = os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is not set: no Postgres to test against")
	}
	schema = "postgresstore_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Errorf("drop test schema: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return dsn, schema
}

func fake(t *testing.T, clock *memory.Clock) *memory.IdentityProvider {
	t.Helper()
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "correct horse"}},
		Clients: []memory.Client{{ID: "my-app"}},
		Scopes:  []string{"api://orders/read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return idp
}

// Both ways in reach the same tables: a client opened from a postgres: Cache URL (the
// registry) signs alice in, and a graph given the equivalent postgres.Config (Provide,
// no URL) lists her.
func TestURLAndProvide_sameStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dsn, schema := testDSN(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	clock := memory.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	cfg := app.Config{ClientID: "my-app", Authority: "https://login.example.com/tenant-a", Clock: clock, IdentityProvider: fake(t, clock)}

	byURL := cfg
	byURL.Cache = dsn + sep + "schema=" + schema + "&max_conns=2"
	pc, err := app.NewPublicClient(ctx, byURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"api://orders/read"}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}

	var viaProvide *app.PublicClient
	a := fx.New(fx.NopLogger, fx.Supply(cfg), app.Module, app.InProcessIdP(cfg.IdentityProvider),
		postgresstore.Provide(postgres.Config{DSN: dsn, Schema: schema}), fx.Populate(&viaProvide))
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := viaProvide.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].Username != "alice@example.com" {
		t.Fatalf("Accounts through Provide = %v, %v; want alice, signed in through the URL", list, err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := viaProvide.Accounts(ctx); !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Accounts after the graph stopped = %v; want ErrCacheStore (the graph closed the store)", err)
	}
}
