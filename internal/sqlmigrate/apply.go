package sqlmigrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// ErrDatabaseAhead is wrapped by Apply's error when the database records a version
// newer than the newest migration given: a newer program migrated it, and this one
// must not use or change it.
var ErrDatabaseAhead = errors.New("sqlmigrate: the database schema is newer than this program knows")

// Apply brings db up to the last of ms and returns how many migrations it applied
// (0 when the database was up to date, or another process applied them meanwhile).
//
// ms must pass Check. Apply first reads the recorded version without locking; when it
// is the newest there is nothing to do. Otherwise it applies, on one dedicated
// connection, one migration per transaction: each transaction runs d.Begin (which takes
// the lock), d.Setup, reads the version again, and either finds nothing left to do or
// runs the next migration's SQL and records its version before committing. A
// migration that fails is rolled back with its record, and Apply returns an error
// naming it; those applied before it stay.
//
// A recorded version newer than the last of ms makes Apply return an error wrapping
// ErrDatabaseAhead without changing anything. ctx bounds the whole call, the waits for
// the lock included.
func Apply(ctx context.Context, db *sql.DB, d Dialect, ms []Migration) (applied int, err error) {
	if err := Check(ms); err != nil {
		return 0, err
	}
	latest := len(ms)
	var v int
	if err := db.QueryRowContext(ctx, d.Version).Scan(&v); err == nil {
		if err := checkVersion(d, v, latest); err != nil || v == latest {
			return 0, err
		}
	} else if ctx.Err() != nil {
		return 0, fmt.Errorf("sqlmigrate: %s: read version: %w", d.Name, ctx.Err())
	}
	// The error of the unlocked read is not reported: the version table may not exist
	// yet, and any other problem shows again under the lock.
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlmigrate: %s: connect: %w", d.Name, err)
	}
	defer conn.Close()
	for {
		done, err := step(ctx, conn, d, ms)
		if err != nil || done {
			return applied, err
		}
		applied++
	}
}

// checkVersion reports a recorded version the migrations cannot account for.
func checkVersion(d Dialect, v, latest int) error {
	switch {
	case v > latest:
		return fmt.Errorf("%w: %s database at version %d, newest migration known %d", ErrDatabaseAhead, d.Name, v, latest)
	case v < 0:
		return fmt.Errorf("sqlmigrate: %s: recorded version %d is negative", d.Name, v)
	}
	return nil
}

// step opens one locked transaction on conn and applies the migration after the
// recorded version, if any. It reports done when there was none.
func step(ctx context.Context, conn *sql.Conn, d Dialect, ms []Migration) (done bool, err error) {
	for _, stmt := range d.Begin {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			rollback(conn)
			return false, fmt.Errorf("sqlmigrate: %s: begin and lock: %w", d.Name, err)
		}
	}
	committed := false
	defer func() {
		if !committed {
			rollback(conn)
		}
	}()
	for _, stmt := range d.Setup {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("sqlmigrate: %s: create version table: %w", d.Name, err)
		}
	}
	var v int
	if err := conn.QueryRowContext(ctx, d.Version).Scan(&v); err != nil {
		return false, fmt.Errorf("sqlmigrate: %s: read version: %w", d.Name, err)
	}
	if err := checkVersion(d, v, len(ms)); err != nil || v == len(ms) {
		return true, err
	}
	m := ms[v] // versions are 1..len(ms): the next one is at index v
	if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqlmigrate: %s: apply %s: %w", d.Name, m, err)
	}
	if _, err := conn.ExecContext(ctx, d.Record, m.Version, m.Name); err != nil {
		return false, fmt.Errorf("sqlmigrate: %s: record %s: %w", d.Name, m, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("sqlmigrate: %s: commit %s: %w", d.Name, m, err)
	}
	committed = true
	return false, nil
}

// rollback ends whatever transaction conn is in, even when the caller's ctx is done.
// A connection that cannot be rolled back may still be inside the transaction, holding
// the lock (or a failed Begin left it in none, which is harmless): it is discarded
// instead of going back to the pool, which closes it and so ends any transaction.
func rollback(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}
