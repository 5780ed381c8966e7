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
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		s, err := memory.NewStore(memory.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}

// The flow scenarios on the SQLite store (one file per scenario).
func TestFlows_memoryProviderSQLiteStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "tokens.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}

// The flow scenarios on the Postgres store (one schema per scenario).
func TestFlows_memoryProviderPostgresStore(t *testing.T) {
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is unset: the Postgres flow scenarios need a server (.ci/run sets it)")
	}
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		schema := fmt.Sprintf("flows_%d", time.Now().UnixNano())
		s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			if db, err := sql.Open("pgx", dsn); err == nil {
				_, _ = db.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
				db.Close()
			}
		})
		return s
	}))
}

// The flow scenarios over real HTTP: httpidp against the idptest server.
func TestFlows_httpProviderMemoryStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.HTTPProvider, func(t *testing.T) ports.CacheStore {
		s, err := memory.NewStore(memory.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}
