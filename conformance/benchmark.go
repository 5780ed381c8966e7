package conformance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Benchmark fixture shape: every cached account has an account record, an ID token, a
// refresh token and an access token, with ids shaped like Entra's and 64-byte secrets
// (real tokens are longer; their length adds to the memory per account).
const (
	benchPartition  = "bench"
	benchEnv        = "login.microsoftonline.com"
	benchClient     = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	benchTenant     = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	benchChunk      = 10_000 // accounts per Import while loading
	benchQueries    = 1 << 16
	benchSecretSize = 64
)

// BenchmarkCacheStore measures the silent cache hit, Find of one account, on stores
// holding each of sizes accounts. For each size N it loads a store from newStore
// (Import in chunks of 10,000 accounts) and runs:
//
//   - Find/accounts=N: Find of a random loaded account, with allocations, and the Go
//     heap the loaded store retains per account ("B/account", the HeapAlloc growth
//     after a GC divided by N);
//   - FindParallel/accounts=N: the same from GOMAXPROCS goroutines (b.RunParallel).
//
// An indexed store shows the same ns/op at every size. newStore is called once per
// size with the parent benchmark; the store is closed when the size is done.
func BenchmarkCacheStore(b *testing.B, newStore func(b *testing.B) ports.CacheStore, sizes []int) {
	for _, n := range sizes {
		if n < 1 {
			b.Fatalf("BenchmarkCacheStore size %d; want at least 1 account", n)
		}
		s, perAccount := benchLoad(b, newStore, n)
		queries := benchPickQueries(n)
		b.Run(fmt.Sprintf("Find/accounts=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				benchFind(b, ctx, s, queries[i%len(queries)])
				i++
			}
			b.ReportMetric(perAccount, "B/account")
		})
		b.Run(fmt.Sprintf("FindParallel/accounts=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(queries))
				for pb.Next() {
					benchFind(b, ctx, s, queries[i%len(queries)])
					i++
				}
			})
		})
		if err := s.Close(); err != nil {
			b.Errorf("Close() after benchmarking %d accounts = %v; want nil", n, err)
		}
	}
}

func benchFind(b *testing.B, ctx context.Context, s ports.CacheStore, q domain.CacheQuery) {
	got, err := s.Find(ctx, q)
	if err != nil || len(got.AccessTokens) != 1 || len(got.Accounts) != 1 {
		b.Fatalf("Find(%+v) = %d access tokens, %d accounts, %v; want 1, 1, nil", q, len(got.AccessTokens), len(got.Accounts), err)
	}
}

// benchHome returns the home account id of account i: "<uid>.<utid>", as Entra's.
func benchHome(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x.%s", i, i, benchTenant)
}

// benchPickQueries returns Find queries of random loaded accounts (a fixed seed, so
// runs compare).
func benchPickQueries(n int) []domain.CacheQuery {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	qs := make([]domain.CacheQuery, min(n, benchQueries))
	envs := []string{benchEnv, "login.windows.net", "login.microsoft.com", "sts.windows.net"}
	for i := range qs {
		qs[i] = domain.CacheQuery{Partition: benchPartition, HomeAccountID: benchHome(r.IntN(n)), Environments: envs, ClientID: benchClient}
	}
	return qs
}

// benchLoad returns a store holding n accounts and the Go heap it retains per account.
func benchLoad(b *testing.B, newStore func(b *testing.B) ports.CacheStore, n int) (ports.CacheStore, float64) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newStore(b)
	for start := 0; start < n; start += benchChunk {
		snap := benchSnapshot(start, min(start+benchChunk, n))
		if err := s.Import(context.Background(), benchPartition, snap); err != nil {
			b.Fatalf("Import(%q, %s) loading accounts %d.. = %v; want nil", benchPartition, describeSnapshot(snap), start, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return s, (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// benchSnapshot returns accounts [from, to) with their tokens.
func benchSnapshot(from, to int) domain.CacheSnapshot {
	now := time.Date(2031, time.January, 1, 0, 0, 0, 0, time.UTC)
	k := to - from
	s := domain.CacheSnapshot{
		AccessTokens: make([]domain.AccessToken, 0, k), RefreshTokens: make([]domain.RefreshToken, 0, k),
		IDTokens: make([]domain.IDToken, 0, k), Accounts: make([]domain.Account, 0, k),
	}
	if from == 0 {
		s.AppMetadata = []domain.AppMetadata{{ClientID: benchClient, Environment: benchEnv, FamilyID: "1"}}
	}
	for i := from; i < to; i++ {
		home := benchHome(i)
		secret := func(kind string) domain.Secret {
			id := fmt.Sprintf("%s-%d-", kind, i)
			return domain.Secret(id + strings.Repeat("x", benchSecretSize-len(id)))
		}
		s.Accounts = append(s.Accounts, domain.Account{
			HomeAccountID: home, Environment: benchEnv, Realm: benchTenant, LocalAccountID: home[:36],
			Username: fmt.Sprintf("user%d@contoso.example", i), Name: fmt.Sprintf("User %d", i), AuthorityType: domain.AuthorityTypeMSSTS,
		})
		s.IDTokens = append(s.IDTokens, domain.IDToken{HomeAccountID: home, Environment: benchEnv, ClientID: benchClient, Realm: benchTenant, Secret: secret("idt")})
		s.RefreshTokens = append(s.RefreshTokens, domain.RefreshToken{
			HomeAccountID: home, Environment: benchEnv, ClientID: benchClient, FamilyID: "1",
			Target: "openid profile offline_access User.Read", Secret: secret("rt"), CachedAt: now,
		})
		s.AccessTokens = append(s.AccessTokens, domain.AccessToken{
			HomeAccountID: home, Environment: benchEnv, ClientID: benchClient, Realm: benchTenant, Target: "User.Read email openid profile",
			Secret: secret("at"), TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour),
		})
	}
	return s
}
