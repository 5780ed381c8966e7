package memory_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// BenchmarkStore measures Find at 1, 10,000 and 1,000,000 cached accounts:
//
//	go test -run '^$' -bench BenchmarkStore ./adapters/memory/
func BenchmarkStore(b *testing.B) {
	conformance.BenchmarkCacheStore(b, func(b *testing.B) ports.CacheStore { return storeNew(b) }, []int{1, 10_000, 1_000_000})
}

// BenchmarkStore_FindHit measures the memory store's share of a silent hit: FindHit
// of one account among 1, 10,000 and 1,000,000, each holding an account record and
// Entra-sized access (1,600 bytes), ID (1,368) and refresh (1,200) tokens, visited in a
// scattered order as a backend's requests visit its users. It unpacks the access
// token, the ID token and the account; no token's bytes are copied. Its growth with the
// number of accounts is memory latency (cache and TLB misses), not instructions.
// HEXAUTH_BENCH_MAX caps the sizes.
//
//	go test -run '^$' -bench BenchmarkStore_FindHit -count 5 ./adapters/memory/
func BenchmarkStore_FindHit(b *testing.B) {
	limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX"))
	for _, n := range []int{1, 10_000, 1_000_000} {
		if limit > 0 && n > limit {
			continue
		}
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) { benchFindHit(b, n) })
	}
}

func benchFindHit(b *testing.B, n int) {
	s := storeNew(b)
	const env, client, realm = "login.microsoftonline.com", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "72f988bf-86f1-41af-91ab-2d7cd011db47"
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	// Each account's tokens are bytes of their own in the store (it packs them), so
	// the input may share one pool.
	pool := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ", 64)
	homes := make([]string, n)
	ctx := context.Background()
	const chunk = 10_000
	for lo := 0; lo < n; lo += chunk {
		var snap domain.CacheSnapshot
		for i := lo; i < min(n, lo+chunk); i++ {
			oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
			home := oid + "." + realm
			homes[i] = home
			o := i % 512
			snap.AccessTokens = append(snap.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm,
				Target: "api://orders/read", Secret: domain.Secret(pool[o : o+1600]), TokenType: "Bearer", CachedAt: now,
				ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)})
			snap.RefreshTokens = append(snap.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: client,
				Secret: domain.Secret(pool[o+1 : o+1201]), CachedAt: now})
			snap.IDTokens = append(snap.IDTokens, domain.IDToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm,
				Secret: domain.Secret(pool[o+2 : o+1370])})
			snap.Accounts = append(snap.Accounts, domain.Account{HomeAccountID: home, Environment: env, Realm: realm, LocalAccountID: oid,
				Username: fmt.Sprintf("user%d@contoso.example", i), Name: fmt.Sprintf("User %d", i), AuthorityType: domain.AuthorityTypeMSSTS})
		}
		if err := s.Import(ctx, "bench", snap); err != nil {
			b.Fatal(err)
		}
	}
	q := domain.CacheQuery{Partition: "bench", ClientID: client,
		Environments: []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}}
	b.ReportAllocs()
	findHits(b, s, q, homes)
}

// findHits is the measured loop of benchFindHit, a function of its own so that a
// profiler can count its events alone (callgrind --toggle-collect).
func findHits(b *testing.B, hr ports.HitReader, q domain.CacheQuery, homes []string) {
	ctx := context.Background()
	i := 0
	for b.Loop() {
		q.HomeAccountID = homes[(i*7919)%len(homes)]
		e, err := hr.FindHit(ctx, q)
		if err != nil || len(e.AccessTokens) != 1 || len(e.IDTokens) != 1 || len(e.Accounts) != 1 {
			b.Fatalf("FindHit = %d/%d/%d entries, %v; want 1/1/1", len(e.AccessTokens), len(e.IDTokens), len(e.Accounts), err)
		}
		i++
	}
}
