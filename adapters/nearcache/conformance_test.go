package nearcache_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to drop test schemas

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/internal/flowtest"
	"github.com/hexauth/hexauth/ports"
)

// strict reads SQLite's version on every hit: the conformance suite's cross-store
// cases read through one Store what another wrote an instant before.
var strict = nearcache.Config{CheckInterval: -1}

func wrap(t testing.TB, inner ports.CacheStore, cfg nearcache.Config) *nearcache.Store {
	t.Helper()
	s, err := nearcache.New(inner, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openSQLite(t testing.TB, path string) ports.CacheStore {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore_Conformance_sqlite(t *testing.T) {
	f := conformance.Features{
		Persistent:       true,
		CrossProcessLock: true,
		NewStorePair: func(t *testing.T) (ports.CacheStore, ports.CacheStore) {
			path := filepath.Join(t.TempDir(), "shared.db")
			return wrap(t, openSQLite(t, path), strict), wrap(t, openSQLite(t, path), strict)
		},
	}
	conformance.TestCacheStore(t, f, func(t *testing.T) ports.CacheStore {
		return wrap(t, openSQLite(t, filepath.Join(t.TempDir(), "c.db")), nearcache.Config{})
	})
}

func TestStore_HitReader_sqlite(t *testing.T) {
	conformance.TestHitReader(t, func(t *testing.T) ports.CacheStore {
		return wrap(t, openSQLite(t, filepath.Join(t.TempDir(), "c.db")), nearcache.Config{})
	})
}

func TestStore_Conformance_postgres(t *testing.T) {
	dsn := postgresDSN(t)
	f := conformance.Features{
		Persistent:       true,
		CrossProcessLock: true,
		NewStorePair: func(t *testing.T) (ports.CacheStore, ports.CacheStore) {
			open := postgresStorage(t, dsn)
			return wrap(t, open(t), nearcache.Config{}), wrap(t, open(t), nearcache.Config{})
		},
	}
	conformance.TestCacheStore(t, f, func(t *testing.T) ports.CacheStore {
		return wrap(t, postgresStorage(t, dsn)(t), nearcache.Config{})
	})
}

func TestStore_HitReader_postgres(t *testing.T) {
	dsn := postgresDSN(t)
	conformance.TestHitReader(t, func(t *testing.T) ports.CacheStore {
		return wrap(t, postgresStorage(t, dsn)(t), nearcache.Config{})
	})
}

func TestFlows_sqlite(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		return wrap(t, openSQLite(t, filepath.Join(t.TempDir(), "f.db")), nearcache.Config{})
	}))
}

func TestFlows_postgres(t *testing.T) {
	dsn := postgresDSN(t)
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		return wrap(t, postgresStorage(t, dsn)(t), nearcache.Config{})
	}))
}

// postgresDSN returns HEXAUTH_TEST_POSTGRES_DSN, or skips the test when it is unset.
func postgresDSN(t testing.TB) string {
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is unset: the Postgres near-cache tests need a server")
	}
	return dsn
}

// postgresStorage names a fresh schema, dropped when t ends, and returns a function
// that opens a store on it (each call its own pools, as another process would).
func postgresStorage(t testing.TB, dsn string) func(t testing.TB) ports.CacheStore {
	schema := fmt.Sprintf("near_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
			db.Close()
		}
	})
	return func(t testing.TB) ports.CacheStore {
		return openPostgres(t, dsn, schema)
	}
}

func openPostgres(t testing.TB, dsn, schema string) ports.CacheStore {
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
