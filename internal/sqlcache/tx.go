package sqlcache

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// InTx runs fn in a transaction of db and commits it; when fn fails the transaction is
// rolled back and fn's error returned.
func InTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
