package postgres

import (
	"errors"
	"io/fs"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// appliedMigrations returns the versions recorded in schema's version table.
func appliedMigrations(t *testing.T, schema string) []int {
	t.Helper()
	rows, err := AdminDB(t, DSNForTest(t)).QueryContext(t.Context(),
		`SELECT version FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` ORDER BY version`)
	if err != nil {
		t.Fatalf("read the version table of %s: %v", schema, err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("scan version: %v", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read versions: %v", err)
	}
	return out
}

func migrationCount(t *testing.T) int {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %d files; want at least one", err, len(files))
	}
	return len(files)
}

func wantAllMigrations(t *testing.T, schema, when string) {
	t.Helper()
	got, n := appliedMigrations(t, schema), migrationCount(t)
	if len(got) != n {
		t.Fatalf("%s: versions %v recorded; want each of the %d migrations once", when, got, n)
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("%s: versions %v recorded; want 1..%d", when, got, n)
		}
	}
}

func TestOpen_migrations_idempotent(t *testing.T) {
	schema := SchemaForTest(t)
	first := OpenTestStore(t, Config{Schema: schema})
	wantAllMigrations(t, schema, "after the first Open")
	w := sampleWrite("p", "h", "at-1")
	if err := first.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close = %v; want nil", err)
	}
	for i := range 2 {
		s := OpenTestStore(t, Config{Schema: schema})
		wantAllMigrations(t, schema, "after reopening")
		got, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
		if err != nil || len(got.AccessTokens) != 1 {
			t.Fatalf("Find after reopening #%d = %d access tokens, %v; want 1, nil", i+1, len(got.AccessTokens), err)
		}
	}
}

func TestOpen_concurrentOnFreshSchema(t *testing.T) {
	dsn, schema := DSNForTest(t), SchemaForTest(t)
	const opens = 8
	var wg sync.WaitGroup
	stores := make([]*Store, opens)
	errs := make([]error, opens)
	start := make(chan struct{})
	for i := range opens {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), Config{DSN: dsn, Schema: schema, MaxOpenConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d of %d racing on a fresh schema = %v; want nil", i+1, opens, err)
			continue
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	wantAllMigrations(t, schema, "after racing Opens")
	// Every store works, and sees what the others write.
	for i, s := range stores {
		if err := s.Write(t.Context(), sampleWrite("p", "h", "at")); err != nil {
			t.Errorf("Write through store #%d = %v; want nil", i+1, err)
		}
	}
	got, err := stores[0].Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.AccessTokens) != 1 {
		t.Errorf("Find = %d access tokens, %v; want 1, nil", len(got.AccessTokens), err)
	}
}

func TestOpen_schemaFromNewerRelease_refused(t *testing.T) {
	schema := SchemaForTest(t)
	s := OpenTestStore(t, Config{Schema: schema})
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v; want nil", err)
	}
	_, err := AdminDB(t, DSNForTest(t)).ExecContext(t.Context(),
		`INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` (version, name) VALUES (9999, 'from_the_future')`)
	if err != nil {
		t.Fatalf("record a future migration: %v", err)
	}
	s, err = Open(t.Context(), Config{DSN: DSNForTest(t), Schema: schema})
	if err == nil {
		_ = s.Close()
	}
	if s != nil || !errors.Is(err, sqlmigrate.ErrDatabaseAhead) || !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Open on a schema at version 9999 = %v, %v; want nil, an ErrCacheStore error wrapping sqlmigrate.ErrDatabaseAhead", s, err)
	}
}
