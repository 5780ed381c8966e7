package sqlcache

import (
	"context"
	"errors"
	"fmt"

	"github.com/hexauth/hexauth/domain"
)

// ErrClosed is the cause of the errors a store returns after Close.
var ErrClosed = errors.New("store is closed")

// ErrLockClosed is returned to refresh-lock waiters woken by Close.
var ErrLockClosed = errors.New("store closed while waiting for the lock")

// Errors makes the errors of one store adapter, whose messages start with its name.
type Errors struct {
	// Prefix starts every message: the adapter's package name ("sqlite").
	Prefix string
	// Sanitize, when set, returns a driver error without what may quote row values or
	// credentials; it is applied to every error Store classifies.
	Sanitize func(error) error
}

// Store wraps err, the failure of operation op, as a *domain.Error of class
// domain.ErrCacheStore whose message starts with "<prefix>: <op>:". It returns nil for
// nil, and err itself when err is already a *domain.Error (bad input, or a nested call's
// store error). database/sql's errors about a closed database or statement become
// ErrClosed. When ctx is done the error also wraps ctx.Err().
func (e Errors) Store(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if e.Sanitize != nil {
		err = e.Sanitize(err)
	}
	if msg := err.Error(); msg == "sql: database is closed" || msg == "sql: statement is closed" {
		err = ErrClosed
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("%s: %s: %w", e.Prefix, op, err)}
}

// Input reports an entry or query the store refuses (an Extra value that is not JSON,
// text the database cannot hold): a store failure, class domain.ErrCacheStore as the
// port requires, that also wraps domain.ErrInvalidInput.
func (e Errors) Input(op string, err error) error {
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("%s: %s: %w: %w", e.Prefix, op, domain.ErrInvalidInput, err)}
}
