package postgres

import (
	"context"

	"github.com/hexauth/hexauth/ports"
)

var _ ports.PartitionClearer = (*Store)(nil)

// clearPartition deletes a partition's rows from every table in one statement, hence
// one transaction, and notifies channel $2 with payload $3 (a change of anything,
// changes.go) when it commits, so that near caches of other processes drop theirs.
const clearPartition = `WITH
	at AS (DELETE FROM access_tokens WHERE partition = $1),
	rt AS (DELETE FROM refresh_tokens WHERE partition = $1),
	it AS (DELETE FROM id_tokens WHERE partition = $1),
	am AS (DELETE FROM app_metadata WHERE partition = $1),
	fs AS (DELETE FROM foreign_sections WHERE partition = $1),
	ac AS (DELETE FROM accounts WHERE partition = $1)
	SELECT pg_notify($2, $3)`

// ClearPartition implements ports.PartitionClearer.
func (s *Store) ClearPartition(ctx context.Context, partition string) error {
	const op = "clear partition"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	if err := checkText("partition", partition); err != nil {
		return inputError(op, err)
	}
	_, err := s.db.ExecContext(ctx, clearPartition, partition, changeChannel, s.changePayload(""))
	return storeError(ctx, op, err)
}
