package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// A large import leaves a WAL as large as its transaction; the store cuts it back after
// the next checkpoint instead of keeping it for as long as the database is open.
func TestStore_walIsCutBackAfterALargeImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	ctx := context.Background()
	var snap domain.CacheSnapshot
	big := strings.Repeat("x", 4096)
	for i := range 8000 { // ~100 MB of rows: far past the limit
		w := fullWrite("p", fmt.Sprintf("home-%d", i), fmt.Sprint(i)+big)
		snap.AccessTokens = append(snap.AccessTokens, *w.AccessToken)
		snap.RefreshTokens = append(snap.RefreshTokens, *w.RefreshToken)
		snap.IDTokens = append(snap.IDTokens, *w.IDToken)
		snap.Accounts = append(snap.Accounts, *w.Account)
	}
	if err := s.Import(ctx, "p", snap); err != nil {
		t.Fatal(err)
	}
	// Checkpoint, then write again: the writer restarts the WAL and applies the limit.
	db := rawDB(t, path)
	mustExec(t, db, "PRAGMA wal_checkpoint(PASSIVE)")
	if err := s.Write(ctx, fullWrite("p", "after", "small")); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 17<<20 {
		t.Fatalf("WAL is %d MB after a checkpoint; want it cut back to the 16 MB limit", info.Size()>>20)
	}
}

// An import cuts the WAL back at once when nobody is reading: before, it kept the size
// of the import's transaction until the next write (the disk a cache takes, as an
// operator or the benchmark measures it, doubled). With a reader holding the WAL the
// import still succeeds, its rows all there, and the WAL waits for a later checkpoint.
func TestStore_Import_cutsTheWALBack(t *testing.T) {
	for _, reader := range []bool{false, true} {
		t.Run(fmt.Sprintf("reader=%v", reader), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.db")
			s := openStore(t, sqlite.Config{Path: path})
			ctx := context.Background()
			if reader {
				db := rawDB(t, path)
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				var n int
				if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			var snap domain.CacheSnapshot
			big := strings.Repeat("x", 4096)
			for i := range 500 { // ~6 MB of rows
				w := fullWrite("p", fmt.Sprintf("home-%d", i), fmt.Sprint(i)+big)
				snap.AccessTokens = append(snap.AccessTokens, *w.AccessToken)
				snap.Accounts = append(snap.Accounts, *w.Account)
			}
			if err := s.Import(ctx, "p", snap); err != nil {
				t.Fatal(err)
			}
			got, err := s.Export(ctx, "p")
			if err != nil || len(got.AccessTokens) != 500 || len(got.Accounts) != 500 {
				t.Fatalf("Export after the import = %d access tokens, %d accounts, %v; want 500 each", len(got.AccessTokens), len(got.Accounts), err)
			}
			info, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if cut := info.Size() < 1<<20; cut == reader {
				t.Fatalf("WAL is %d KB after the import (reader %v); want it cut back only without a reader", info.Size()>>10, reader)
			}
		})
	}
}
