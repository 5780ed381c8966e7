package postgres

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hexauth/hexauth/domain"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStore_corruptRows_skippedAndLogged damages rows behind the store's back, the
// ways another tool or a bad manual fix could, and checks that every read skips them
// as misses, keeps the sound rows, and logs the damaged ones without their secrets.
func TestStore_corruptRows_skippedAndLogged(t *testing.T) {
	var logged syncBuffer
	schema := SchemaForTest(t)
	s := OpenTestStore(t, Config{Schema: schema, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	w := sampleWrite("p", "h", "secret-at")
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	db := AdminDB(t, DSNForTest(t))
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	for _, stmt := range []string{
		// Extra that is JSON but not an object.
		`UPDATE ` + table("access_tokens") + ` SET extra = '[1, 2]'`,
		// A refresh token with no secret, packed or not.
		`UPDATE ` + table("refresh_tokens") + ` SET secret_packed = NULL`,
		`UPDATE ` + table("accounts") + ` SET extra = '"just a string"'`,
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("corrupt the cache (%s): %v", stmt, err)
		}
	}

	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"}
	got, err := s.Find(t.Context(), q)
	if err != nil {
		t.Fatalf("Find over corrupt rows = %v; want nil (corrupt rows are misses)", err)
	}
	if len(got.AccessTokens)+len(got.RefreshTokens)+len(got.Accounts) != 0 {
		t.Errorf("Find returned %d access tokens, %d refresh tokens, %d accounts from corrupt rows; want none",
			len(got.AccessTokens), len(got.RefreshTokens), len(got.Accounts))
	}
	if len(got.IDTokens) != 1 || len(got.AppMetadata) != 1 {
		t.Errorf("Find returned %d ID tokens and %d app metadata; want the sound rows, 1 and 1", len(got.IDTokens), len(got.AppMetadata))
	}
	snap, err := s.Export(t.Context(), "p")
	if err != nil || snap.Len() != 2 {
		t.Errorf("Export over corrupt rows = %d entries, %v; want the 2 sound ones, nil", snap.Len(), err)
	}
	accts, err := s.Accounts(t.Context(), domain.AccountFilter{Partition: "p"})
	if err != nil || len(accts) != 0 {
		t.Errorf("Accounts over a corrupt row = %d accounts, %v; want 0, nil", len(accts), err)
	}

	log := logged.String()
	for _, want := range []string{
		"kind=\"access token\"", "kind=\"refresh token\"", "kind=account", "extra is not a JSON object", "column secret is NULL",
		"key=" + w.AccessToken.Key(),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log = %q; want it to contain %q", log, want)
		}
	}
	for _, secret := range []string{"secret-at", "rt-secret-at", "idt-secret-at"} {
		if strings.Contains(log, secret) {
			t.Errorf("log = %q; want no token in it (found %q)", log, secret)
		}
	}

	// Writing the entries again repairs what the upsert rewrites.
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write over corrupt rows = %v; want nil", err)
	}
	if got, err := s.Find(t.Context(), q); err != nil || len(got.AccessTokens) != 1 || len(got.RefreshTokens) != 1 || len(got.Accounts) != 1 {
		t.Errorf("Find after rewriting = %d/%d/%d access/refresh/accounts, %v; want 1/1/1, nil",
			len(got.AccessTokens), len(got.RefreshTokens), len(got.Accounts), err)
	}
}
