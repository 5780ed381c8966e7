package memory_test

import (
	"context"
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
// of one account holding an account record and Entra-sized access (1,600 bytes), ID
// (1,368) and refresh (1,200) tokens. It unpacks the access token, the ID token and the
// account; no token's bytes are copied.
//
//	go test -run '^$' -bench BenchmarkStore_FindHit -count 5 ./adapters/memory/
func BenchmarkStore_FindHit(b *testing.B) {
	s := storeNew(b)
	const home, env, client, realm = "00000001-0000-4000-8000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47",
		"login.microsoftonline.com", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "72f988bf-86f1-41af-91ab-2d7cd011db47"
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	w := domain.CacheWrite{Partition: "bench",
		AccessToken: &domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm, Target: "api://orders/read",
			Secret: domain.Secret(strings.Repeat("a", 1600)), TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)},
		RefreshToken: &domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: client, Secret: domain.Secret(strings.Repeat("r", 1200)), CachedAt: now},
		IDToken:      &domain.IDToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm, Secret: domain.Secret(strings.Repeat("i", 1368))},
		Account: &domain.Account{HomeAccountID: home, Environment: env, Realm: realm, LocalAccountID: home[:36], Username: "user1@contoso.example",
			Name: "User 1", AuthorityType: domain.AuthorityTypeMSSTS},
	}
	ctx := context.Background()
	if err := s.Write(ctx, w); err != nil {
		b.Fatal(err)
	}
	q := domain.CacheQuery{Partition: "bench", HomeAccountID: home, ClientID: client,
		Environments: []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}}
	var hr ports.HitReader = s
	b.ReportAllocs()
	for b.Loop() {
		e, err := hr.FindHit(ctx, q)
		if err != nil || len(e.AccessTokens) != 1 || len(e.IDTokens) != 1 || len(e.Accounts) != 1 {
			b.Fatalf("FindHit = %d/%d/%d entries, %v; want 1/1/1", len(e.AccessTokens), len(e.IDTokens), len(e.Accounts), err)
		}
	}
}
