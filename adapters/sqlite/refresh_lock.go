package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// WithRefreshLock implements ports.RefreshLocker across processes.
//
// The lock is taken in two steps. First an in-process lock per key, so that goroutines
// of this process waiting for the same key do not all poll the database. Then, unless
// the database is in memory, a row of refresh_locks named by the key, inserted in a
// write transaction of its own and committed, so that every process sees it. The row
// carries a lease (Config.LockLease) that a goroutine renews every third of it while fn
// runs; a row whose lease has run out belongs to a crashed process and is taken over.
// Waiters poll with a jittered backoff (a few milliseconds, growing to 100ms). Both
// waits honour ctx and end when the store is closed. Once taken, the lock is held until
// fn returns (or panics) even if ctx is cancelled meanwhile; the row is then deleted.
//
// The two steps are sqlcache.RefreshLocker's; the lock row is named by key.String(),
// whose ids are folded, as they match case-insensitively.
func (s *Store) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	return s.locker.WithRefreshLock(ctx, key, fn)
}

// takeLock is the cross-process step of the refresh lock: the lock row of name, unless
// the database is in memory, which no other process can see.
func (s *Store) takeLock(ctx context.Context, key domain.RefreshLockKey, name string) (release func(), err error) {
	if s.shared {
		return s.takeLockRow(ctx, key, name)
	}
	if s.life.Closed() {
		return nil, sqlcache.ErrClosed
	}
	return func() {}, nil
}

// Statements of the lock rows: ?1 name, ?2 store id, ?3 holder, ?4 expiry (Unix ms).
const (
	readLockRow  = `SELECT holder, expires_at FROM refresh_locks WHERE name = ?1`
	writeLockRow = `INSERT INTO refresh_locks (name, store_id, holder, expires_at) VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (name) DO UPDATE SET store_id = excluded.store_id, holder = excluded.holder, expires_at = excluded.expires_at`
	renewLockRow   = `UPDATE refresh_locks SET expires_at = ?3 WHERE name = ?1 AND holder = ?2`
	deleteLockRow  = `DELETE FROM refresh_locks WHERE name = ?1 AND holder = ?2`
	deleteLockRows = `DELETE FROM refresh_locks WHERE store_id = ?1`
)

// Backoff of the waiters for a lock row held by another process.
const (
	pollFirst = 2 * time.Millisecond
	pollMax   = 100 * time.Millisecond
)

// takeLockRow waits until it holds the lock row of name, and returns the function that
// releases it.
func (s *Store) takeLockRow(ctx context.Context, key domain.RefreshLockKey, name string) (release func(), err error) {
	holder := randomID()
	wait := pollFirst
	for {
		took, err := s.tryLockRow(ctx, key, name, holder)
		if err != nil {
			return nil, err
		}
		if took {
			break
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1)) // jittered: waiters do not poll in step
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-s.life.Done():
			t.Stop()
			return nil, sqlcache.ErrLockClosed
		}
		wait = min(2*wait, pollMax)
	}
	stop := s.renewLease(key, name, holder)
	return func() {
		stop()
		s.dropLockRow(ctx, key, name, holder)
	}, nil
}

// tryLockRow takes the lock row of name for holder if no live holder has it. A first
// read, outside any write transaction, spares the database's write lock while the lock
// is plainly held; the write transaction then checks again and takes it.
func (s *Store) tryLockRow(ctx context.Context, key domain.RefreshLockKey, name, holder string) (bool, error) {
	if held, err := lockRowHeld(ctx, s.db, name); err != nil || held {
		return false, err
	}
	took := false
	err := s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		var other string
		var expires int64
		switch err := tx.QueryRowxContext(ctx, readLockRow, name).Scan(&other, &expires); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read lock row: %w", err)
		case expires > time.Now().UnixMilli():
			return nil // taken meanwhile
		default:
			s.log.WarnContext(ctx, "sqlite: taking over a refresh lock whose holder stopped renewing it (a crashed process?)",
				"partition", key.Partition, "client_id", key.ClientID)
		}
		if _, err := tx.ExecContext(ctx, writeLockRow, name, s.id, holder, s.leaseEnd()); err != nil {
			return fmt.Errorf("write lock row: %w", err)
		}
		took = true
		return nil
	})
	return took && err == nil, err
}

// lockRowHeld reports whether the lock row of name exists with a lease not run out.
func lockRowHeld(ctx context.Context, q sqlx.QueryerContext, name string) (bool, error) {
	var holder string
	var expires int64
	err := q.QueryRowxContext(ctx, readLockRow, name).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read lock row: %w", err)
	}
	return expires > time.Now().UnixMilli(), nil
}

// leaseEnd returns the expiry of a lease taken or renewed now, in Unix milliseconds.
func (s *Store) leaseEnd() int64 { return time.Now().Add(s.cfg.LockLease).UnixMilli() }

// renewLease renews the lease of the lock row every third of it until the returned
// stop is called or the store is closed. A renewal that finds the row gone or taken
// over (the process stalled longer than the lease) is logged, and renewing stops.
func (s *Store) renewLease(key domain.RefreshLockKey, name, holder string) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	every := s.cfg.LockLease / 3
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-s.life.Done():
				return
			case <-t.C:
			}
			// A renewal may take until the lease would run out: about two thirds of it.
			if !s.renewOnce(key, name, holder, s.cfg.LockLease-every) {
				return
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// renewOnce extends the lease of the lock row and reports whether to go on renewing.
func (s *Store) renewOnce(key domain.RefreshLockKey, name, holder string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var n int64
	err := s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, renewLockRow, name, holder, s.leaseEnd())
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	switch {
	case s.life.Closed():
		return false
	case err != nil:
		s.log.Warn("sqlite: renewing a refresh lock's lease failed; retrying", "partition", key.Partition,
			"client_id", key.ClientID, "error", err.Error())
		return true
	case n == 0:
		s.log.Warn("sqlite: a refresh lock's lease ran out while held; another process may have taken it",
			"partition", key.Partition, "client_id", key.ClientID, "lease", s.cfg.LockLease)
		return false
	}
	return true
}

// dropLockRow deletes the lock row of name if holder still has it, even when ctx is
// done. After Close the row is already gone.
func (s *Store) dropLockRow(ctx context.Context, key domain.RefreshLockKey, name, holder string) {
	if s.life.Closed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.BusyTimeout+time.Second)
	defer cancel()
	err := s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, deleteLockRow, name, holder)
		return err
	})
	if err != nil && !s.life.Closed() {
		s.log.WarnContext(ctx, "sqlite: releasing a refresh lock failed; it is free once its lease runs out",
			"partition", key.Partition, "client_id", key.ClientID, "lease", s.cfg.LockLease, "error", err.Error())
	}
}

// releaseAllLockRows deletes the lock rows of this Store, for Close.
func (s *Store) releaseAllLockRows() {
	if !s.shared {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.BusyTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, deleteLockRows, s.id); err != nil {
		s.log.Warn("sqlite: releasing the refresh locks of a closing store failed; they are free once their leases run out",
			"error", err.Error())
	}
}
