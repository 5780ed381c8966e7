package postgres

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache/sqlcachetest"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// schemaAtVersion returns a new schema migrated to version n and a connection to it as
// the store connects (search_path set: tables unqualified), with the DSN and schema
// to open the store on it.
func schemaAtVersion(t *testing.T, n int) (db *sql.DB, dsn, schema string) {
	t.Helper()
	dsn, schema = DSNForTest(t), SchemaForTest(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db = AdminDB(t, dsn+sep+"search_path="+schema)
	ms, err := sqlmigrate.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.Postgres(schema), ms[:n]); err != nil {
		t.Fatalf("apply versions 1 to %d = %v", n, err)
	}
	return db, dsn, schema
}

// TestOpen_migratesVersion1RowsToCaseSensitiveSubjects opens a schema that version 1
// wrote, whose keys lower-cased every home account id, and checks that migration 0002
// leaves its rows as the current code writes them.
func TestOpen_migratesVersion1RowsToCaseSensitiveSubjects(t *testing.T) {
	db, dsn, schema := schemaAtVersion(t, 1)
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
	db, dsn, schema := schemaAtVersion(t, 4)
	if _, err := db.ExecContext(t.Context(), sqlcachetest.PreCompactRows); err != nil {
		t.Fatalf("insert pre-compact rows = %v", err)
	}
	sqlcachetest.CheckMigratedPreCompactRows(t, OpenTestStore(t, Config{DSN: dsn, Schema: schema}))
}

// TestOpen_migratesToHomeHashIndexes opens a schema at migration 0005 holding the
// tokens and account records of two home account ids of one hashtext value, and checks
// that migration 0006 indexes them (a valid index) and that a hit still returns
// each account's own rows.
func TestOpen_migratesToHomeHashIndexes(t *testing.T) {
	db, dsn, schema := schemaAtVersion(t, 5)
	homes := []string{"home-189302", "home-288318"} // one hashtext value (TestFindHit_homeHashCollision)
	for _, home := range homes {
		for _, stmt := range []string{
			`INSERT INTO access_tokens (partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded,
				secret, token_type, cached_at, expires_on, extended_expires_on, refresh_on, key_id)
				VALUES ('p', $1, 'client-1', 'login.example.com', 'r', 'read', 'at-' || $1, 'Bearer', 1, 4102444800, 4102444800, -62135596800, '')`,
			`INSERT INTO id_tokens (partition, home_account_id_folded, client_id_folded, environment_folded, realm, secret)
				VALUES ('p', $1, 'client-1', 'login.example.com', 'r', 'idt-' || $1)`,
			`INSERT INTO accounts (partition, home_account_id_folded, environment_folded, realm, username_folded, local_account_id, name, authority_type)
				VALUES ('p', $1, 'login.example.com', 'r', $1 || '@example.com', '', '', 'Generic')`,
		} {
			if _, err := db.ExecContext(t.Context(), stmt, home); err != nil {
				t.Fatalf("insert version 5 rows of %s = %v", home, err)
			}
		}
	}
	s := OpenTestStore(t, Config{DSN: dsn, Schema: schema})
	var valid int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = $1::regnamespace AND c.relname = 'access_tokens_home_hash_idx'
		AND i.indisvalid AND i.indisready`, schema).Scan(&valid); err != nil {
		t.Fatal(err)
	}
	if valid != 1 {
		t.Errorf("valid home hash indexes after migrating = %d; want 1", valid)
	}
	for _, home := range homes {
		q := domain.CacheQuery{Partition: "p", HomeAccountID: home, ClientID: "client-1"}
		got, err := s.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("FindHit(%s) = %v", home, err)
		}
		if len(got.AccessTokens) != 1 || string(got.AccessTokens[0].Secret) != "at-"+home ||
			len(got.IDTokens) != 1 || string(got.IDTokens[0].Secret) != "idt-"+home || len(got.Accounts) != 1 {
			t.Errorf("FindHit(%s) = %d access tokens, %d ID tokens, %d accounts; want 1 each, of %s only",
				home, len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), home)
		}
	}
}
