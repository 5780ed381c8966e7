package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/internal/sqlcache/sqlcachetest"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// TestOpen_migratesVersion1RowsToCaseSensitiveSubjects opens a database that schema
// version 1 wrote, whose keys lower-cased every home account id, and checks that
// migration 0002 leaves the rows as the current code writes them: the OIDC subject Alice
// is found as Alice only, an Entra id in any case, and a new write of the same entry
// replaces the migrated row (its key is what Key() computes) instead of adding a second.
func TestOpen_migratesVersion1RowsToCaseSensitiveSubjects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := rawDB(t, path)
	ms, err := sqlmigrate.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:1]); err != nil {
		t.Fatalf("apply version 1 = %v", err)
	}
	mustExec(t, db, sqlcachetest.Version1Rows)
	_ = db.Close()

	s := openStore(t, sqlite.Config{Path: path})
	sqlcachetest.CheckMigratedVersion1Rows(t, s)
}
