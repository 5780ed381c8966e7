package sqlcache

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// Upserter applies a store's writes and imports. Every entry is first turned into the
// dialect's upsert batches, so that an entry the store refuses fails the whole call
// before anything is written; the batches then run in one of the dialect's
// transactions. All fields are required.
type Upserter struct {
	// Errors makes the errors of the calls.
	Errors Errors
	// Life is the store's state: a closed store or a done context fails a call
	// before it starts.
	Life *Lifecycle
	// Batches turns the entries of snap into the upsert batches of partition. Its
	// error is bad input (Errors.Input).
	Batches func(partition string, snap domain.CacheSnapshot) ([]Batch, error)
	// InTx runs fn in a write transaction and commits it.
	InTx func(ctx context.Context, fn func(tx *sqlx.Tx) error) error
}

// Write implements ports.TokenWriter for the store: first (the dialect's deletion of
// the superseded access tokens, a lock it needs) runs in the transaction before the
// entries of w are upserted, so an access token both deleted and written is kept.
func (u Upserter) Write(ctx context.Context, w domain.CacheWrite, first func(tx *sqlx.Tx) error) error {
	return u.apply(ctx, "write", w.Partition, w.Upserts(), first)
}

// Import implements ports.CacheSnapshotter's Import for the store: every entry of snap
// is upserted into partition in one transaction; an empty snap starts none.
func (u Upserter) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	return u.apply(ctx, "import", partition, snap, nil)
}

// ImportWith is Import that runs first in the transaction before the upserts, even
// when snap is empty.
func (u Upserter) ImportWith(ctx context.Context, partition string, snap domain.CacheSnapshot, first func(tx *sqlx.Tx) error) error {
	return u.apply(ctx, "import", partition, snap, first)
}

func (u Upserter) apply(ctx context.Context, op, partition string, snap domain.CacheSnapshot, first func(tx *sqlx.Tx) error) error {
	if err := u.Errors.Store(ctx, op, u.Life.Check(ctx)); err != nil {
		return err
	}
	batches, err := u.Batches(partition, snap)
	if err != nil {
		return u.Errors.Input(op, err)
	}
	if len(batches) == 0 && first == nil {
		return nil
	}
	err = u.InTx(ctx, func(tx *sqlx.Tx) error {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		return ExecBatches(ctx, tx, batches)
	})
	return u.Errors.Store(ctx, op, err)
}
