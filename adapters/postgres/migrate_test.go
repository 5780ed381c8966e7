package postgres

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/internal/sqlcache/sqlcachetest"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// TestOpen_migratesVersion1RowsToCaseSensitiveSubjects opens a schema that version 1
// wrote, whose keys lower-cased every home account id, and checks that migration 0002
// leaves its rows as the current code writes them.
func TestOpen_migratesVersion1RowsToCaseSensitiveSubjects(t *testing.T) {
	dsn, schema := DSNForTest(t), SchemaForTest(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db := AdminDB(t, dsn+sep+"search_path="+schema) // as the store connects: tables unqualified
	ms, err := sqlmigrate.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.Postgres(schema), ms[:1]); err != nil {
		t.Fatalf("apply version 1 = %v", err)
	}
	if _, err := db.ExecContext(t.Context(), sqlcachetest.Version1Rows); err != nil {
		t.Fatalf("insert version 1 rows = %v", err)
	}
	s := OpenTestStore(t, Config{DSN: dsn, Schema: schema})
	sqlcachetest.CheckMigratedVersion1Rows(t, s)
}

// TestOpen_migratesPreCompactRows opens a schema at migration 0004 holding rows of
// every kind (sqlcachetest.PreCompactRows) and checks that migration 0005 keeps them
// whole and as the current code writes them.
func TestOpen_migratesPreCompactRows(t *testing.T) {
	dsn, schema := DSNForTest(t), SchemaForTest(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db := AdminDB(t, dsn+sep+"search_path="+schema)
	ms, err := sqlmigrate.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.Postgres(schema), ms[:4]); err != nil {
		t.Fatalf("apply versions 1 to 4 = %v", err)
	}
	if _, err := db.ExecContext(t.Context(), sqlcachetest.PreCompactRows); err != nil {
		t.Fatalf("insert pre-compact rows = %v", err)
	}
	sqlcachetest.CheckMigratedPreCompactRows(t, OpenTestStore(t, Config{DSN: dsn, Schema: schema}))
}
