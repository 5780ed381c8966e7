package sqlcache

import (
	"context"
	"sync"
	"sync/atomic"
)

// Lifecycle is the open or closed state of a store. It is safe for concurrent use;
// create one with NewLifecycle.
type Lifecycle struct {
	closed atomic.Bool
	done   chan struct{} // closed by Close: wakes waiters
	once   sync.Once
	err    error
}

// NewLifecycle returns the Lifecycle of an open store.
func NewLifecycle() *Lifecycle { return &Lifecycle{done: make(chan struct{})} }

// Check returns ErrClosed after Close, else ctx.Err(): what an operation checks before
// it starts.
func (l *Lifecycle) Check(ctx context.Context) error {
	if l.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// Closed reports whether Close has been called.
func (l *Lifecycle) Closed() bool { return l.closed.Load() }

// Done returns a channel closed by Close, for waits that must end with the store.
func (l *Lifecycle) Done() <-chan struct{} { return l.done }

// Close marks the store closed, closes Done and then runs release, once: later calls
// return the first call's result without running anything.
func (l *Lifecycle) Close(release func() error) error {
	l.once.Do(func() {
		l.closed.Store(true)
		close(l.done)
		l.err = release()
	})
	return l.err
}
