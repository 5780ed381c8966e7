package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// deleteAccessToken removes the access token of partition ?1 whose key is ?2.
const deleteAccessToken = `DELETE FROM access_tokens WHERE partition = ?1 AND key = ?2`

// Write implements ports.TokenWriter in one write transaction: the superseded access
// tokens are deleted first, then every entry is upserted, so an access token listed in
// both is kept. A refresh token is only replaced by one that is not older (second
// precision); the comparison happens in the upsert itself, so it holds against writers
// in other processes.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	return s.up.Write(ctx, w, func(tx *sqlx.Tx) error {
		for _, k := range w.DeleteAccessTokens {
			if _, err := tx.ExecContext(ctx, deleteAccessToken, w.Partition, strings.ToLower(k)); err != nil {
				return fmt.Errorf("delete superseded access token: %w", err)
			}
		}
		return nil
	})
}
