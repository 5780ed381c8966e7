package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/hexauth/hexauth/ports"
)

var _ ports.DataVersioner = (*Store)(nil)

// versionReader reads PRAGMA data_version on a connection of its own. The counter is
// per connection and moves only for commits made by other connections, so it is read on
// one connection that never writes: a pooled one would compare the counters of
// different connections, and one that writes would miss its own commits.
//
// The connection is pinned (*sql.Conn): a *sql.DB, even limited to one connection,
// replaces a broken one without a word, and the new connection's counter, which starts
// afresh, could equal the last value read while another process's commit went unseen.
// A pinned connection that fails is dropped, and each connection pinned gets the next
// generation, which the value carries in its high bits (versionBits): a value read on a
// new connection never equals one read on an earlier one.
type versionReader struct {
	mu   sync.Mutex
	db   *sql.DB   // one connection, opened on first use
	conn *sql.Conn // the pinned connection; nil before the first read and after a failure
	gen  uint64    // connections pinned so far
	// open opens db (sql.Open of the sqlite driver when nil); tests break connections.
	open func(dsn string) (*sql.DB, error)
}

// versionBits is the width of the counter in a version; the generation is above it.
// No connection sees 2^48 commits.
const versionBits = 48

// DataVersion implements ports.DataVersioner with SQLite's PRAGMA data_version, read
// on a dedicated connection opened on the first call (it does not take one of the
// pool's). It moves whenever any other connection commits: another process's, or one
// of this Store's own pool, and whenever the dedicated connection was replaced. A
// database in memory has no other writer than this Store: its version is always 0.
func (s *Store) DataVersion(ctx context.Context) (uint64, error) {
	const op = "data version"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	if !s.shared {
		return 0, nil
	}
	v, err := s.version.read(ctx, s.cfg)
	if err != nil {
		return 0, storeError(ctx, op, err)
	}
	return v, nil
}

// read returns the generation of the pinned connection and its data_version, pinning a
// new connection first when there is none.
func (r *versionReader) read(ctx context.Context, cfg Config) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		if err := r.pin(ctx, cfg); err != nil {
			return 0, err
		}
	}
	// Not a prepared statement: database/sql closes a connection that reports
	// driver.ErrBadConn, and closing a statement prepared on it afterwards would reach
	// into the closed connection.
	var v int64
	if err := r.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		r.unpin() // never read again: its successor's counter is not comparable
		return 0, err
	}
	return r.gen<<versionBits | uint64(v)&(1<<versionBits-1), nil
}

// pin opens the pool of one connection if needed and pins its connection.
func (r *versionReader) pin(ctx context.Context, cfg Config) error {
	if r.db == nil {
		open := r.open
		if open == nil {
			open = func(dsn string) (*sql.DB, error) { return sql.Open("sqlite", dsn) }
		}
		db, err := open(cfg.dsn())
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		r.db = db
	}
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("pin a connection: %w", err)
	}
	r.conn = conn
	r.gen++
	return nil
}

// unpin releases the pinned connection (database/sql discards a broken one; a sound one
// may be pinned again, under the next generation); the next read pins one.
func (r *versionReader) unpin() {
	if r.conn == nil {
		return
	}
	_ = r.conn.Close()
	r.conn = nil
}

// close closes the dedicated connection, if it was opened.
func (r *versionReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unpin()
	if r.db != nil {
		_ = r.db.Close()
		r.db = nil
	}
}
