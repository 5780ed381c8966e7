package sqlite

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// deleteAccessToken removes the access token of partition ?1 whose key (Key()) is ?2.
// The table stores no key: the rows looked at are those of the folded home account ids
// the key can start with (sqlcache.KeyHomes, the parameters from ?3 on), each an index
// search, and their key is computed from their identity columns.
func deleteAccessToken(homes int) string {
	return `DELETE FROM access_tokens WHERE partition = ?1` + inFilter("home_account_id_folded", 3, homes) +
		` AND ` + sqlcache.KeySQL(sqlcache.KindAccessToken) + ` = ?2`
}

// keyHomes returns the candidates of sqlcache.KeyHomes as arguments; none, for no
// filter, when the key has too many.
func keyHomes(k string) []any {
	homes := sqlcache.KeyHomes(k)
	if homes == nil {
		return nil
	}
	out := make([]any, len(homes))
	for i, h := range homes {
		out[i] = h
	}
	return out
}

// Write implements ports.TokenWriter in one write transaction: the superseded access
// tokens are deleted first, then every entry is upserted, so an access token listed in
// both is kept. A refresh token is only replaced by one that is not older (second
// precision); the comparison happens in the upsert itself, so it holds against writers
// in other processes.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	return s.up.Write(ctx, w, func(tx *sqlx.Tx) error {
		for _, k := range w.DeleteAccessTokens {
			homes := keyHomes(k)
			if _, err := tx.ExecContext(ctx, deleteAccessToken(len(homes)), append([]any{w.Partition, k}, homes...)...); err != nil {
				return fmt.Errorf("delete superseded access token: %w", err)
			}
		}
		return nil
	})
}
