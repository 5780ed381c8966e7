package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexauth/hexauth/internal/sqlcache"
)

// errs makes the store's errors, sanitized: server error details, which may quote row
// values (tokens included), are dropped.
var errs = sqlcache.Errors{Prefix: "postgres", Sanitize: sanitize}

// storeError wraps err as a *domain.Error of class ErrCacheStore whose message starts
// with "postgres: <op>:" (sqlcache.Errors.Store), without the parts of a server or
// connection error that may quote data.
func storeError(ctx context.Context, op string, err error) error { return errs.Store(ctx, op, err) }

// inputError reports an entry or query the store refuses: a store failure (class
// domain.ErrCacheStore, as the port requires) that also wraps domain.ErrInvalidInput.
func inputError(op string, err error) error { return errs.Input(op, err) }

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

// lostConnection reports whether a call that failed with err lost its connection (a
// network error, or the server ended the session: SQLSTATE class 08, or 57P01–57P03 on
// shutdown or termination) while ctx is still live, so that it may run again on
// another connection. A server error about the statement itself is not a lost
// connection.
func lostConnection(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 57P05: the server's idle_session_timeout ended the pooled session (PostgreSQL
		// 14+, set by managed services to reap idle clients): as dead as after a restart.
		return strings.HasPrefix(pgErr.Code, "08") || hasCode(err, "57P01", "57P02", "57P03", "57P05")
	}
	// A failed dial is no dead pooled connection: the pool already tried a fresh one.
	var connErr *pgconn.ConnectError
	var ce *connectError
	if errors.As(err, &connErr) || errors.As(err, &ce) {
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}

// retryable reports whether a transaction failed only because it lost a race with
// another one, so that running it again may succeed.
func retryable(err error) bool {
	return hasCode(err, codeSerializationFailure, codeDeadlockDetected)
}
