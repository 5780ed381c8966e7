package postgres

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// TestSelects_returnTheUnionRow checks each table's SELECT against what sqlcache.Row
// decodes: the columns in order, the kind's number first, and the driver's types.
func TestSelects_returnTheUnionRow(t *testing.T) {
	s := OpenTestStore(t, Config{})
	if err := s.Write(t.Context(), sampleWrite("p", "h", "secret")); err != nil {
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
			if err := s.db.QueryRowContext(t.Context(), tt.query+` WHERE partition = $1`, "p").Scan(r.Dest()...); err != nil {
				t.Fatalf("scanning its row into a sqlcache.Row = %v; want %d columns", err, sqlcache.NumColumns)
			}
			var snap domain.CacheSnapshot
			if err := r.AppendTo(&snap, extraCodec); err != nil || snap.Len() != 1 || r.Kind() != tt.kind {
				t.Errorf("AppendTo = %v, %d entries of kind %v; want nil, 1 of kind %v", err, snap.Len(), r.Kind(), tt.kind)
			}
		})
	}
}
