package flowtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/internal/flowtest"
	"github.com/hexauth/hexauth/ports"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to drop test schemas
)

// The flow scenarios on the reference pair: the in-process fake and the memory store.
func TestFlows_memoryProviderMemoryStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, memoryStore))
}

// The flow scenarios on the SQLite store (one file per scenario).
func TestFlows_memoryProviderSQLiteStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, sqliteStore))
}

// The flow scenarios on the Postgres store (one schema per scenario).
func TestFlows_memoryProviderPostgresStore(t *testing.T) {
	dsn := postgresDSN(t)
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		return postgresStorage(t, dsn)(t)
	}))
}

// The flow scenarios over real HTTP: httpidp against the idptest server.
func TestFlows_httpProviderMemoryStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.HTTPProvider, memoryStore))
}

// The flow scenarios over real HTTP on the SQLite store.
func TestFlows_httpProviderSQLiteStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.HTTPProvider, sqliteStore))
}

// The flow scenarios over real HTTP on the Postgres store.
func TestFlows_httpProviderPostgresStore(t *testing.T) {
	dsn := postgresDSN(t)
	conformance.TestFlows(t, flowtest.Harness(flowtest.HTTPProvider, func(t *testing.T) ports.CacheStore {
		return postgresStorage(t, dsn)(t)
	}))
}

// memoryStore opens a fresh memory store.
func memoryStore(t *testing.T) ports.CacheStore {
	s, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sqliteStore opens a store on a fresh SQLite file.
func sqliteStore(t *testing.T) ports.CacheStore { return sqliteStorage(t)(t) }

// sqliteStorage makes a fresh SQLite file and returns a function that opens a store on
// it: each call a separate handle, as a separate process would open.
func sqliteStorage(t *testing.T) func(t *testing.T) ports.CacheStore {
	path := filepath.Join(t.TempDir(), "tokens.db")
	return func(t *testing.T) ports.CacheStore {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// postgresDSN returns HEXAUTH_TEST_POSTGRES_DSN, or skips the test when it is unset.
func postgresDSN(t *testing.T) string {
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is unset: the Postgres flow tests need a server (.ci/run sets it)")
	}
	return dsn
}

// postgresStorage names a fresh schema, dropped when t ends, and returns a function
// that opens a store on it: each call a separate handle (its own pool), as a separate
// process would open.
func postgresStorage(t *testing.T, dsn string) func(t *testing.T) ports.CacheStore {
	schema := fmt.Sprintf("flows_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
			db.Close()
		}
	})
	return func(t *testing.T) ports.CacheStore {
		s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}
