package sqlcache

import (
	"context"
	"database/sql"
	"fmt"
)

// Batch is one upsert statement and the rows of arguments it runs with.
type Batch struct {
	// Kind names what the rows are in errors ("access token").
	Kind  string
	Query string
	Rows  [][]any
}

// Execer runs statements: a *sql.Tx or a *sqlx.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// ExecBatches runs batches, in order, within tx: a batch of one row as a plain
// statement, a larger one as a statement prepared once and run per row. It stops at the
// first failure, naming the batch's kind.
func ExecBatches(ctx context.Context, tx Execer, batches []Batch) error {
	for _, b := range batches {
		if err := execBatch(ctx, tx, b); err != nil {
			return err
		}
	}
	return nil
}

func execBatch(ctx context.Context, tx Execer, b Batch) error {
	if len(b.Rows) == 1 {
		if _, err := tx.ExecContext(ctx, b.Query, b.Rows[0]...); err != nil {
			return fmt.Errorf("upsert %s: %w", b.Kind, err)
		}
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, b.Query)
	if err != nil {
		return fmt.Errorf("prepare upsert of %s: %w", b.Kind, err)
	}
	defer stmt.Close()
	for _, r := range b.Rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("upsert %s: %w", b.Kind, err)
		}
	}
	return nil
}
