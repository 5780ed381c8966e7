package memory

import (
	"context"
	"sync"
	"time"

	"github.com/hexauth/hexauth/ports"
)

// Clock is a manual ports.Clock for tests: it tells the time it was set to and moves
// only when told to, with Advance or Set. A Clock is safe for concurrent use; create one
// with NewClock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var (
	_ ports.Clock   = (*Clock)(nil)
	_ ports.Sleeper = (*Clock)(nil)
)

// NewClock returns a Clock that reads t until it is moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative) and returns the
// new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Sleep implements ports.Sleeper: it moves the clock forward by d at once, so that a
// flow that waits (the device flow's polling) runs instantly in tests while every time
// it reads stays consistent. It returns ctx's error, without moving, when ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}
