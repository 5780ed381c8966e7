package postgres

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
)

// TestStore_Write_entraSizedTokensStayInline writes rows of Entra-sized tokens (an
// Entra access token row is ~2.2 KB of mostly random base64url text, over the TOAST
// threshold) and checks that nothing went to the TOAST tables: a silent hit reads the
// row's heap page only, not a TOAST index and page as well.
func TestStore_Write_entraSizedTokensStayInline(t *testing.T) {
	s := OpenTestStore(t, Config{})
	raw := make([]byte, 1560) // 2,080 characters: with the sample's other columns, a row over the 2 KB threshold
	_, _ = rand.Read(raw)
	for i, home := range []string{"a", "b", "c"} {
		w := sampleWrite("p", home, base64.RawURLEncoding.EncodeToString(raw)[i:])
		if err := s.Write(t.Context(), w); err != nil {
			t.Fatalf("Write = %v", err)
		}
	}
	for _, table := range []string{"access_tokens", "id_tokens", "refresh_tokens"} {
		var toastBytes int64
		err := s.db.QueryRowContext(t.Context(), `SELECT coalesce(pg_relation_size(c.reltoastrelid), 0) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, s.schema, table).Scan(&toastBytes)
		if err != nil {
			t.Fatalf("read the TOAST size of %s: %v", table, err)
		}
		if toastBytes != 0 {
			t.Errorf("%s's TOAST table holds %d bytes after writing three Entra-sized rows; want 0 (rows under 8 KB stay inline)", table, toastBytes)
		}
	}
}
