package app_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/app/postgresstore"
	"github.com/hexauth/hexauth/app/sqlitestore"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to read and drop test schemas
	"go.uber.org/fx"
)

// postgresCacheURL returns a Cache URL for the test Postgres (HEXAUTH_TEST_POSTGRES_DSN)
// in a schema of the test's own, dropped when the test ends, or "" when the variable is
// unset. Tests on the shared server thus neither see nor leave each other's rows.
func postgresCacheURL(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		return ""
	}
	schema := "app_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Errorf("drop test schema: %v", err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "schema=" + schema
}

// The Postgres cache URL's own parameters pick the schema and the pool size; they are
// not sent to the server (which would refuse them as unknown run-time parameters).
func TestNewPublicClient_postgresURLParameters(t *testing.T) {
	pg := postgresCacheURL(t)
	if pg == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is not set: no Postgres to test against")
	}
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: authority, Cache: pg + "&max_conns=3", IdentityProvider: newFake(clock), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", os.Getenv("HEXAUTH_TEST_POSTGRES_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, schema, _ := strings.Cut(pg, "schema=")
	var accounts int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+schema+`".accounts`).Scan(&accounts); err != nil {
		t.Fatalf("reading the accounts table of schema %s: %v", schema, err)
	}
	if accounts != 1 {
		t.Fatalf("schema %s holds %d accounts; want the 1 just signed in", schema, accounts)
	}
}

func TestConfig_Validate_postgresURLParameters(t *testing.T) {
	for _, cache := range []string{
		"postgres://u:hunter2@db/tokens?max_conns=0",
		"postgres://u:hunter2@db/tokens?max_conns=many",
		"postgres://u:hunter2@db/tokens?max_conns=-1",
	} {
		err := app.Config{ClientID: "c", Authority: authority, Cache: cache}.Validate()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Validate(%s) = %v; want ErrInvalidInput", strings.Replace(cache, "hunter2", "xxxxx", 1), err)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q quotes the password", err)
		}
	}
	if err := (app.Config{ClientID: "c", Authority: authority, Cache: "postgres://u@db/tokens?sslmode=disable&schema=tenants_eu&max_conns=4"}).Validate(); err != nil {
		t.Errorf("Validate with schema and max_conns: %v", err)
	}
}

// A store module given a cache URL of another store refuses it instead of opening
// something the configuration did not name.
func TestStoreModules_refuseAnotherStoresURL(t *testing.T) {
	cfg := app.Config{ClientID: "c", Authority: authority, Cache: "memory:", IdentityProvider: newFake(memory.NewClock(exampleStart))}
	for name, module := range map[string]fx.Option{"sqlitestore": sqlitestore.Module, "postgresstore": postgresstore.Module} {
		err := fx.New(fx.NopLogger, fx.Supply(cfg), module, fx.Invoke(func(ports.CacheStore) {})).Err()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s.Module with Cache %q: error = %v; want ErrInvalidInput", name, cfg.Cache, err)
		}
	}
}
