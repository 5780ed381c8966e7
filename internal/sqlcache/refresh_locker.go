package sqlcache

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

// RefreshLocker implements ports.RefreshLocker for a store in two steps. First an
// in-process lock per key, so that the goroutines of this process that wait for the
// same key queue in Go instead of each polling or holding a connection; then the
// dialect's cross-process lock (Take). Both waits honour ctx and end when the store
// is closed. Set the exported fields before first use; it is safe for concurrent use.
type RefreshLocker struct {
	// Errors makes the errors of the calls.
	Errors Errors
	// Life is the store's state: Close wakes the waiters, which fail.
	Life *Lifecycle
	// Take waits for the cross-process lock of key, whose name is key.String(), and
	// returns the function that releases it. It runs holding the in-process lock.
	Take func(ctx context.Context, key domain.RefreshLockKey, name string) (release func(), err error)

	local keyedMutex
}

// WithRefreshLock runs fn holding both locks of key, which it takes in turn. Once taken
// they are held until fn returns (or panics), even if ctx is cancelled meanwhile. fn's
// error is returned as it is.
func (l *RefreshLocker) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	const op = "refresh lock"
	if err := l.Errors.Store(ctx, op, l.Life.Check(ctx)); err != nil {
		return err
	}
	name := key.String()
	unlock, err := l.local.lock(ctx, l.Life.Done(), name)
	if err != nil {
		return l.Errors.Store(ctx, op, err)
	}
	defer unlock()
	release, err := l.Take(ctx, key, name)
	if err != nil {
		return l.Errors.Store(ctx, op, err)
	}
	defer release()
	return fn(ctx)
}
