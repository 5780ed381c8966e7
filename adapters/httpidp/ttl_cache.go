package httpidp

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ttlCache holds documents fetched over the network (discovery documents, key sets)
// by URL, each for a time to live measured on the adapter's clock. Concurrent misses on
// one URL share a single fetch. It is safe for concurrent use.
type ttlCache[V any] struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]ttlEntry[V]
	group   singleflight.Group
}

type ttlEntry[V any] struct {
	value     V
	fetchedAt time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, entries: map[string]ttlEntry[V]{}}
}

// lookup returns the value cached for key and when it was fetched, if it is still fresh
// at now.
func (c *ttlCache[V]) lookup(key string, now time.Time) (V, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.fetchedAt) >= c.ttl {
		var zero V
		return zero, time.Time{}, false
	}
	return e.value, e.fetchedAt, true
}

// store caches v for key as fetched at now.
func (c *ttlCache[V]) store(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = ttlEntry[V]{value: v, fetchedAt: now}
}

// fetch runs fn once for all concurrent callers asking for key and stores its result.
// fn runs detached from the first caller's cancellation (its deadline bounded by the
// adapter's own timeouts), so one caller giving up does not fail the others; each
// caller still returns as soon as its own ctx is done.
func (c *ttlCache[V]) fetch(ctx context.Context, key string, now func() time.Time, fn func(context.Context) (V, error)) (V, error) {
	detached := context.WithoutCancel(ctx)
	ch := c.group.DoChan(key, func() (any, error) {
		v, err := fn(detached)
		if err != nil {
			return v, err
		}
		c.store(key, v, now())
		return v, nil
	})
	select {
	case res := <-ch:
		v, _ := res.Val.(V)
		return v, res.Err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
