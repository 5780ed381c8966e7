package usecases

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hexauth/hexauth/domain"
)

// DefaultClaimsCacheBytes bounds, by default, the memory the silent flow spends on the
// parsed claims of cached ID tokens (Config.ClaimsCacheBytes).
const DefaultClaimsCacheBytes = 64 << 20

// claimsEntryOverhead is what one entry costs beyond the raw token it is keyed by,
// measured for an Entra ID token of 16 claims (TestClaimsCache_sizeEstimate checks the
// estimate against the heap): the parsed claims map, its keys and boxed values, the
// struct and the map slot. It is charged per entry with twice the token's length, so
// that larger tokens (group claims) count for more.
const claimsEntryOverhead = 1536

// claimsCache keeps the parsed claims of ID tokens, keyed by the exact raw token. A
// silent cache hit returns the cached ID token's claims; parsing them (base64 and JSON
// into a map) costs about ten times the rest of a hit. A raw token is immutable and its
// parse deterministic, so an entry can never be stale: the map compares the whole
// string, and a different token, however similar, is another key. Entries are never
// handed out: callers get a deep copy (clone), so a caller that edits its result's
// claims changes nothing here.
//
// The cache is bounded by an estimate of the bytes it holds (cost); past the bound it
// evicts with the CLOCK algorithm (second chance): entries read since the hand last
// passed survive one more turn. A token that does not parse is not cached.
type claimsCache struct {
	mu    sync.RWMutex
	max   int
	bytes int
	byRaw map[string]*claimsEntry
	ring  []*claimsEntry // CLOCK order; nil slots are free and listed in free
	free  []int
	hand  int
}

type claimsEntry struct {
	raw    string
	claims domain.IDTokenClaims
	flat   bool // claims.Raw holds no object or array: a shallow copy is a deep one
	cost   int
	used   atomic.Bool
	slot   int
}

// newClaimsCache returns a cache holding at most maxBytes (estimated); with maxBytes
// below zero it caches nothing.
func newClaimsCache(maxBytes int) *claimsCache {
	return &claimsCache{max: maxBytes, byRaw: map[string]*claimsEntry{}}
}

// cost is the estimated bytes an entry for raw holds: the key, the decoded payload's
// strings (about three quarters of the raw token) and the fixed overhead.
func claimsCost(raw string) int { return 2*len(raw) + claimsEntryOverhead }

// claims returns a private copy of the claims of raw, parsing it unless cached. ok is
// false when raw is not a parsable ID token.
func (c *claimsCache) claims(raw string) (*domain.IDTokenClaims, bool) {
	c.mu.RLock()
	e := c.byRaw[raw]
	c.mu.RUnlock()
	if e != nil {
		e.used.Store(true)
		return cloneClaims(&e.claims, e.flat), true
	}
	_, parsed, err := domain.ParseIDToken(raw)
	if err != nil {
		return nil, false
	}
	out := cloneClaims(&parsed, false) // the cached copy shares nothing mutable with the caller's
	c.add(raw, parsed)
	return out, true
}

// add caches the claims of raw, evicting entries until the estimate fits the bound.
func (c *claimsCache) add(raw string, claims domain.IDTokenClaims) {
	cost := claimsCost(raw)
	if c.max < 0 || cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRaw[raw] != nil {
		return
	}
	for c.bytes+cost > c.max {
		c.evictOne()
	}
	// raw is copied: a store may hand out a slice of a larger buffer (the memory store
	// hands out substrings of an account's packed entries), which the key would keep
	// alive after the store replaced it, beyond what cost counts.
	e := &claimsEntry{raw: strings.Clone(raw), claims: claims, flat: flatJSONObject(claims.Raw), cost: cost}
	if n := len(c.free); n > 0 {
		e.slot, c.free = c.free[n-1], c.free[:n-1]
		c.ring[e.slot] = e
	} else {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
	}
	c.byRaw[e.raw] = e
	c.bytes += cost
}

// evictOne removes one entry, giving each entry read since the last pass a second
// chance. The caller holds mu for writing and the cache is not empty.
func (c *claimsCache) evictOne() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		c.hand++
		if e == nil {
			continue
		}
		if e.used.Swap(false) {
			continue
		}
		c.ring[e.slot] = nil
		c.free = append(c.free, e.slot)
		delete(c.byRaw, e.raw)
		c.bytes -= e.cost
		return
	}
}

// cloneClaims returns a copy of c that shares nothing a caller could modify: the
// audience and every map and slice inside the raw claims are copied; strings, numbers
// and booleans are immutable and shared.
// flat says that c.Raw holds no object or array, so that copying the map copies all
// of it.
func cloneClaims(c *domain.IDTokenClaims, flat bool) *domain.IDTokenClaims {
	// One allocation for the claims and a one-audience list, the common case.
	buf := &struct {
		c   domain.IDTokenClaims
		aud [1]string
	}{c: *c}
	out := &buf.c
	if len(c.Audience) == 1 {
		buf.aud[0] = c.Audience[0]
		out.Audience = buf.aud[:1:1]
	} else {
		out.Audience = slices.Clone(c.Audience)
	}
	switch {
	case c.Raw == nil:
	case flat:
		out.Raw = maps.Clone(c.Raw)
	default:
		out.Raw = cloneJSONObject(c.Raw)
	}
	return out
}

// flatJSONObject reports whether m holds only scalars (strings, numbers, booleans,
// nulls), which a copy of the map may share.
func flatJSONObject(m map[string]any) bool {
	for _, v := range m {
		switch v.(type) {
		case string, float64, json.Number, bool, nil:
		default:
			return false
		}
	}
	return true
}

func cloneJSONObject(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		if cv, deep := cloneJSONValue(v); deep {
			out[k] = cv
		}
	}
	return out
}

// cloneJSONValue copies a decoded JSON value that is a container; deep is false for a
// scalar, which is shared.
func cloneJSONValue(v any) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONObject(v), true
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			if cx, deep := cloneJSONValue(x); deep {
				out[i] = cx
			} else {
				out[i] = x
			}
		}
		return out, true
	}
	return v, false
}
