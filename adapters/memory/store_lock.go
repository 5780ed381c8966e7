package memory

import (
	"context"
	"sync"

	"github.com/hexauth/hexauth/domain"
)

// refreshLocks is the table of refresh locks in use. A lock is a one-slot channel:
// holding it means having sent into it. Slots are created on demand and forgotten when
// no holder or waiter refers to them, so the table does not grow with every key ever
// locked.
type refreshLocks struct {
	mu   sync.Mutex
	held map[string]*lockSlot
}

type lockSlot struct {
	ch   chan struct{}
	refs int // holders and waiters; guarded by refreshLocks.mu
}

// acquire waits for the lock named name, honouring ctx, and returns its release.
func (l *refreshLocks) acquire(ctx context.Context, name string) (release func(), err error) {
	l.mu.Lock()
	s := l.held[name]
	if s == nil {
		s = &lockSlot{ch: make(chan struct{}, 1)}
		l.held[name] = s
	}
	s.refs++
	l.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; l.unref(name, s) }, nil
	case <-ctx.Done():
		l.unref(name, s)
		return nil, ctx.Err()
	}
}

func (l *refreshLocks) unref(name string, s *lockSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.refs--; s.refs == 0 {
		delete(l.held, name)
	}
}

// size returns the number of locks held or waited for.
func (l *refreshLocks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// WithRefreshLock runs fn while holding the in-process lock named by key and returns
// fn's result as is. The lock is released when fn returns or panics (the panic goes
// on). Waiting honours ctx: a done ctx returns an error of class domain.ErrCacheStore
// wrapping ctx.Err() without running fn. Keys of different partitions never block each
// other. The lock is not reentrant: calling WithRefreshLock with the same key from fn
// deadlocks until ctx is done.
func (s *Store) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	if err := s.begin(ctx, "refresh lock"); err != nil {
		return err
	}
	if fn == nil {
		return storeErr("refresh lock", domain.Errorf(domain.ErrInvalidInput, "nil function"))
	}
	release, err := s.locks.acquire(ctx, key.String())
	if err != nil {
		return storeErr("refresh lock", err)
	}
	defer release()
	return fn(ctx)
}
