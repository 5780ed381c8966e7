package postgres

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/internal/sqlcache"
	"github.com/hexauth/hexauth/ports"
)

// Store is a ports.CacheStore on PostgreSQL. It is safe for concurrent use, and any
// number of Stores, in any number of processes, may share one schema.
type Store struct {
	db     *sqlx.DB // reads and writes
	lockDB *sqlx.DB // connections that hold refresh locks
	schema string
	log    *slog.Logger
	locker *sqlcache.RefreshLocker
	life   *sqlcache.Lifecycle // open or closed; its Done wakes refresh-lock waiters
	up     sqlcache.Upserter   // Write and Import
	listen *pgx.ConnConfig     // ListenChanges' sessions
}

var (
	_ ports.CacheStore = (*Store)(nil)
	_ ports.HitReader  = (*Store)(nil)
)

// Open connects to the server named by cfg.DSN, creates cfg.Schema if needed, applies
// the pending migrations and returns the store. Configuration problems are
// domain.ErrInvalidInput; failures to reach or migrate the database are
// domain.ErrCacheStore. Close the store when done.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	return open(ctx, cfg, nil)
}

// open is Open with a hook that tests use to wrap the connections' sockets.
func open(ctx context.Context, cfg Config, dial pgconn.DialFunc) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	connCfg, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, configError("DSN is not a valid PostgreSQL connection string")
	}
	// Every statement, the migrations included, names tables without a schema: the
	// search path selects the store's schema (and pg_catalog, always searched).
	connCfg.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	if dial != nil {
		connCfg.DialFunc = dial
	}
	s := &Store{
		db:     newPool(connCfg, cfg.MaxOpenConns, cfg.MaxIdleConns, cfg),
		lockDB: newPool(connCfg, cfg.MaxLockConns, cfg.MaxLockConns, cfg),
		schema: cfg.Schema,
		log:    cfg.Logger,
		life:   sqlcache.NewLifecycle(),
		listen: connCfg,
	}
	s.up = sqlcache.Upserter{Errors: errs, Life: s.life, Batches: buildBatches, InTx: s.inTx}
	s.locker = &sqlcache.RefreshLocker{Errors: errs, Life: s.life, Take: s.serverLock}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, storeError(ctx, "open", err)
	}
	return s, nil
}

// newPool opens a database/sql pool of pgx connections.
//
// The pool does not ping a connection before handing it out. pgx's database/sql driver
// otherwise pings one idle for over a second (Conn.ResetSession), which makes a cache
// read on a quiet backend two round trips instead of one. A connection the server or a
// proxy closed meanwhile is found by the statement itself: a write or a transaction
// fails as it would if the connection died mid-call, and a read is retried once
// (readRetried).
func newPool(connCfg *pgx.ConnConfig, maxOpen, maxIdle int, cfg Config) *sqlx.DB {
	db := stdlib.OpenDB(*connCfg, stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false }))
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxLifetime(max(cfg.ConnMaxLifetime, 0))
	db.SetConnMaxIdleTime(max(cfg.ConnMaxIdleTime, 0))
	return sqlx.NewDb(db, "pgx")
}

// Close closes the store's connection pools. Calls made after Close return a
// domain.ErrCacheStore error; calls in progress may fail with one. Waiters for a
// refresh lock are woken and fail. Close is safe to call more than once.
func (s *Store) Close() error {
	return s.life.Close(func() error {
		return storeError(context.Background(), "close", errors.Join(s.db.Close(), s.lockDB.Close()))
	})
}

// begin checks that the store is open and ctx not done before an operation.
func (s *Store) begin(ctx context.Context, op string) error {
	return storeError(ctx, op, s.life.Check(ctx))
}

// inTx runs fn in a transaction on the read-write pool and commits it. A transaction
// that loses a deadlock or a serialization conflict is retried a few times.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	const attempts = 4
	var err error
	for range attempts {
		err = sqlcache.InTx(ctx, s.db, fn)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}
