package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexauth/hexauth/domain"
)

// storeError wraps err as a *domain.Error of class ErrCacheStore whose message starts
// with "postgres: <op>:". Server error details, which may quote row values (tokens
// included), are dropped. When ctx is done the error also wraps ctx.Err().
func storeError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err // already classified (bad input, or a store error from a nested call)
	}
	err = sanitize(err)
	if closedDBError(err) {
		err = errClosed
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("postgres: %s: %w", op, err)}
}

// closedDBError reports whether err is database/sql's "database is closed".
func closedDBError(err error) bool { return err != nil && err.Error() == "sql: database is closed" }

// sanitize returns err without the parts that may quote data: a server error keeps its
// severity, code, message and the names of the objects involved, but not its detail,
// hint or context (a constraint violation's detail shows the failing row, secrets
// included); a connection error keeps its message but not its configuration, which
// holds the password.
func sanitize(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return &pgconn.PgError{
			Severity: pgErr.Severity, SeverityUnlocalized: pgErr.SeverityUnlocalized, Code: pgErr.Code,
			Message: pgErr.Message, SchemaName: pgErr.SchemaName, TableName: pgErr.TableName,
			ColumnName: pgErr.ColumnName, DataTypeName: pgErr.DataTypeName, ConstraintName: pgErr.ConstraintName,
		}
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return &connectError{msg: connErr.Error(), cause: sanitize(connErr.Unwrap())}
	}
	return err
}

// connectError is a *pgconn.ConnectError without the configuration it carries.
type connectError struct {
	msg   string
	cause error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.cause }

// SQLSTATE codes the store reacts to.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// hasCode reports whether err is a server error with one of codes.
func hasCode(err error, codes ...string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	for _, c := range codes {
		if pgErr.Code == c {
			return true
		}
	}
	return false
}

// retryable reports whether a transaction failed only because it lost a race with
// another one, so that running it again may succeed.
func retryable(err error) bool {
	return hasCode(err, codeSerializationFailure, codeDeadlockDetected)
}
