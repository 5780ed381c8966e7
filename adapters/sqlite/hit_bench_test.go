package sqlite_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// BenchmarkFindHit measures the store's side of a silent hit — FindHit of one
// account's access token, ID token and account record — on a database file of 1,
// 10,000 and 100,000 accounts with Entra-sized tokens (a 1,600-byte access token, a
// 1,200-byte refresh token, a 1,300-byte ID token), without the use case's work (the
// ID token's claims, which usecases.BenchmarkSilentHit adds). HEXAUTH_BENCH_MAX caps
// the sizes.
//
//	HEXAUTH_BENCH_MAX=100000 go test -run '^$' -bench '^BenchmarkFindHit$' -count 3 ./adapters/sqlite
//
// Each size runs twice, with "cpu-ns/op" (the process's CPU time, which a shared machine
// inflates less than wall time) and "minflt/op" (minor page faults):
//
//   - first/accounts=N: the hits as a new process makes them. SQLite reads the file
//     through a memory map, and a page the connection has not read yet costs a page
//     fault: at 100,000 accounts (a 600 MB file) most hits touch new pages. This is what
//     usecases.BenchmarkSilentHit's accounts=N measures, as it starts right after loading.
//   - warm/accounts=N: the same after one hit of every account, every page mapped: a
//     long-running process. What still grows with N is the first touch of each B-tree
//     page a hit visits (three index and three table searches), in the CPU's caches and
//     TLB only for a small cache.
func BenchmarkFindHit(b *testing.B) {
	limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX"))
	for _, n := range []int{1, 10_000, 100_000} {
		if limit > 0 && n > limit {
			continue
		}
		ctx := context.Background()
		s := openStore(b, sqlite.Config{Path: filepath.Join(b.TempDir(), "hit.db")})
		homes := loadHitAccounts(b, s, n)
		hit := func(b *testing.B, ctx context.Context, i int) {
			q := domain.CacheQuery{Partition: "bench", HomeAccountID: homes[(i*7919)%len(homes)],
				Environments: []string{hitBenchEnv}, ClientID: hitBenchClient}
			got, err := s.FindHit(ctx, q)
			if err != nil || len(got.AccessTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
				b.Fatalf("FindHit(%s) = %d access tokens, %d ID tokens, %d accounts, %v; want one of each",
					q.HomeAccountID, len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), err)
			}
		}
		var runCtx func(b *testing.B, ctx context.Context)
		run := func(b *testing.B) { runCtx(b, ctx) }
		runCtx = func(b *testing.B, ctx context.Context) {
			b.ReportAllocs()
			start := rusage()
			i := 0
			for b.Loop() {
				hit(b, ctx, i)
				i++
			}
			end := rusage()
			b.ReportMetric(float64(end.Utime.Nano()+end.Stime.Nano()-start.Utime.Nano()-start.Stime.Nano())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(end.Minflt-start.Minflt)/float64(b.N), "minflt/op")
		}
		b.Run(fmt.Sprintf("first/accounts=%d", n), run)
		for i := range homes {
			hit(b, ctx, i)
		}
		b.Run(fmt.Sprintf("warm/accounts=%d", n), run)
		// A request's context can be cancelled (an HTTP handler's r.Context()), and the
		// driver watches such a context for the length of each statement.
		b.Run(fmt.Sprintf("warm-cancellable/accounts=%d", n), func(b *testing.B) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			runCtx(b, ctx)
		})
		if err := s.Close(); err != nil {
			b.Errorf("Close() = %v; want nil", err)
		}
	}
}

// rusage returns the process's resource usage; zero if it cannot be read.
func rusage() syscall.Rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

const (
	hitBenchEnv    = "login.microsoftonline.com"
	hitBenchClient = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	hitBenchTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// loadHitAccounts imports n accounts, 10,000 per call, each with an account record and
// an access, refresh and ID token of Entra's sizes, random base64url, and returns their
// home account ids.
func loadHitAccounts(b *testing.B, s *sqlite.Store, n int) []string {
	b.Helper()
	start := time.Now()
	r := rand.New(rand.NewPCG(1, uint64(n)))
	token := func(size int) domain.Secret {
		raw := make([]byte, size*3/4)
		for i := range raw {
			raw[i] = byte(r.Uint32())
		}
		return domain.Secret(base64.RawURLEncoding.EncodeToString(raw))
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	homes := make([]string, 0, n)
	for lo := 0; lo < n; lo += 10_000 {
		var snap domain.CacheSnapshot
		for i := lo; i < min(n, lo+10_000); i++ {
			oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
			home := oid + "." + hitBenchTenant
			homes = append(homes, home)
			snap.Accounts = append(snap.Accounts, domain.Account{HomeAccountID: home, Environment: hitBenchEnv,
				Realm: hitBenchTenant, LocalAccountID: oid, Username: fmt.Sprintf("user%d@contoso.example", i),
				Name: fmt.Sprintf("User %d", i), AuthorityType: domain.AuthorityTypeMSSTS})
			snap.AccessTokens = append(snap.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: hitBenchEnv,
				ClientID: hitBenchClient, Realm: hitBenchTenant, Target: "api://orders/read", Secret: token(1600),
				TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)})
			snap.RefreshTokens = append(snap.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: hitBenchEnv,
				ClientID: hitBenchClient, Secret: token(1200), CachedAt: now})
			snap.IDTokens = append(snap.IDTokens, domain.IDToken{HomeAccountID: home, Environment: hitBenchEnv,
				ClientID: hitBenchClient, Realm: hitBenchTenant, Secret: token(80) + "." + token(880) + "." + token(342)})
		}
		if err := s.Import(context.Background(), "bench", snap); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d accounts in %s", n, time.Since(start).Round(time.Millisecond))
	return homes
}
