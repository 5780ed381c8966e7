package sqlite

import (
	"context"

	"github.com/hexauth/hexauth/internal/sqlcache"
)

// errs makes the store's errors. SQLite's messages name tables, columns and
// constraints, never the values of a row, so they are kept whole.
var errs = sqlcache.Errors{Prefix: "sqlite"}

// storeError wraps err as a *domain.Error of class ErrCacheStore whose message starts
// with "sqlite: <op>:" (sqlcache.Errors.Store).
func storeError(ctx context.Context, op string, err error) error { return errs.Store(ctx, op, err) }

// inputError reports an entry the store refuses (an Extra value that is not JSON): a
// store failure, as the port requires, that also wraps domain.ErrInvalidInput.
func inputError(op string, err error) error { return errs.Input(op, err) }
