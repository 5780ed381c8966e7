package usecases

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hexauth/hexauth/domain"
)

// DefaultClaimsCacheBytes bounds, by default, the memory the silent flow spends on the
// parsed claims of cached ID tokens (Config.ClaimsCacheBytes).
const DefaultClaimsCacheBytes = 64 << 20

// claimsEntryOverhead is what one entry costs beyond the raw token it is keyed by and
// the parsed claims' containers and values (jsonCost): the entry, the claims struct,
// the index and ring slots. The token's length is charged twice, for the key and for
// the typed claims' strings.
const claimsEntryOverhead = 512

// Heap an upper bound of which jsonCost charges for the values encoding/json decodes
// into, measured on Go 1.26 (TestClaimsCache_boundHoldsForCraftedClaims): a map
// header, and per map slot (swiss tables are at least 7/16 full, and a map with
// entries has at least one group of 8 slots); a slice header, and per element (an
// interface, with append's growth); a string's header; a boxed number.
const (
	jsonMapCost      = 64
	jsonMapSlotCost  = 80
	jsonMinMapSlots  = 5
	jsonSliceCost    = 32
	jsonElementCost  = 32
	jsonStringCost   = 16
	jsonNumberCost   = 16 // a boxed float64 is 8 bytes; charged 8, a claim of 20,000 numbers measured 1.06× its charge under -race
	audienceElemCost = 16
)

// claimsCache keeps the parsed claims of ID tokens, keyed by the exact raw token. A
// silent cache hit returns the cached ID token's claims; parsing them (base64 and JSON
// into a map) costs about ten times the rest of a hit. A raw token is immutable and its
// parse deterministic, so an entry can never be stale: the map compares the whole
// string, and a different token, however similar, is another key. Callers get a copy
// of the claims struct and its audience list (clone); the full set of claims inside is
// read-only data that domain.IDTokenClaims only hands out in copies (Claim, RawClaims),
// so it is shared, and a caller that edits its result's claims changes nothing here.
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
	cost   int
	used   atomic.Bool
	slot   int
}

// newClaimsCache returns a cache holding at most maxBytes (estimated); with maxBytes
// below zero it caches nothing.
func newClaimsCache(maxBytes int) *claimsCache {
	return &claimsCache{max: maxBytes, byRaw: map[string]*claimsEntry{}}
}

// claimsCost is the estimated bytes an entry for raw and its parsed claims holds. The
// token's author (a provider, or whoever wrote the cache row: the token is parsed on
// every hit, never verified there) chooses its shape, and a claim of many empty
// objects costs a map per three bytes, so the estimate walks what was parsed rather
// than scaling the token's length. It walks a copy of the claims (RawClaims): a token
// is charged once, when it is parsed and cached, never on a hit.
func claimsCost(raw string, c *domain.IDTokenClaims) int {
	n := 2*len(raw) + claimsEntryOverhead + jsonCost(c.RawClaims())
	for _, a := range c.Audience {
		n += audienceElemCost + len(a)
	}
	return n
}

// jsonCost is an upper bound of the heap that v, as encoding/json decodes into an
// interface, holds.
func jsonCost(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := jsonMapCost
		if len(v) > 0 { // an empty map has no table yet
			n += jsonMapSlotCost * max(len(v), jsonMinMapSlots)
		}
		for k, x := range v {
			n += len(k) + jsonCost(x)
		}
		return n
	case []any:
		n := jsonSliceCost + jsonElementCost*len(v)
		for _, x := range v {
			n += jsonCost(x)
		}
		return n
	case string:
		return jsonStringCost + len(v)
	case float64, json.Number:
		return jsonNumberCost
	}
	return 0 // bool and null are not boxed
}

// claims returns a private copy of the claims of raw, parsing it unless cached. ok is
// false when raw is not a parsable ID token.
func (c *claimsCache) claims(raw string) (*domain.IDTokenClaims, bool) {
	c.mu.RLock()
	e := c.byRaw[raw]
	c.mu.RUnlock()
	if e != nil {
		e.used.Store(true)
		return cloneClaims(&e.claims), true
	}
	_, parsed, err := domain.ParseIDToken(raw)
	if err != nil {
		return nil, false
	}
	out := cloneClaims(&parsed) // the cached copy shares nothing mutable with the caller's
	c.add(raw, parsed, claimsCost(raw, &parsed))
	return out, true
}

// add caches the claims of raw, which cost as estimated, evicting entries until the
// estimate fits the bound. Claims costing more than the whole bound are not cached: a
// hit on them parses the token each time.
func (c *claimsCache) add(raw string, claims domain.IDTokenClaims, cost int) {
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
	e := &claimsEntry{raw: strings.Clone(raw), claims: claims, cost: cost}
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
// struct and its audience list are copied; the claims inside are shared, as
// domain.IDTokenClaims never hands them out but in copies.
func cloneClaims(c *domain.IDTokenClaims) *domain.IDTokenClaims {
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
	return out
}
