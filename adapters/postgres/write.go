package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// deleteAccessTokens removes the access tokens of partition $1 whose keys are in $2.
const deleteAccessTokens = `DELETE FROM access_tokens WHERE partition = $1 AND key = ANY($2::text[])`

// Write implements ports.TokenWriter in one transaction: the superseded access tokens
// are deleted first, then every entry is upserted, so an access token listed in both
// is kept. A refresh token is only replaced by one that is not older (second
// precision); the comparison happens in the upsert itself, so it holds against
// writers in other processes. A transaction that loses a deadlock to a concurrent one
// is retried.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	const op = "write"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	batches, err := buildBatches(w.Partition, snapshotOf(w))
	if err != nil {
		return inputError(op, err)
	}
	deletes := make([]string, 0, len(w.DeleteAccessTokens))
	for _, k := range w.DeleteAccessTokens {
		if checkText("access token key", k) == nil { // a key the table cannot hold is not there
			deletes = append(deletes, strings.ToLower(k))
		}
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if len(deletes) > 0 {
			if _, err := tx.ExecContext(ctx, deleteAccessTokens, w.Partition, deletes); err != nil {
				return fmt.Errorf("delete superseded access tokens: %w", err)
			}
		}
		return execBatches(ctx, tx, batches)
	})
	return storeError(ctx, op, err)
}

// snapshotOf returns the entries w upserts.
func snapshotOf(w domain.CacheWrite) domain.CacheSnapshot {
	var s domain.CacheSnapshot
	if w.AccessToken != nil {
		s.AccessTokens = []domain.AccessToken{*w.AccessToken}
	}
	if w.RefreshToken != nil {
		s.RefreshTokens = []domain.RefreshToken{*w.RefreshToken}
	}
	if w.IDToken != nil {
		s.IDTokens = []domain.IDToken{*w.IDToken}
	}
	if w.Account != nil {
		s.Accounts = []domain.Account{*w.Account}
	}
	if w.AppMetadata != nil {
		s.AppMetadata = []domain.AppMetadata{*w.AppMetadata}
	}
	return s
}
