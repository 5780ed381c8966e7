package sqlite

import (
	"context"

	"github.com/hexauth/hexauth/ports"
	"github.com/jmoiron/sqlx"
)

var _ ports.PartitionClearer = (*Store)(nil)

// clearTables are the tables a partition's entries live in.
var clearTables = []string{"access_tokens", "refresh_tokens", "id_tokens", "accounts", "app_metadata", "foreign_sections"}

// ClearPartition implements ports.PartitionClearer in one write transaction.
func (s *Store) ClearPartition(ctx context.Context, partition string) error {
	const op = "clear partition"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	err := s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		for _, table := range clearTables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE partition = ?", partition); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError(ctx, op, err)
}
