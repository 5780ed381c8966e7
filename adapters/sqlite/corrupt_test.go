package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// TestStore_corruptRowsAreMisses damages rows with raw SQL, as a bug or a hand edit
// would, and wants every call to skip them, keep the rest and log them without their
// secrets.
func TestStore_corruptRowsAreMisses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	logger, logs := newLogger()
	s := openStore(t, sqlite.Config{Path: path, Logger: logger})
	w := fullWrite("p", "h", "damaged")
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v", err)
	}
	db := rawDB(t, path)
	mustExec(t, db, `UPDATE access_tokens SET extra = '{"unterminated": ' WHERE partition = 'p'`)
	mustExec(t, db, `UPDATE refresh_tokens SET cached_at = 'yesterday' WHERE partition = 'p'`)
	mustExec(t, db, `UPDATE accounts SET extra = '[1, 2]' WHERE partition = 'p'`)

	got, err := s.Find(t.Context(), query("p", "h"))
	if err != nil {
		t.Fatalf("Find with corrupt rows = %v; want nil error (a corrupt row is a miss)", err)
	}
	if len(got.AccessTokens) != 0 || len(got.RefreshTokens) != 0 || len(got.Accounts) != 0 {
		t.Errorf("Find returned %d access tokens, %d refresh tokens, %d accounts; want the corrupt rows skipped",
			len(got.AccessTokens), len(got.RefreshTokens), len(got.Accounts))
	}
	if len(got.IDTokens) != 1 || len(got.AppMetadata) != 1 {
		t.Errorf("Find returned %d ID tokens, %d app metadata; want the sound rows (1, 1)", len(got.IDTokens), len(got.AppMetadata))
	}
	snap, err := s.Export(t.Context(), "p")
	if err != nil || snap.Len() != 2 {
		t.Errorf("Export with corrupt rows = %d entries, %v; want 2, nil", snap.Len(), err)
	}
	accts, err := s.Accounts(t.Context(), domain.AccountFilter{Partition: "p"})
	if err != nil || len(accts) != 0 {
		t.Errorf("Accounts with a corrupt account row = %d, %v; want 0, nil", len(accts), err)
	}

	out := logs.String()
	for _, want := range []string{"corrupt cache row", "kind=\"access token\"", "extra is not a JSON object",
		"kind=\"refresh token\"", "column cached_at holds a string", w.AccessToken.Key()} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not mention %q:\n%s", want, out)
		}
	}
	for _, secret := range []domain.Secret{w.AccessToken.Secret, w.RefreshToken.Secret, w.IDToken.Secret} {
		if strings.Contains(out, string(secret)) {
			t.Errorf("log holds a token secret:\n%s", out)
		}
	}

	// Writing the entries again repairs them.
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write over corrupt rows = %v", err)
	}
	got, err = s.Find(t.Context(), query("p", "h"))
	if err != nil || len(got.AccessTokens) != 1 || len(got.RefreshTokens) != 1 || len(got.Accounts) != 1 {
		t.Errorf("Find after rewriting = %d/%d/%d access/refresh/accounts, %v; want 1/1/1, nil",
			len(got.AccessTokens), len(got.RefreshTokens), len(got.Accounts), err)
	}
}
