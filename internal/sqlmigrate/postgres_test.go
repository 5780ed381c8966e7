package sqlmigrate_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

func TestPostgres_quotesTheSchema(t *testing.T) {
	d := sqlmigrate.Postgres(`we"ird`)
	for _, stmt := range append(append([]string{d.Version, d.Record}, d.Setup...), d.Begin...) {
		if strings.Contains(stmt, `we"ird`) && !strings.Contains(stmt, `"we""ird"`) {
			t.Errorf("statement %q names the schema unquoted; want \"we\"\"ird\"", stmt)
		}
	}
	if a, b := sqlmigrate.PostgresLockKey("a"), sqlmigrate.PostgresLockKey("b"); a == b {
		t.Errorf("PostgresLockKey(a) = PostgresLockKey(b) = %d; want schemas to lock apart", a)
	}
}

// pgSteps are steps in Postgres's SQL, unqualified: the pools set search_path.
var pgSteps = []sqlmigrate.Migration{
	{Version: 1, Name: "init", SQL: "CREATE TABLE t (x integer NOT NULL); CREATE TABLE runs (step integer NOT NULL);"},
	{Version: 2, Name: "add_column", SQL: "ALTER TABLE t ADD COLUMN y text NOT NULL DEFAULT 'two'; INSERT INTO runs VALUES (2);"},
	{Version: 3, Name: "seed", SQL: "INSERT INTO t (x, y) VALUES (3, 'three'); INSERT INTO runs VALUES (3);"},
}

// postgresDB opens pools on the server named by HEXAUTH_TEST_POSTGRES_DSN with
// search_path set to a new schema, dropped at the end of the test; it skips without a
// server.
func postgresDB(t *testing.T, pools int) (schema string, dbs []*sql.DB) {
	t.Helper()
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is not set: the Postgres dialect needs a server")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = "sqlmigrate_test_" + hex.EncodeToString(b)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for range pools {
		db, err := sql.Open("pgx", dsn+sep+"search_path="+schema)
		if err != nil {
			t.Fatalf("sql.Open(pgx) = %v", err)
		}
		dbs = append(dbs, db)
	}
	t.Cleanup(func() {
		if _, err := dbs[0].Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
		for _, db := range dbs {
			_ = db.Close()
		}
	})
	return schema, dbs
}

func TestApply_postgres(t *testing.T) {
	schema, dbs := postgresDB(t, 4)
	d := sqlmigrate.Postgres(schema)
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for _, db := range dbs {
		wg.Go(func() {
			n, err := sqlmigrate.Apply(context.Background(), db, d, pgSteps)
			if err != nil {
				t.Errorf("concurrent Apply on Postgres = %d, %v; want nil error", n, err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != len(pgSteps) {
		t.Errorf("concurrent Apply calls applied %d migrations in all; want %d", total, len(pgSteps))
	}
	var runs int
	if err := dbs[0].QueryRow("SELECT count(*) FROM runs").Scan(&runs); err != nil || runs != 2 {
		t.Errorf("runs = %d, %v; want 2 (each migration once)", runs, err)
	}
	if n, err := sqlmigrate.Apply(t.Context(), dbs[0], d, pgSteps); n != 0 || err != nil {
		t.Errorf("Apply again = %d, %v; want 0, nil", n, err)
	}
	if _, err := sqlmigrate.Apply(t.Context(), dbs[0], d, pgSteps[:1]); !errors.Is(err, sqlmigrate.ErrDatabaseAhead) {
		t.Errorf("Apply(1 migration) at version 3 = %v; want ErrDatabaseAhead", err)
	}
	broken := append([]sqlmigrate.Migration{}, pgSteps...)
	broken = append(broken, sqlmigrate.Migration{Version: 4, Name: "broken", SQL: "CREATE TABLE u (x int); SELECT * FROM no_such_table"})
	if n, err := sqlmigrate.Apply(t.Context(), dbs[0], d, broken); n != 0 || err == nil {
		t.Errorf("Apply with a failing migration 4 = %d, %v; want 0, an error", n, err)
	}
	var u sql.NullString
	if err := dbs[0].QueryRow("SELECT to_regclass('u')::text").Scan(&u); err != nil || u.Valid {
		t.Errorf("table u after its migration failed = %v, %v; want it rolled back", u, err)
	}
}
