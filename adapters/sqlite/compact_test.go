package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
)

// TestStore_Write_storesEachIDOnce: an entry whose ids are written in the case they
// fold to stores no second copy of them, and its refresh token is packed, not text —
// what keeps an account at about 6 KB on disk (docs/benchmarks.md). An id in another
// case keeps its copy, and reads back as written.
func TestStore_Write_storesEachIDOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	if err := s.Write(t.Context(), fullWrite("p", "h", "x")); err != nil {
		t.Fatal(err)
	}
	mixed := fullWrite("p", "Mixed", "y") // an OIDC subject: folds to itself too
	mixed.Account.Username = "Mixed@Example.com"
	if err := s.Write(t.Context(), mixed); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{
		`SELECT count(*) FROM access_tokens WHERE home_account_id IS NOT NULL OR environment IS NOT NULL OR client_id IS NOT NULL OR target IS NOT NULL`,
		`SELECT count(*) FROM refresh_tokens WHERE home_account_id IS NOT NULL OR environment IS NOT NULL OR client_id IS NOT NULL OR secret IS NOT NULL OR typeof(secret_packed) <> 'blob'`,
		`SELECT count(*) FROM id_tokens WHERE home_account_id IS NOT NULL OR environment IS NOT NULL OR client_id IS NOT NULL`,
		`SELECT count(*) FROM accounts WHERE home_account_id IS NOT NULL OR environment IS NOT NULL OR (username IS NOT NULL AND home_account_id_folded = 'h')`,
		`SELECT count(*) FROM app_metadata WHERE client_id IS NOT NULL OR environment IS NOT NULL`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s = %d, %v; want 0 (ids in their folded case stored once, refresh tokens packed)", q, n, err)
		}
	}
	var username string
	if err := db.QueryRow(`SELECT username FROM accounts WHERE home_account_id_folded = 'Mixed'`).Scan(&username); err != nil || username != "Mixed@Example.com" {
		t.Errorf("stored username of Mixed = %q, %v; want it kept as written", username, err)
	}
	got, err := s.Find(t.Context(), query("p", "Mixed"))
	if err != nil || len(got.Accounts) != 1 || got.Accounts[0].Username != "Mixed@Example.com" {
		t.Errorf("Find(Mixed) = %+v, %v; want the username as written", got.Accounts, err)
	}
	if len(got.RefreshTokens) != 1 || !strings.HasSuffix(string(got.RefreshTokens[0].Secret), "-y") {
		t.Errorf("Find(Mixed) refresh tokens = %d; want 1, unpacked", len(got.RefreshTokens))
	}
}
