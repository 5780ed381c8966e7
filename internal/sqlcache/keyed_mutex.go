package sqlcache

import (
	"context"
	"sync"
)

// keyedMutex is a set of mutexes named by strings, created on demand and dropped when
// unused, whose waits honour a context. The zero value is ready to use.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters; guarded by keyedMutex.mu
}

// lock takes the mutex of name, waiting until it is free, ctx is done (ctx.Err()) or
// done is closed (ErrLockClosed), and returns the function that releases it.
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
		err = ErrLockClosed
	}
	k.drop(name, l)
	return nil, err
}

// drop forgets one holder or waiter of l, and l itself when it was the last.
func (k *keyedMutex) drop(name string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(k.locks, name)
	}
}
