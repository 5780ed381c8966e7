package sqlite

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// deleteAccessToken removes the access token of partition ?1 whose identity columns
// are ?2 to ?6 (sqlcache.DeletedAccessTokens), one search of the unique index.
const deleteAccessToken = `DELETE FROM access_tokens WHERE partition = ?1 AND home_account_id_folded = ?2
	AND client_id_folded = ?3 AND environment_folded = ?4 AND realm = ?5 AND target_folded = ?6`

// Write implements ports.TokenWriter in one write transaction: the superseded access
// tokens are deleted first, then every entry is upserted, so an access token listed in
// both is kept. A refresh token is only replaced by one that is not older (second
// precision); the comparison happens in the upsert itself, so it holds against writers
// in other processes.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	return s.up.Write(ctx, w, func(tx *sqlx.Tx) error {
		cols := sqlcache.DeletedAccessTokens(w)
		for i := range cols[0] {
			if _, err := tx.ExecContext(ctx, deleteAccessToken, w.Partition, cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i]); err != nil {
				return fmt.Errorf("delete superseded access token: %w", err)
			}
		}
		return nil
	})
}
