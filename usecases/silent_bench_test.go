package usecases_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to drop the benchmark schema
)

// BenchmarkSilentHit measures AcquireTokenSilent served from the cache — the call a
// backend makes on every request — through the real use case, per store and per number
// of cached accounts. Each account holds an account record, an ID token, a refresh
// token and an access token. The provider is never called (a strict mock would fail).
//
//	go test -run '^$' -bench BenchmarkSilentHit -benchtime 2s ./usecases
//
// HEXAUTH_BENCH_MAX caps the sizes (default 1,000,000 for memory, 100,000 for SQL).
func BenchmarkSilentHit(b *testing.B) {
	stores := []struct {
		name  string
		max   int
		open  func(b *testing.B) ports.CacheStore
		sizes []int
	}{
		{"memory", 1_000_000, func(b *testing.B) ports.CacheStore {
			s, err := memory.NewStore(memory.StoreConfig{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}, []int{1, 10_000, 1_000_000}},
		{"sqlite", 100_000, func(b *testing.B) ports.CacheStore {
			s, err := sqlite.Open(context.Background(), sqlite.Config{Path: b.TempDir() + "/bench.db"})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}, []int{1, 10_000, 100_000}},
		{"postgres", 100_000, openBenchPostgres, []int{1, 10_000, 100_000}},
	}
	limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX"))
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			for _, n := range st.sizes {
				if n > st.max || (limit > 0 && n > limit) {
					continue
				}
				store := st.open(b)
				accounts := loadAccounts(b, store, n)
				silent := benchSilent(b, store)
				b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
					ctx := context.Background()
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						acct := accounts[(i*7919)%len(accounts)]
						res, err := silent.Acquire(ctx, usecases.SilentRequest{Scopes: []string{"api://orders/read"}, Account: acct})
						if err != nil || res.TokenSource != domain.SourceCache {
							b.Fatalf("Acquire = %q, %v; want a cache hit", res.TokenSource, err)
						}
						i++
					}
				})
				b.Run(fmt.Sprintf("parallel/accounts=%d", n), func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						ctx := context.Background()
						i := 0
						for pb.Next() {
							acct := accounts[(i*7919)%len(accounts)]
							if _, err := silent.Acquire(ctx, usecases.SilentRequest{Scopes: []string{"api://orders/read"}, Account: acct}); err != nil {
								b.Error(err)
								return
							}
							i++
						}
					})
				})
				store.Close()
			}
		})
	}
}

func openBenchPostgres(b *testing.B) ports.CacheStore {
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("HEXAUTH_TEST_POSTGRES_DSN is unset: no Postgres to benchmark")
	}
	schema := fmt.Sprintf("bench_silent_%d", time.Now().UnixNano())
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
			db.Close()
		}
	})
	return s
}

var benchNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// benchSilent is the silent flow on store with a provider that must never be called.
func benchSilent(b *testing.B, store ports.CacheStore) *usecases.Silent {
	a, _ := domain.ParseAuthority("https://login.microsoftonline.com/common", domain.AuthorityAuto)
	s, err := usecases.NewSilent(usecases.Config{ClientID: "bench-client", Authority: a, Partition: "bench"},
		usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// loadAccounts imports n accounts in chunks and returns them.
func loadAccounts(b *testing.B, store ports.CacheStore, n int) []domain.Account {
	b.Helper()
	start := time.Now()
	accounts := make([]domain.Account, 0, n)
	const chunk = 10_000
	for lo := 0; lo < n; lo += chunk {
		var snap domain.CacheSnapshot
		for i := lo; i < min(n, lo+chunk); i++ {
			home := fmt.Sprintf("%08d-0000-4000-8000-000000000000.72f988bf-86f1-41af-91ab-2d7cd011db47", i)
			acct := domain.Account{HomeAccountID: home, Environment: "login.microsoftonline.com", Realm: "72f988bf-86f1-41af-91ab-2d7cd011db47",
				LocalAccountID: strconv.Itoa(i), Username: fmt.Sprintf("user%d@contoso.example", i), AuthorityType: domain.AuthorityTypeMSSTS}
			secret := domain.Secret(fmt.Sprintf("%064d", i))
			snap.Accounts = append(snap.Accounts, acct)
			snap.AccessTokens = append(snap.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: acct.Environment, ClientID: "bench-client",
				Realm: acct.Realm, Target: "api://orders/read", Secret: secret, TokenType: "Bearer", CachedAt: benchNow,
				ExpiresOn: benchNow.Add(time.Hour), ExtendedExpiresOn: benchNow.Add(time.Hour)})
			snap.RefreshTokens = append(snap.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: acct.Environment, ClientID: "bench-client", Secret: secret, CachedAt: benchNow})
			snap.IDTokens = append(snap.IDTokens, domain.IDToken{HomeAccountID: home, Environment: acct.Environment, ClientID: "bench-client", Realm: acct.Realm, Secret: secret})
			accounts = append(accounts, acct)
		}
		if err := store.Import(context.Background(), "bench", snap); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d accounts in %s", n, time.Since(start).Round(time.Millisecond))
	return accounts
}

// noProvider fails every call: a cache hit must not reach the provider.
type noProvider struct{}

func (noProvider) Metadata(context.Context, domain.Authority) (domain.ProviderMetadata, error) {
	return domain.ProviderMetadata{}, fmt.Errorf("provider called on a cache hit")
}
func (noProvider) AuthorizationURL(context.Context, domain.Authority, domain.AuthorizationRequest) (string, error) {
	return "", fmt.Errorf("provider called on a cache hit")
}
func (noProvider) Token(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
	return domain.TokenResponse{}, fmt.Errorf("provider called on a cache hit")
}
func (noProvider) VerifyIDTokenSignature(context.Context, domain.Authority, string) error {
	return fmt.Errorf("provider called on a cache hit")
}
