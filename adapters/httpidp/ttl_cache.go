package httpidp

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"golang.org/x/sync/singleflight"
)

// ttlCache holds documents fetched over the network (discovery documents, key sets)
// by URL, each for a time to live measured on the adapter's clock. Concurrent misses on
// one URL share a single fetch. It is safe for concurrent use.
//
// A failed fetch is remembered for failureMemory: callers in that time get its error,
// or the stale value (below), without a request (a throttling answer for no longer
// than its Retry-After, whose time left each caller is told). Without it, every caller during an outage — every silent
// cache hit checking a cached ID token's issuer — would wait through the adapter's
// retries and send the provider more requests. With staleIfError, a value up to that
// much past its time to live is returned when its refetch gets no answer or is
// throttled (a provider's discovery document outlives an outage; a key set does not: a
// new key is not in it).
//
// At most maxCachedValues values are kept (makeRoomLocked): keys are authorities, which
// an application may build per tenant from a request's input.
type ttlCache[V any] struct {
	ttl          time.Duration
	staleIfError time.Duration
	mu           sync.Mutex
	entries      map[string]*ttlEntry[V]
	failures     map[string]failedFetch
	group        singleflight.Group
	// clock orders the entries' uses for eviction: a counter, not a time, because
	// Config.Clock need not move between calls (or forwards).
	clock uint64
}

type ttlEntry[V any] struct {
	value     V
	fetchedAt time.Time
	used      uint64 // the cache's clock at the last store or serve of value
}

// failedFetch is a fetch that failed, and when.
type failedFetch struct {
	err error
	at  time.Time
}

// failureMemory is how long a failed fetch is remembered.
const failureMemory = 10 * time.Second

func newTTLCache[V any](ttl, staleIfError time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, staleIfError: staleIfError, entries: map[string]*ttlEntry[V]{}, failures: map[string]failedFetch{}}
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
	c.clock++
	e.used = c.clock
	return e.value, e.fetchedAt, true
}

// store caches v for key as fetched at now, and forgets a failure of key.
func (c *ttlCache[V]) store(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		c.makeRoomLocked(now)
	}
	c.clock++
	c.entries[key] = &ttlEntry[V]{value: v, fetchedAt: now, used: c.clock}
	delete(c.failures, key)
}

// maxCachedValues bounds the values a ttlCache keeps, as maxCheckedAuthorities bounds
// the authorities checked: one discovery document (or key set) per tenant an
// application resolves. Measured: an Entra-like discovery document and key set (8 RSA
// keys) hold ~4.8 KiB of heap together, so a full pair of caches ~20 MiB.
const maxCachedValues = 4096

// makeRoomLocked makes room for one more value when the cache is full: it forgets the
// values past any use (ttl+staleIfError after their fetch), then, if that freed
// nothing, the least recently used eighth.
// Evicting an eighth at once keeps the scan (and its sort) off all but one store in
// maxCachedValues/8. An authority in use is touched at every hit, and during an outage
// at every stale serve, so an attacker naming new tenants evicts the ones not in use
// first, and the document an outage needs stays (ADR 0018). The caller holds mu.
func (c *ttlCache[V]) makeRoomLocked(now time.Time) {
	if len(c.entries) < maxCachedValues {
		return
	}
	for k, e := range c.entries {
		if now.Sub(e.fetchedAt) >= c.ttl+c.staleIfError {
			delete(c.entries, k)
		}
	}
	if len(c.entries) < maxCachedValues {
		return
	}
	used := make([]uint64, 0, len(c.entries))
	for _, e := range c.entries {
		used = append(used, e.used)
	}
	slices.Sort(used)
	// Uses are distinct ticks of c.clock: exactly the oldest eighth goes.
	keepFrom := used[len(used)-maxCachedValues+maxCachedValues/8]
	for k, e := range c.entries {
		if e.used < keepFrom {
			delete(c.entries, k)
		}
	}
}

// fetch runs fn once for all concurrent callers asking for key and stores its result.
// fn runs detached from the first caller's cancellation (its deadline bounded by the
// adapter's own timeouts), so one caller giving up does not fail the others; each
// caller still returns as soon as its own ctx is done. While a failure of key is
// remembered, fetch runs nothing and answers as the failed fetch did.
func (c *ttlCache[V]) fetch(ctx context.Context, key string, now func() time.Time, fn func(context.Context) (V, error)) (V, error) {
	if v, err, ok := c.failed(key, now()); ok {
		return v, err
	}
	detached := context.WithoutCancel(ctx)
	ch := c.group.DoChan(key, func() (any, error) {
		v, err := fn(detached)
		if err != nil {
			return c.fail(key, err, now())
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

// fail remembers that fetching key failed with err at now and returns what callers get:
// the stale value when there is one to serve, else err.
func (c *ttlCache[V]) fail(key string, err error, now time.Time) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.failures[key]; !known && len(c.failures) >= maxRememberedFailures {
		c.sweepFailuresLocked(now)
	}
	if _, known := c.failures[key]; known || len(c.failures) < maxRememberedFailures {
		c.failures[key] = failedFetch{err: err, at: now}
	}
	if v, ok := c.staleLocked(key, err, now); ok {
		return v, nil
	}
	var zero V
	return zero, err
}

// maxRememberedFailures bounds the failed fetches remembered at once: an application
// that makes an authority per tenant from its requests' input (WithTenantID) would
// otherwise grow the map with every tenant that does not exist. Past the bound, the
// failures no longer remembered are swept; if all are, a new one is not remembered (its
// next call asks the provider again, as before failures were remembered).
const maxRememberedFailures = 1024

// sweepFailuresLocked forgets the failures no longer remembered at now. The caller
// holds mu.
func (c *ttlCache[V]) sweepFailuresLocked(now time.Time) {
	for k, f := range c.failures {
		if now.Sub(f.at) >= failureMemory || now.Before(f.at) {
			delete(c.failures, k)
		}
	}
}

// failed returns, while a failure of key is remembered at now, what callers get: the
// stale value when there is one to serve, else the error.
func (c *ttlCache[V]) failed(key string, now time.Time) (V, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.failures[key]
	// Forgotten too when the clock went back (Config.Clock need not be monotonic): an
	// hour back must not keep the provider unasked for an hour.
	if ok && (now.Sub(f.at) >= failureMemory || now.Before(f.at)) {
		delete(c.failures, key)
		ok = false
	}
	// An answer with a Retry-After is remembered as long as it asks (if shorter), and
	// callers are told the time left: repeating the first wait for 10 s would refuse a
	// caller that came back when told to, with the same wait again.
	err := f.err
	if de := (*domain.Error)(nil); ok && errors.As(err, &de) && de.RetryAfter > 0 {
		if left := de.RetryAfter - now.Sub(f.at); left > 0 {
			cp := *de
			cp.RetryAfter = left
			err = &cp
		} else {
			delete(c.failures, key)
			ok = false
		}
	}
	var zero V
	if !ok {
		return zero, nil, false
	}
	if v, ok := c.staleLocked(key, err, now); ok {
		return v, nil, true
	}
	return zero, err, true
}

// staleLocked returns the value of key when it is at most staleIfError past its time to
// live at now and its refetch failed with err for want of an answer (ErrUnavailable)
// or by throttling: an outage. A provider that answered otherwise (a 404, a document
// naming another issuer) has said the value is wrong. The caller holds mu. Without staleIfError nothing is served in place of a
// failed fetch, not even a fresh value: a key set is refetched while fresh only because
// it lacks a token's key, and answering with it would call that token bad.
func (c *ttlCache[V]) staleLocked(key string, err error, now time.Time) (V, bool) {
	outage := errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrThrottled)
	if e, ok := c.entries[key]; ok && outage && c.staleIfError > 0 && now.Sub(e.fetchedAt) < c.ttl+c.staleIfError {
		c.clock++
		e.used = c.clock
		return e.value, true
	}
	var zero V
	return zero, false
}
