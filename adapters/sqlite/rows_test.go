package sqlite

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// TestSelects_returnTheUnionRow checks each table's SELECT against what sqlcache.Row
// decodes: the columns in order and the kind's number first.
func TestSelects_returnTheUnionRow(t *testing.T) {
	s, err := Open(context.Background(), Config{Path: MemoryPath})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer s.Close()
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	w := domain.CacheWrite{Partition: "p",
		AccessToken: &domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Realm: "r", Target: "s",
			Secret: "at", TokenType: "Bearer", CachedAt: at, ExpiresOn: at.Add(time.Hour)},
		RefreshToken: &domain.RefreshToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "rt", CachedAt: at},
		IDToken:      &domain.IDToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Realm: "r", Secret: "idt"},
		Account:      &domain.Account{HomeAccountID: "h", Environment: "e", Realm: "r", Username: "u"},
		AppMetadata:  &domain.AppMetadata{ClientID: "c", Environment: "e"},
	}
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v", err)
	}
	tests := []struct {
		query string
		kind  sqlcache.Kind
	}{
		{selectAccessTokens, sqlcache.KindAccessToken},
		{selectRefreshTokens, sqlcache.KindRefreshToken},
		{selectIDTokens, sqlcache.KindIDToken},
		{selectAccounts, sqlcache.KindAccount},
		{selectAppMetadata, sqlcache.KindAppMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			var r sqlcache.Row
			if err := s.db.QueryRowContext(t.Context(), tt.query).Scan(r.Dest()...); err != nil {
				t.Fatalf("scanning its row into a sqlcache.Row = %v; want %d columns", err, sqlcache.NumColumns)
			}
			var snap domain.CacheSnapshot
			if err := r.AppendTo(&snap, extraCodec); err != nil || snap.Len() != 1 || r.Kind() != tt.kind {
				t.Errorf("AppendTo = %v, %d entries of kind %v; want nil, 1 of kind %v", err, snap.Len(), r.Kind(), tt.kind)
			}
		})
	}
}

func TestExtraCodec_emptyIsNull(t *testing.T) {
	for _, m := range []map[string]json.RawMessage{nil, {}} {
		if got, err := extraCodec.Encode(m); got != nil || err != nil {
			t.Errorf("extraCodec.Encode(%#v) = %v, %v; want nil, nil (stored as NULL)", m, got, err)
		}
	}
}
