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
type versionReader struct {
	mu   sync.Mutex
	db   *sql.DB   // one connection, opened on first use
	stmt *sql.Stmt // PRAGMA data_version, prepared on it
}

// DataVersion implements ports.DataVersioner with SQLite's PRAGMA data_version, read
// on a dedicated connection opened on the first call (it does not take one of the
// pool's). It moves whenever any other connection commits: another process's, or one
// of this Store's own pool. A database in memory has no other writer than this Store:
// its version is always 0.
func (s *Store) DataVersion(ctx context.Context) (uint64, error) {
	const op = "data version"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	if !s.shared {
		return 0, nil
	}
	stmt, err := s.version.statement(ctx, s.cfg)
	if err != nil {
		return 0, storeError(ctx, op, err)
	}
	var v int64
	if err := stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, storeError(ctx, op, err)
	}
	return uint64(v), nil
}

func (r *versionReader) statement(ctx context.Context, cfg Config) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stmt != nil {
		return r.stmt, nil
	}
	db, err := sql.Open("sqlite", cfg.dsn())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	stmt, err := db.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prepare data_version: %w", err)
	}
	r.db, r.stmt = db, stmt
	return stmt, nil
}

// close closes the dedicated connection, if it was opened.
func (r *versionReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db != nil {
		_ = r.stmt.Close()
		_ = r.db.Close()
		r.db, r.stmt = nil, nil
	}
}
