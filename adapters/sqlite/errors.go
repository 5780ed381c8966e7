package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/hexauth/hexauth/domain"
)

// storeError wraps err as a *domain.Error of class ErrCacheStore whose message starts
// with "sqlite: <op>:". When ctx is done the error also wraps ctx.Err(). SQLite's
// messages name tables, columns and constraints, never the values of a row, so they
// are kept.
func storeError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err // already classified (bad input, or a nested call's store error)
	}
	if msg := err.Error(); msg == "sql: database is closed" || msg == "sql: statement is closed" {
		err = errClosed
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("sqlite: %s: %w", op, err)}
}

// inputError reports an entry the store refuses (an Extra value that is not JSON): a
// store failure, as the port requires, that also wraps domain.ErrInvalidInput.
func inputError(op string, err error) error {
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("sqlite: %s: %w: %w", op, domain.ErrInvalidInput, err)}
}
