package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"

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
func (s *Store) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	const op = "refresh lock"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	name := key.String()
	unlock, err := s.locks.lock(ctx, s.done, name)
	if err != nil {
		return storeError(ctx, op, err)
	}
	defer unlock()
	release, err := s.serverLock(ctx, name)
	if err != nil {
		return storeError(ctx, op, err)
	}
	defer release()
	return fn(ctx)
}

// serverLock takes the advisory lock of name and returns the function that releases
// it.
func (s *Store) serverLock(ctx context.Context, name string) (release func(), err error) {
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
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(s.schema, name)); err != nil {
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

// errLockClosed is returned to refresh-lock waiters woken by Close.
var errLockClosed = errors.New("store closed while waiting for the lock")

// keyedMutex is a set of mutexes named by strings, created on demand and dropped when
// unused, whose waits honour a context.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters
}

// lock takes the mutex of name, waiting until it is free, ctx is done or done is
// closed, and returns the function that releases it.
func (k *keyedMutex) lock(ctx context.Context, done <-chan struct{}, name string) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[name]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.locks[name] = l
	}
	l.refs++
	k.mu.Unlock()

	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; k.drop(name, l) }, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-done:
		err = errLockClosed
	}
	k.drop(name, l)
	return nil, err
}

// drop forgets one holder or waiter of l, and l itself when it was the last.
func (k *keyedMutex) drop(name string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l.refs--
	if l.refs == 0 {
		delete(k.locks, name)
	}
}
