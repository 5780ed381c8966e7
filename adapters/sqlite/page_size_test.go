package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// pageSizeOf reads the page size of the database file at path through a connection of
// its own.
func pageSizeOf(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("PRAGMA page_size").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpen_newDatabaseHas16KBPages checks the page size of a database the store
// creates: with 4 KB pages an Entra access token row (~2.2 KB) fills a page alone and
// the file takes 10.2 KB per cached account; with 16 KB pages, 8.2 KB
// (docs/benchmarks.md).
func TestOpen_newDatabaseHas16KBPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	w := domain.CacheWrite{Partition: "p", Account: &domain.Account{HomeAccountID: "h", Environment: "e", Realm: "r"}}
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if got := pageSizeOf(t, path); got != 16384 {
		t.Errorf("page size of a new database = %d; want 16384", got)
	}
}

// TestOpen_existingDatabaseKeepsItsPageSize opens a database created with 4 KB pages,
// as earlier versions did: the store uses it as it is (a WAL database cannot change its
// page size without a VACUUM outside WAL mode).
func TestOpen_existingDatabaseKeepsItsPageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE keep (x)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = db.Close()
	s := openStore(t, sqlite.Config{Path: path})
	a := domain.Account{HomeAccountID: "h", Environment: "e", Realm: "r"}
	if err := s.Write(t.Context(), domain.CacheWrite{Partition: "p", Account: &a}); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if got, err := s.Accounts(t.Context(), domain.AccountFilter{Partition: "p"}); err != nil || len(got) != 1 {
		t.Errorf("Accounts = %v, %v; want the account written", got, err)
	}
	if got := pageSizeOf(t, path); got != 4096 {
		t.Errorf("page size of a database created with 4 KB pages = %d after Open; want 4096, unchanged", got)
	}
}
