package usecases

import (
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"

	"github.com/hexauth/hexauth/domain"
)

// DefaultClaimsCacheBytes bounds, by default, the memory the silent flow spends on the
// parsed claims of cached ID tokens (Config.ClaimsCacheBytes).
const DefaultClaimsCacheBytes = 64 << 20

// claimsEntryOverhead is what one entry costs beyond the raw token it is keyed by and
// the strings and audience list its typed claims keep (claimsCost): the entry with its
// claims struct, the claims' lazy state, the index's and the ring's slots (a swiss
// table is at least 7/16 full, the ring grows by doubling).
const claimsEntryOverhead = 512

// audienceElemCost is a string header in the audience list.
const audienceElemCost = 16

// claimsCache keeps the parsed claims of ID tokens, keyed by the exact raw token. A
// silent cache hit returns the cached ID token's claims; parsing them (base64 and a
// JSON walk, domain.ParseIDToken) costs about as much as the rest of a hit. A raw token is immutable and its
// parse deterministic, so an entry can never be stale: the map compares the whole
// string, and a different token, however similar, is another key. Callers get clones
// (domain.IDTokenClaims.Clone): their own struct and audience list, and their own lazy
// state for the full set of claims, which a caller that asks for them decodes for
// itself — it neither changes nor grows the cached entry.
//
// The cache is bounded by an estimate of the bytes it holds (cost); past the bound it
// evicts with the CLOCK algorithm (second chance): entries read since the hand last
// passed survive one more turn. A token that does not parse is not cached.
//
// With a store whose secrets are stable (ports.StableSecrets) an entry is also found by
// the address and length of the store's string it was last read as (byAddr): a hit
// then neither hashes the token (1.4 KB for Entra's) nor compares it with the cache's
// copy, and reads none of its bytes — the cache lines of both copies were most of what a
// hit touched once the cache outgrows the CPU's caches. An address is an identity only
// while the allocation it was taken from lives (memory is reused after), so the entry
// keeps a weak pointer to it and the fast path serves only when that pointer still
// yields the same address: the same live allocation, whose bytes a Go string never
// changes, hence the same token.
type claimsCache struct {
	mu     sync.RWMutex
	max    int
	bytes  int
	byRaw  map[string]*claimsEntry
	stable bool // the store's secrets are stable: use byAddr
	byAddr map[strAddr]*claimsEntry
	ring   []*claimsEntry // CLOCK order; nil slots are free and listed in free
	free   []int
	hand   int
}

type claimsEntry struct {
	raw    string
	claims domain.IDTokenClaims
	cost   int // with served's and the alias's, under mu
	used   atomic.Bool
	slot   int
	// at is the address of the store's string this entry was last read as, and src a
	// weak pointer to it (under mu): byAddr[at] is this entry unless a later alias took
	// the address. aliased says aliasCost is charged.
	at      strAddr
	src     weak.Pointer[byte]
	aliased bool
	// served is what the claims were last found servable for (servableIDToken), nil
	// before; servedCost its share of cost.
	served     atomic.Pointer[servedFor]
	servedCost int
}

// servedFor is what a cached ID token was found servable for: the client, the rule
// that decides whom a token is about (an OIDC issuer's or Entra's), the account it
// was filed under, the local account id beside it and the authority's issuer. Each
// check servableIDToken makes of a row but its lifetime reads only these and the
// token, which is the cache key and immutable: a repeat hit of the same row with
// the same inputs has the same answer. The lifetime is checked on every hit.
type servedFor struct {
	clientID, homeAccountID, localAccountID, issuer string
	issuerRealm                                     bool
}

// strAddr is where a string's bytes are, and how many.
type strAddr struct {
	p uintptr
	n int
}

func addrOf(s string) strAddr { return strAddr{uintptr(unsafe.Pointer(unsafe.StringData(s))), len(s)} }

// aliasCost is what an entry's address costs: its byAddr slot and the runtime's weak
// handle (a special record and its box). The handle stays on the store's allocation
// until that allocation dies, which a store's per-account figure bears, not this bound.
const aliasCost = 128

// servedForCost is the heap a servedFor struct takes; its strings are charged by
// length.
const servedForCost = 80

// maxServedForBytes bounds the strings an entry remembers (Entra's take about 190
// bytes): an account or issuer longer than that is checked on every hit.
const maxServedForBytes = 1 << 10

// newClaimsCache returns a cache holding at most maxBytes (estimated); with maxBytes
// below zero it caches nothing.
func newClaimsCache(maxBytes int) *claimsCache {
	return &claimsCache{max: maxBytes, byRaw: map[string]*claimsEntry{}, byAddr: map[strAddr]*claimsEntry{}}
}

// claimsCost is the estimated bytes an entry for raw and its parsed claims c holds: the
// key (the token, of which the claims' lazy state keeps the payload as a substring), the
// one allocation domain.ParseIDToken cuts every typed string from, the audience list,
// and claimsEntryOverhead. The full set of claims is never decoded in a cached entry
// (callers get clones, which decode their own), so whatever the token's author puts in
// its claims costs only the token's length here.
func claimsCost(raw string, c *domain.IDTokenClaims) int {
	strs := len(c.Issuer) + len(c.Subject) + len(c.Nonce) + len(c.TenantID) + len(c.ObjectID) +
		len(c.PreferredUsername) + len(c.UPN) + len(c.Email) + len(c.Name) + len(c.AuthorizedParty)
	for _, a := range c.Audience {
		strs += len(a)
	}
	return allocCost(len(raw)) + allocCost(strs) + allocCost(audienceElemCost*len(c.Audience)) + claimsEntryOverhead
}

// allocCost is an upper bound of the heap an allocation of n bytes takes: the runtime's
// size classes waste at most an eighth above 128 bytes, and up to 16 bytes below; an
// object over 32 KB takes whole 8 KB pages.
func allocCost(n int) int {
	if n == 0 {
		return 0
	}
	if n > 32<<10 {
		return n + 8<<10
	}
	return n + n/8 + 16
}

// claims returns a private copy of the claims of raw, parsing it unless cached, and
// the cache entry of raw (nil when not cached). ok is false when raw is not a parsable
// ID token.
func (c *claimsCache) claims(raw string) (*domain.IDTokenClaims, *claimsEntry, bool) {
	if c.stable && raw != "" {
		at := addrOf(raw)
		c.mu.RLock()
		e := c.byAddr[at]
		var src weak.Pointer[byte]
		if e != nil {
			src = e.src
		}
		c.mu.RUnlock()
		// The caller holds raw, so its allocation is live: src yields its address only
		// if src was taken from that very allocation, not an earlier one since freed.
		if e != nil && src.Value() == unsafe.StringData(raw) {
			e.used.Store(true)
			return e.claims.Clone(), e, true
		}
	}
	c.mu.RLock()
	e := c.byRaw[raw]
	c.mu.RUnlock()
	if e != nil {
		e.used.Store(true)
		c.alias(e, raw)
		return e.claims.Clone(), e, true
	}
	// The cached claims are parsed from the cache's own copy of the token, which their
	// lazy state keeps: a store may hand out a slice of a larger buffer (the memory store
	// hands out substrings of an account's packed entries), which the cache would keep
	// alive after the store replaced it, beyond what cost counts.
	own := strings.Clone(raw)
	_, parsed, err := domain.ParseIDToken(own)
	if err != nil {
		return nil, nil, false
	}
	out := parsed.Clone() // the cached copy shares nothing mutable with the caller's
	e = c.add(own, parsed, claimsCost(own, &parsed))
	c.alias(e, raw)
	return out, e, true
}

// alias files e, the entry of raw's text, under raw's address too, when the store's
// secrets are stable; its previous address is dropped. Nothing when e is nil or no
// longer cached, or when there is no room.
func (c *claimsCache) alias(e *claimsEntry, raw string) {
	if !c.stable || e == nil {
		return
	}
	src := weak.Make(unsafe.StringData(raw))
	at := addrOf(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRaw[e.raw] != e || (!e.aliased && c.bytes+aliasCost > c.max) {
		return
	}
	if !e.aliased {
		e.aliased, e.cost, c.bytes = true, e.cost+aliasCost, c.bytes+aliasCost
	}
	c.unalias(e)
	e.at, e.src = at, src
	c.byAddr[at] = e
}

// unalias removes e's address from byAddr unless another entry took it since. The
// caller holds mu for writing.
func (c *claimsCache) unalias(e *claimsEntry) {
	if c.byAddr[e.at] == e {
		delete(c.byAddr, e.at)
	}
}

// lastServed returns what e's claims were last found servable for; nil when nothing
// or e is nil (not cached).
func (e *claimsEntry) lastServed() *servedFor {
	if e == nil {
		return nil
	}
	return e.served.Load()
}

// remember records that e's claims were found servable for s, in copies of its
// strings (a store's strings may be slices of a larger buffer), charged to the bound.
// It remembers nothing when e is nil or no longer cached, when s is long, or when
// there is no room: the checks then run on the next hit.
func (c *claimsCache) remember(e *claimsEntry, s servedFor) {
	n := len(s.homeAccountID) + len(s.localAccountID) + len(s.issuer)
	if e == nil || n > maxServedForBytes {
		return
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(s.homeAccountID)
	b.WriteString(s.localAccountID)
	b.WriteString(s.issuer)
	all := b.String()
	kept := &servedFor{
		clientID: s.clientID, issuerRealm: s.issuerRealm, // the engine's own, long-lived
		homeAccountID:  all[:len(s.homeAccountID)],
		localAccountID: all[len(s.homeAccountID) : len(s.homeAccountID)+len(s.localAccountID)],
		issuer:         all[len(s.homeAccountID)+len(s.localAccountID):],
	}
	cost := allocCost(servedForCost) + allocCost(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRaw[e.raw] != e || c.bytes-e.servedCost+cost > c.max {
		return
	}
	c.bytes += cost - e.servedCost
	e.cost += cost - e.servedCost
	e.servedCost = cost
	e.served.Store(kept)
}

// add caches the claims of raw (the cache's own copy), which cost as estimated,
// evicting entries until the estimate fits the bound, and returns the entry of raw.
// Claims costing more than the whole bound are not cached (nil): a hit on them parses
// the token each time.
func (c *claimsCache) add(raw string, claims domain.IDTokenClaims, cost int) *claimsEntry {
	if c.max < 0 || cost > c.max {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byRaw[raw]; e != nil {
		return e
	}
	for c.bytes+cost > c.max {
		c.evictOne()
	}
	e := &claimsEntry{raw: raw, claims: claims, cost: cost}
	if n := len(c.free); n > 0 {
		e.slot, c.free = c.free[n-1], c.free[:n-1]
		c.ring[e.slot] = e
	} else {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
	}
	c.byRaw[e.raw] = e
	c.bytes += cost
	return e
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
		c.unalias(e)
		c.bytes -= e.cost
		return
	}
}
