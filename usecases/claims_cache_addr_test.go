package usecases

import (
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/ports/mocks"
)

// stableCache is a claims cache for a store whose secrets are stable.
func stableCache(maxBytes int) *claimsCache {
	c := newClaimsCache(maxBytes)
	c.stable = true
	return c
}

// TestClaimsCache_byAddress_servesTheSameString checks that a repeat read of the same
// string is served by its address: with the text index emptied, the entry is still
// found. Without the address path it is parsed again, into a new entry.
func TestClaimsCache_byAddress_servesTheSameString(t *testing.T) {
	c := stableCache(1 << 20)
	raw := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	_, e, ok := c.claims(raw)
	if !ok || e == nil || c.byAddr[addrOf(raw)] != e {
		t.Fatalf("first read: ok %v, entry %v; want it cached under the string's address", ok, e)
	}
	delete(c.byRaw, raw) // only the address can find it now
	got, again, ok := c.claims(raw)
	if !ok || again != e || got.PreferredUsername != "user1@contoso.example" {
		t.Errorf("repeat read of the same string: entry %p (want %p), ok %v, claims %+v", again, e, ok, got)
	}
}

// TestClaimsCache_byAddress_reusedAddressIsNotTheToken checks the identity rule of the
// address path: an address names a token only while the allocation it was taken from
// lives. Here the entry of token a is filed under the address of token b, as when a's
// allocation was freed and b allocated where it was, with the same length: reading b
// must give b's claims, never a's. Without the weak pointer check it gives a's.
func TestClaimsCache_byAddress_reusedAddressIsNotTheToken(t *testing.T) {
	c := stableCache(1 << 20)
	a := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	b := rawIDToken(t, entraClaims(2), strings.Repeat("s", 342))
	if len(a) != len(b) || a == b {
		t.Fatal("the fixture needs two distinct tokens of one length")
	}
	_, ea, _ := c.claims(strings.Clone(a)) // its allocation is garbage after this line
	c.mu.Lock()
	c.unalias(ea)
	ea.at = addrOf(b)
	c.byAddr[ea.at] = ea
	c.mu.Unlock()
	got, eb, ok := c.claims(b)
	if !ok || got.PreferredUsername != "user2@contoso.example" || eb == ea {
		t.Fatalf("b read at an address a's entry was filed under: claims of %q (entry %p, a's %p); want b's own", got.PreferredUsername, eb, ea)
	}
	if c.byAddr[addrOf(b)] != eb {
		t.Errorf("b's address maps to %p; want b's entry %p", c.byAddr[addrOf(b)], eb)
	}
}

// TestClaimsCache_byAddress_oneAddressPerEntry checks that an entry keeps one address,
// the last it was read at, and that eviction drops it: the address index never holds
// more than the text index, so Config.ClaimsCacheBytes still bounds it.
func TestClaimsCache_byAddress_oneAddressPerEntry(t *testing.T) {
	raw := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	c := stableCache(4 * (costOf(t, raw) + aliasCost))
	first, second := strings.Clone(raw), strings.Clone(raw) // one token, two strings: a repacked account
	_, e, _ := c.claims(first)
	if _, again, _ := c.claims(second); again != e {
		t.Fatalf("the same token read as another string: entry %p; want %p", again, e)
	}
	if len(c.byAddr) != 1 || c.byAddr[addrOf(second)] != e {
		t.Fatalf("address index holds %d entries after one token read as two strings; want 1, at the last string's address", len(c.byAddr))
	}
	if e.cost != costOf(t, raw)+aliasCost {
		t.Errorf("entry cost %d; want the claims' %d and the address's %d", e.cost, costOf(t, raw), aliasCost)
	}
	for i := range 20 { // evicts raw and most of these
		if _, _, ok := c.claims(rawIDToken(t, entraClaims(i+2), strings.Repeat("s", 342))); !ok {
			t.Fatal("token did not parse")
		}
		if len(c.byAddr) > len(c.byRaw) {
			t.Fatalf("after %d tokens: %d addresses for %d entries; want no more addresses than entries", i+1, len(c.byAddr), len(c.byRaw))
		}
		if c.bytes > c.max {
			t.Fatalf("after %d tokens: %d bytes charged; want at most %d", i+1, c.bytes, c.max)
		}
	}
	if c.byRaw[raw] != nil || c.byAddr[addrOf(second)] == e {
		t.Error("the evicted entry is still found")
	}
}

// TestNewEngine_stableSecretsOnlyWhenDeclared checks that the address path is used for
// a store that declares ports.StableSecrets (the memory store), and for no other: a
// store that builds its secrets anew, or over memory it reuses, must be read by text.
func TestNewEngine_stableSecretsOnlyWhenDeclared(t *testing.T) {
	a, _ := domain.ParseAuthority("https://login.microsoftonline.com/common", domain.AuthorityAuto)
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	idp := mocks.NewMockIdentityProvider(gomock.NewController(t))
	for name, tc := range map[string]struct {
		store ports.CacheStore
		want  bool
	}{
		"memory store":        {mem, true},
		"a store wrapping it": {struct{ ports.CacheStore }{mem}, false},
		"memory store, wrapped": {struct {
			ports.HitReader
			ports.CacheStore
		}{mem, mem}, false},
	} {
		e, err := newEngine(Config{ClientID: "c", Authority: a}, Deps{IdentityProvider: idp, Store: tc.store, Clock: &servedClock{now: servedT0}})
		if err != nil {
			t.Fatal(err)
		}
		if e.claims.stable != tc.want {
			t.Errorf("%s: claims by address %v; want %v", name, e.claims.stable, tc.want)
		}
	}
}

// TestClaimsCache_alias_onlyCachedEntriesWithinTheBound checks that an address is filed
// only for an entry still cached (one evicted between its look-up and its filing would
// stay in the address index for good, outside the bound) and only when its cost fits.
func TestClaimsCache_alias_onlyCachedEntriesWithinTheBound(t *testing.T) {
	raw := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	c := stableCache(1 << 20)
	_, e, _ := c.claims(raw)
	c.mu.Lock()
	c.evictOne()
	c.mu.Unlock()
	if len(c.byRaw) != 0 || len(c.byAddr) != 0 || c.bytes != 0 {
		t.Fatalf("after evicting the only entry: %d entries, %d addresses, %d bytes; want none", len(c.byRaw), len(c.byAddr), c.bytes)
	}
	c.alias(e, strings.Clone(raw)) // e was evicted after its look-up
	if len(c.byAddr) != 0 || c.bytes != 0 {
		t.Errorf("an evicted entry was filed by address: %d addresses, %d bytes; want none", len(c.byAddr), c.bytes)
	}

	tight := stableCache(costOf(t, raw)) // room for the claims, not for the address
	_, e, _ = tight.claims(raw)
	if e == nil || len(tight.byAddr) != 0 || tight.bytes > tight.max {
		t.Errorf("a cache with no room for the address: entry %v, %d addresses, %d of %d bytes; want the entry, no address, within the bound", e != nil, len(tight.byAddr), tight.bytes, tight.max)
	}
}

// BenchmarkClaimsCache_hit measures the claims cache alone on a hit, found by the
// token's text (any store) or by its address (ports.StableSecrets), over a working set
// of one token or of 5,000 Entra-sized tokens visited in a stride (each hit's lines
// cold in the CPU's caches, as in BenchmarkSilentHit's hot5000 at 10,000 accounts).
//
//	go test -run '^$' -bench BenchmarkClaimsCache_hit -count 3 ./usecases
func BenchmarkClaimsCache_hit(b *testing.B) {
	for _, n := range []int{1, 5000} {
		raws := make([]string, n)
		for i := range raws {
			raws[i] = rawIDToken(b, entraClaims(i), strings.Repeat("s", 342))
		}
		for _, by := range []string{"text", "address"} {
			b.Run(by+"/tokens="+strconv.Itoa(n), func(b *testing.B) {
				c := newClaimsCache(DefaultClaimsCacheBytes)
				c.stable = by == "address"
				for _, r := range raws {
					c.claims(r)
				}
				b.ReportAllocs()
				// This thread's CPU time: the machine is shared, and wall time counts the
				// waits for a core.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				start := threadCPU(b)
				i := 0
				for b.Loop() {
					if _, _, ok := c.claims(raws[(i*7919)%n]); !ok {
						b.Fatal("token did not parse")
					}
					i++
				}
				b.ReportMetric(float64(threadCPU(b)-start)/float64(b.N), "thread-cpu-ns/op")
			})
		}
	}
}

// threadCPU returns the CPU time the calling OS thread has used, in nanoseconds.
func threadCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
