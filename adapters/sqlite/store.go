package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/hexauth/hexauth/internal/sqlcache"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
	"github.com/hexauth/hexauth/ports"
)

// migrationFiles are the schema's migrations, NNNN_name.sql, applied in order on Open.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a ports.CacheStore on one SQLite database. It is safe for concurrent use,
// and any number of Stores, in any number of processes, may share one database file.
// Create one with Open and Close it when done.
type Store struct {
	db      *sqlx.DB
	cfg     Config
	log     *slog.Logger
	id      string        // names this Store's refresh-lock rows
	shared  bool          // false in memory: no other process can see the database
	writers chan struct{} // one token: this Store's writers take turns
	locker  *sqlcache.RefreshLocker
	find    *sqlx.Stmt          // Find's statement, prepared once
	findHit *sqlx.Stmt          // FindHit's wide statement, prepared once
	life    *sqlcache.Lifecycle // open or closed; its Done wakes waiters
	up      sqlcache.Upserter   // Write and Import
	version versionReader       // DataVersion's connection
}

var (
	_ ports.CacheStore = (*Store)(nil)
	_ ports.HitReader  = (*Store)(nil)
)

// Open opens (creating it if needed) the database cfg.Path names, applies the pending
// migrations and returns the store. Configuration problems are domain.ErrInvalidInput;
// failures to open or migrate the database are domain.ErrCacheStore, and a database
// migrated by a newer program (sqlmigrate.ErrDatabaseAhead) is refused untouched.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, storeError(ctx, "open", err)
	}
	if !cfg.inMemory() {
		path, created, err := prepareFile(cfg.Path, cfg.Logger)
		if err != nil {
			return nil, storeError(ctx, "open", err)
		}
		cfg.Path = path
		if created {
			if err := initFile(ctx, cfg); err != nil {
				return nil, storeError(ctx, "open", err)
			}
		}
	}
	connector, err := newConnector(cfg.dsn())
	if err != nil {
		return nil, storeError(ctx, "open", err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "sqlite")
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxLifetime(0) // an in-memory database lives as long as its connection
	db.SetConnMaxIdleTime(0)
	s := &Store{
		db: db, cfg: cfg, log: cfg.Logger, id: randomID(), shared: !cfg.inMemory(),
		writers: make(chan struct{}, 1), life: sqlcache.NewLifecycle(),
	}
	s.up = sqlcache.Upserter{Errors: errs, Life: s.life, Batches: buildBatches, InTx: s.inWriteTx, ForeignTotals: foreignTotals}
	s.locker = &sqlcache.RefreshLocker{Errors: errs, Life: s.life, Take: s.takeLock}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, storeError(ctx, "open", err)
	}
	if s.find, err = db.PreparexContext(ctx, findQuery); err != nil {
		_ = db.Close()
		return nil, storeError(ctx, "open", fmt.Errorf("prepare Find: %w", err))
	}
	if s.findHit, err = db.PreparexContext(ctx, findHitQuery); err != nil {
		_ = s.find.Close()
		_ = db.Close()
		return nil, storeError(ctx, "open", fmt.Errorf("prepare FindHit: %w", err))
	}
	if err := s.prepareHit(ctx); err != nil {
		_ = s.findHit.Close()
		_ = s.find.Close()
		_ = db.Close()
		return nil, storeError(ctx, "open", err)
	}
	return s, nil
}

// migrate applies the embedded migrations and checks the journal mode.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := sqlmigrate.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	n, err := sqlmigrate.Apply(ctx, s.db.DB, sqlmigrate.SQLite(), ms)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.InfoContext(ctx, "sqlite: migrated the token cache", "path", s.cfg.Path, "applied", n, "version", len(ms))
	}
	if s.shared {
		var mode string
		if err := s.db.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
			return fmt.Errorf("read journal mode: %w", err)
		}
		if mode != "wal" {
			s.log.WarnContext(ctx, "sqlite: the database is not in WAL mode; readers will wait for writers",
				"path", s.cfg.Path, "journal_mode", mode)
		}
	}
	return nil
}

// Close closes the store: calls made after it return a domain.ErrCacheStore error,
// and waiters for a refresh lock are woken and fail. The refresh-lock rows this Store
// holds are deleted, so other processes need not wait for their leases. Close is safe
// to call more than once.
func (s *Store) Close() error {
	return s.life.Close(func() error {
		s.releaseAllLockRows()
		s.version.close()
		_ = s.find.Close()
		_ = s.findHit.Close()
		return storeError(context.Background(), "close", s.db.Close())
	})
}

// begin checks that the store is open and ctx not done before an operation.
func (s *Store) begin(ctx context.Context, op string) error {
	return storeError(ctx, op, s.life.Check(ctx))
}

// inWriteTx runs fn in a write transaction (BEGIN IMMEDIATE, through the DSN's
// _txlock) and commits it. Writers of this Store take turns before they begin, so that
// they queue in Go, honouring ctx, instead of in SQLite's busy handler; writers of
// other processes are waited for under the busy timeout.
func (s *Store) inWriteTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	select {
	case s.writers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.life.Done():
		return sqlcache.ErrClosed
	}
	defer func() { <-s.writers }()
	return sqlcache.InTx(ctx, s.db, fn)
}

// scan returns how the store reads the rows of a union query for partition: a row that
// cannot be decoded is skipped and logged (a cache miss, not a failure), and rows
// outside envs are dropped.
func (s *Store) scan(ctx context.Context, partition string, envs envSet) sqlcache.Scan {
	scan := sqlcache.Scan{
		Extra:   extraCodec,
		Corrupt: func(r *sqlcache.Row, err error) { s.corruptRow(ctx, r, partition, err) },
	}
	if envs != nil {
		scan.Keep = func(r *sqlcache.Row) bool { return envs.keeps(r.Value(sqlcache.ColEnvironment)) }
	}
	return scan
}

// corruptRow reports a row skipped as unreadable. The log names the kind and the
// entry's key (which holds no secret) and what is wrong, never the row's values.
func (s *Store) corruptRow(ctx context.Context, r *sqlcache.Row, partition string, err error) {
	s.log.WarnContext(ctx, "sqlite: skipping a corrupt cache row",
		"kind", r.Kind().String(), "partition", partition, "key", r.Key(), "error", err.Error())
}

// randomID returns 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
