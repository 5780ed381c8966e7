package postgres

import (
	"context"
	"hash/fnv"

	"github.com/hexauth/hexauth/domain"
)

// WithRefreshLock implements ports.RefreshLocker across processes.
//
// The lock is taken in two steps. First an in-process lock per key, so that goroutines
// of this process waiting for the same key do not each hold a connection. Then, on a
// connection of the lock pool (Config.MaxLockConns), a transaction that takes
// pg_advisory_xact_lock on a 64-bit hash of the schema and the key; the server holds it
// until the transaction ends, which happens when fn returns (or when the connection
// dies, so a crashed process never leaves it held). Both waits honour ctx: a cancelled
// wait for the server's lock cancels the statement. Once taken, the lock is held until
// fn returns even if ctx is cancelled meanwhile.
//
// The two steps are sqlcache.RefreshLocker's; serverLock is the second.
func (s *Store) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	return s.locker.WithRefreshLock(ctx, key, fn)
}

// serverLock takes the advisory lock of name (key.String()) and returns the function
// that releases it. An attempt that lost its connection holds no lock (the server
// releases an advisory transaction lock with its session), so it is made again on
// another connection (retryLost): after a server restart every idle connection of the
// lock pool is dead, and the first refresh must not fail for it.
func (s *Store) serverLock(ctx context.Context, _ domain.RefreshLockKey, name string) (release func(), err error) {
	err = s.retryLost(ctx, "refresh lock", s.lockIdle, func() (bool, error) {
		var err error
		release, err = s.serverLockOnce(ctx, name)
		return true, err
	})
	return release, err
}

// serverLockOnce is one attempt of serverLock.
func (s *Store) serverLockOnce(ctx context.Context, name string) (release func(), err error) {
	conn, err := s.lockDB.Connx(ctx)
	if err != nil {
		return nil, err
	}
	// The transaction must outlive a cancellation of ctx (database/sql rolls back a
	// transaction when its context is done), so it is begun without ctx's cancellation;
	// the statement that waits for the lock is bound to ctx itself.
	txCtx := context.WithoutCancel(ctx)
	tx, err := conn.BeginTxx(txCtx, nil)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	// The lock lives as long as this transaction, which sits idle while the provider
	// answers: a server (or pooler) with idle_in_transaction_session_timeout would end
	// the session and release the lock under a refresh still running, letting another
	// process spend the same refresh token. The setting is turned off for this
	// transaction only, in the statement that takes the lock (one round trip).
	if _, err := tx.ExecContext(ctx, `SELECT set_config('idle_in_transaction_session_timeout', '0', true), pg_advisory_xact_lock($1)`, advisoryKey(s.schema, name)); err != nil {
		_ = tx.Rollback()
		_ = conn.Close()
		return nil, err
	}
	return func() {
		// Rolling back ends the transaction, which releases the lock. If the
		// connection is gone the server has released it already.
		if err := tx.Rollback(); err != nil {
			s.log.WarnContext(ctx, "postgres: releasing a refresh lock failed; the server releases it with the connection",
				"schema", s.schema, "error", sanitize(err).Error())
		}
		_ = conn.Close()
	}, nil
}

// advisoryKey hashes a lock name (and the schema, so that caches in different schemas
// do not contend) into the 64-bit key of pg_advisory_xact_lock, with FNV-1a.
func advisoryKey(schema, name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(name))
	return int64(h.Sum64())
}
