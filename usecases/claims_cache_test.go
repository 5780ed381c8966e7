package usecases

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hexauth/hexauth/domain"
)

// rawIDToken builds a compact JWS with claims (the signature is never checked here).
func rawIDToken(t testing.TB, claims map[string]any, sig string) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"kWbkaa6qs8wsTnBwiiNYOhHbnAw"}`))
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + "." + sig
}

// entraClaims are the claims of an Entra v2.0 ID token for a work account, about 1.4 KB
// encoded with a 342-character signature, as the benchmarks' fixture.
func entraClaims(i int) map[string]any {
	return map[string]any{
		"aud": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
		"iat": 1764158100, "nbf": 1764158100, "exp": 1764161700, "aio": strings.Repeat("a", 112), "name": fmt.Sprintf("User %d", i),
		"nonce": "0f0e0d0c-0b0a-4908-8706-050403020100", "oid": fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i),
		"preferred_username": fmt.Sprintf("user%d@contoso.example", i), "rh": "1." + strings.Repeat("r", 54) + ".",
		"sid": "00112233-4455-4677-8899-aabbccddeeff", "sub": fmt.Sprintf("%043d", i), "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"uti": strings.Repeat("u", 22), "ver": "2.0",
	}
}

func TestClaimsCache_claims_exactTokenOnly(t *testing.T) {
	c := newClaimsCache(1 << 20)
	a := rawIDToken(t, map[string]any{"iss": "https://idp", "sub": "alice", "aud": "c", "exp": 2000000000}, "c2ln")
	b := rawIDToken(t, map[string]any{"iss": "https://idp", "sub": "alicf", "aud": "c", "exp": 2000000000}, "c2ln")
	// Same payload, another signature: another token, which must be parsed on its own
	// (a key on the payload alone would let an unsigned or re-signed copy borrow claims).
	a2 := a[:len(a)-1] + "m"
	for range 2 {
		for _, tc := range []struct{ raw, sub string }{{a, "alice"}, {b, "alicf"}, {a2, "alice"}} {
			got, _, ok := c.claims(tc.raw)
			if !ok || got.Subject != tc.sub {
				t.Fatalf("claims(token of %s) = %+v, %v; want sub %s", tc.sub, got, ok, tc.sub)
			}
		}
	}
	if len(c.byRaw) != 3 {
		t.Errorf("cache holds %d entries for 3 distinct tokens read twice; want 3", len(c.byRaw))
	}
	// A prefix of a cached token is not that token.
	if got, _, ok := c.claims(a[:len(a)-2]); ok && got.Subject == "alice" && a[:len(a)-2] != a {
		if _, _, err := domain.ParseIDToken(a[:len(a)-2]); err != nil {
			t.Errorf("claims(a truncated token) = %+v; want no claims (it does not parse)", got)
		}
	}
}

func TestClaimsCache_claims_callerCannotChangeTheCache(t *testing.T) {
	c := newClaimsCache(1 << 20)
	raw := rawIDToken(t, map[string]any{
		"iss": "https://idp", "sub": "alice", "aud": []any{"c", "d"}, "azp": "c", "exp": 2000000000,
		"groups": []any{"g1", map[string]any{"id": "g2"}}, "address": map[string]any{"country": "NZ"},
	}, "c2ln")
	for range 2 { // the first read parses, the second is served from the cache
		got, _, ok := c.claims(raw)
		if !ok {
			t.Fatal("claims = not ok; want the claims")
		}
		got.Subject = "mallory"
		got.Audience[0] = "evil"
		got.Expiry = got.Expiry.Add(time.Hour)
		all := got.RawClaims()
		all["sub"] = "mallory"
		all["groups"].([]any)[0] = "admins"
		all["aud"].([]any)[1] = "evil"
		groups, _ := got.Claim("groups")
		groups.([]any)[1].(map[string]any)["id"] = "admins"
		address, _ := got.Claim("address")
		address.(map[string]any)["country"] = "XX"
	}
	got, _, _ := c.claims(raw)
	want := map[string]any{"iss": "https://idp", "sub": "alice", "aud": []any{"c", "d"}, "azp": "c", "exp": json.Number("2000000000"),
		"groups": []any{"g1", map[string]any{"id": "g2"}}, "address": map[string]any{"country": "NZ"}}
	if got.Subject != "alice" || got.Audience[0] != "c" || !got.Expiry.Equal(time.Unix(2000000000, 0)) {
		t.Errorf("claims after callers edited earlier results: sub %q, aud %q, exp %v; want alice, [c d], %v",
			got.Subject, got.Audience, got.Expiry, time.Unix(2000000000, 0))
	}
	if all := got.RawClaims(); !reflect.DeepEqual(all, want) {
		t.Errorf("claims after callers edited earlier results = %v; want the token's own claims %v", all, want)
	}
}

func TestClaimsCache_add_staysWithinItsBound(t *testing.T) {
	raw0 := rawIDToken(t, entraClaims(0), strings.Repeat("s", 342))
	const room = 10
	c := newClaimsCache(room * costOf(t, raw0))
	hot := raw0
	if _, _, ok := c.claims(hot); !ok {
		t.Fatal("claims(hot token) = not ok")
	}
	hotEntry := c.byRaw[hot]
	for i := range 500 {
		if _, _, ok := c.claims(rawIDToken(t, entraClaims(i+1), strings.Repeat("s", 342))); !ok {
			t.Fatalf("claims(token %d) = not ok", i+1)
		}
		if _, _, ok := c.claims(hot); !ok { // read between every insertion: CLOCK keeps it
			t.Fatal("claims(hot token) = not ok")
		}
		if c.bytes > c.max || len(c.byRaw) > room {
			t.Fatalf("after %d tokens the cache holds %d entries, %d bytes; want at most %d entries, %d bytes", i+1, len(c.byRaw), c.bytes, room, c.max)
		}
	}
	if c.byRaw[hot] != hotEntry {
		t.Error("the token read between every insertion was evicted (and parsed again); want CLOCK to keep an entry in use")
	}
	off := newClaimsCache(-1)
	if got, _, ok := off.claims(hot); !ok || got.Subject == "" || len(off.byRaw) != 0 {
		t.Errorf("a cache turned off: claims = %v, %d entries; want the claims and nothing cached", ok, len(off.byRaw))
	}
	if got, _, ok := c.claims("not.a.token"); ok || got != nil || c.byRaw["not.a.token"] != nil {
		t.Errorf("claims(garbage) = %v, %v; want nothing, not cached", got, ok)
	}
}

// costOf returns the cost the cache charges for raw's claims.
func costOf(t testing.TB, raw string) int {
	t.Helper()
	_, claims, err := domain.ParseIDToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	return claimsCost(raw, &claims)
}

// heapPerEntry caches the claims of every token of raws and returns the heap each
// entry holds and the cost the cache charged for each, on average; with stable, each
// entry is filed by address too (ports.StableSecrets).
func heapPerEntry(t *testing.T, raws []string, stable bool) (heap, charged int) {
	t.Helper()
	c := newClaimsCache(1 << 30)
	c.stable = stable
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, r := range raws {
		if _, _, ok := c.claims(r); !ok {
			t.Fatal("token did not parse")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(c.byRaw) != len(raws) {
		t.Fatalf("cache holds %d entries; want %d", len(c.byRaw), len(raws))
	}
	heap = (int(after.HeapAlloc) - int(before.HeapAlloc)) / len(raws)
	charged = c.bytes / len(raws)
	runtime.KeepAlive(raws)
	runtime.KeepAlive(c)
	return heap, charged
}

// TestClaimsCache_sizeEstimate checks that claimsCost, which the bound counts, is not
// below what an entry really holds on the heap for the fixture's Entra ID token: the
// documented bound is then an upper bound.
func TestClaimsCache_sizeEstimate(t *testing.T) {
	const n = 2000
	raws := make([]string, n)
	for i := range raws {
		raws[i] = rawIDToken(t, entraClaims(i), strings.Repeat("s", 342))
	}
	for _, stable := range []bool{false, true} {
		per, charged := heapPerEntry(t, raws, stable)
		t.Logf("by address %v: an entry for a %d-byte ID token holds %d bytes of heap; charged %d", stable, len(raws[0]), per, charged)
		if per > charged {
			t.Errorf("by address %v: an entry holds %d bytes; the estimate claimsCost = %d is below it, so the bound would be exceeded", stable, per, charged)
		}
	}
}

// Whoever writes the ID token (a provider, or a cache row: the token is parsed on every
// hit, never verified there) chooses its shape: a claim of many empty JSON objects costs
// a map and an interface per 3 bytes of payload. The cost charged must still bound the
// heap an entry holds, whatever the shape, so that Config.ClaimsCacheBytes bounds memory.
func TestClaimsCache_boundHoldsForCraftedClaims(t *testing.T) {
	many := func(v func(i int) any) []any {
		out := make([]any, 20000)
		for i := range out {
			out[i] = v(i)
		}
		return out
	}
	shapes := map[string]any{
		"empty objects":          many(func(int) any { return map[string]any{} }),
		"one-member objects":     many(func(int) any { return map[string]any{"a": 0} }),
		"empty arrays":           many(func(int) any { return []any{} }),
		"numbers":                many(func(i int) any { return i }),
		"empty strings":          many(func(int) any { return "" }),
		"nested one-item arrays": many(func(int) any { return []any{[]any{0}} }),
		"an object of many keys": func() any {
			m := map[string]any{}
			for i := range 20000 {
				m[fmt.Sprint(i)] = 0
			}
			return m
		}(),
	}
	claimShapes := map[string]map[string]any{}
	for name, x := range shapes {
		claimShapes[name] = map[string]any{"x": x}
	}
	// The claims the typed fields keep: every string and audience the cache holds.
	oneChar := make([]any, 20000)
	for i := range oneChar {
		oneChar[i] = string(rune('a' + i%26))
	}
	long := strings.Repeat("é\\\"", 5000) // escapes that decode shorter than they are written
	claimShapes["many one-character audiences"] = map[string]any{"aud": oneChar, "azp": "a"}
	claimShapes["long typed strings"] = map[string]any{"iss": long, "nonce": long, "tid": long, "oid": long,
		"preferred_username": long, "upn": long, "email": long, "name": long, "azp": long, "aud": []any{long, long}}
	for name, shape := range claimShapes {
		t.Run(name, func(t *testing.T) {
			const n = 20
			raws := make([]string, n)
			for i := range raws {
				claims := entraClaims(i)
				for k, v := range shape {
					claims[k] = v
				}
				raws[i] = rawIDToken(t, claims, "c2ln")
			}
			per, charged := heapPerEntry(t, raws, false)
			t.Logf("an entry for a %d-byte ID token holds %d bytes of heap; charged %d", len(raws[0]), per, charged)
			if per > charged {
				t.Errorf("an entry holds %d bytes of heap, %.1f times the %d charged: the configured bound is exceeded that many times",
					per, float64(per)/float64(charged), charged)
			}
		})
	}
}

// A caller that reads every claim of its result (RawClaims, Claim) decodes them for
// itself: the cached entry does not decode them, so the bound still holds however many
// callers read them, and the heap an entry holds stays what it was charged.
func TestClaimsCache_callersReadingEveryClaimDoNotGrowTheCache(t *testing.T) {
	const n = 500
	raws := make([]string, n)
	for i := range raws {
		raws[i] = rawIDToken(t, entraClaims(i), strings.Repeat("s", 342))
	}
	c := newClaimsCache(1 << 30)
	for _, r := range raws {
		if _, _, ok := c.claims(r); !ok {
			t.Fatal("token did not parse")
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 2 {
		for _, r := range raws {
			got, _, ok := c.claims(r)
			if !ok || len(got.RawClaims()) != len(entraClaims(0)) {
				t.Fatal("claims of a cached token: not ok, or not every claim")
			}
			if v, _ := got.Claim("ver"); v != "2.0" {
				t.Fatalf("Claim(ver) = %v; want 2.0", v)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := (int(after.HeapAlloc) - int(before.HeapAlloc)) / n
	t.Logf("after every caller read every claim, the cache holds %d bytes more per entry", grown)
	if grown > 64 {
		t.Errorf("callers reading the claims of their hits grew the cache by %d bytes per entry; want nothing (their claims are theirs)", grown)
	}
	runtime.KeepAlive(c)
}

// Two hits on one cached token get two structs: a caller that edits its result's typed
// fields (Entra's claims are all scalars) changes nothing the next caller sees.
func TestClaimsCache_claims_eachCallerGetsItsOwnStruct(t *testing.T) {
	c := newClaimsCache(1 << 20)
	raw := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	for range 2 {
		got, _, ok := c.claims(raw)
		if !ok {
			t.Fatal("claims = not ok; want the claims")
		}
		got.PreferredUsername, got.Name, got.TenantID = "mallory@evil.example", "Mallory", "evil-tenant"
	}
	got, _, _ := c.claims(raw)
	if v, _ := got.Claim("preferred_username"); got.PreferredUsername != "user1@contoso.example" || v != "user1@contoso.example" ||
		got.TenantID == "evil-tenant" || got.Name == "Mallory" {
		t.Errorf("claims after callers edited earlier results: preferred_username %q (claim %v), name %q, tid %q; want the token's",
			got.PreferredUsername, v, got.Name, got.TenantID)
	}
}

// The cache keeps a copy of the raw token, never the caller's string: a store may hand
// out a slice of a larger buffer (the memory store's packed entries), which a kept key
// would hold in memory beyond what the bound counts.
func TestClaimsCache_add_keepsItsOwnCopyOfTheToken(t *testing.T) {
	c := newClaimsCache(1 << 20)
	buf := "prefix" + rawIDToken(t, entraClaims(2), strings.Repeat("s", 342)) + "suffix"
	raw := buf[len("prefix") : len(buf)-len("suffix")]
	if _, _, ok := c.claims(raw); !ok {
		t.Fatal("claims = not ok; want the claims")
	}
	for k := range c.byRaw {
		if unsafe.StringData(k) == unsafe.StringData(raw) {
			t.Errorf("cache key shares the caller's bytes; want a copy of its own")
		}
	}
}

// BenchmarkClaimsCache measures the claims cache alone, per number of cached tokens
// (Entra-sized, 1,368 bytes): a hit (look-up by the whole token, a clone of the
// claims), and, for the look-up's share, the map look-up by the whole token beside a
// look-up by a 64-bit hash of the token's signature followed by a comparison of the
// whole token (what a cheaper key would cost). Tokens are visited in a scattered
// order, so that at 100k the entries' cache lines are cold.
//
//	go test -run '^$' -bench BenchmarkClaimsCache -benchtime 1s -count 3 ./usecases
func BenchmarkClaimsCache(b *testing.B) {
	for _, n := range []int{1, 10_000, 100_000} {
		raws := make([]string, n)
		for i := range raws {
			raws[i] = rawIDToken(b, entraClaims(i), fmt.Sprintf("%0342d", i))
		}
		c := newClaimsCache(1 << 40)
		for _, r := range raws {
			c.claims(r)
		}
		// The caller's token is a copy of its own, as a store hands it out, so that the
		// map compares two strings rather than one pointer.
		probe := make([]string, n)
		for i, r := range raws {
			probe[i] = strings.Clone(r)
		}
		b.Run(fmt.Sprintf("hit/tokens=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer benchCPU(b)()
			i := 0
			for b.Loop() {
				if _, _, ok := c.claims(probe[(i*7919)%n]); !ok {
					b.Fatal("not ok")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("lookup-whole-token/tokens=%d", n), func(b *testing.B) {
			defer benchCPU(b)()
			i := 0
			for b.Loop() {
				if c.byRaw[probe[(i*7919)%n]] == nil {
					b.Fatal("missing")
				}
				i++
			}
		})
		bySig := make(map[uint64]*claimsEntry, n)
		seed := maphash.MakeSeed()
		sigHash := func(raw string) uint64 { return maphash.String(seed, raw[strings.LastIndexByte(raw, '.')+1:]) }
		for _, r := range raws {
			bySig[sigHash(r)] = c.byRaw[r]
		}
		b.Run(fmt.Sprintf("lookup-signature-hash/tokens=%d", n), func(b *testing.B) {
			defer benchCPU(b)()
			i := 0
			for b.Loop() {
				p := probe[(i*7919)%n]
				if e := bySig[sigHash(p)]; e == nil || e.raw != p {
					b.Fatal("missing")
				}
				i++
			}
		})
	}
}

// benchCPU reports the process's CPU time per operation as "cpu-ns/op", which a
// machine shared with other work inflates less than wall time.
func benchCPU(b *testing.B) func() {
	cpu := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
