package usecases_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// BenchmarkRefreshStampede measures what a refresh stampede costs: each iteration lets
// the cached token expire and fires 100 concurrent silent calls for it. It reports the
// token-endpoint requests per stampede ("refreshes/op"; the target is exactly 1) and the
// time for the 100 calls to complete.
//
//	go test -run '^$' -bench BenchmarkRefreshStampede ./usecases
func BenchmarkRefreshStampede(b *testing.B) {
	ctx := context.Background()
	clock := memory.NewClock(benchNow)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, Users: []memory.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []memory.Client{{ID: "bench-client"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	a, _ := domain.ParseAuthority("https://login.example.com/tenant", domain.AuthorityAuto)
	cfg := usecases.Config{ClientID: "bench-client", Authority: a}
	deps := usecases.Deps{IdentityProvider: idp, Store: store, Clock: clock}
	ropc, _ := usecases.NewUsernamePassword(cfg, deps)
	silent, _ := usecases.NewSilent(cfg, deps)
	res, err := ropc.Acquire(ctx, usecases.PasswordRequest{Username: "alice@example.com", Password: "pw", Scopes: []string{"read"}})
	if err != nil {
		b.Fatal(err)
	}
	req := usecases.SilentRequest{Scopes: []string{"read"}, Account: res.Account}
	before := idp.Calls(domain.GrantRefreshToken)
	b.ResetTimer()
	for b.Loop() {
		clock.Advance(2 * time.Hour)
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := silent.Acquire(ctx, req); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(idp.Calls(domain.GrantRefreshToken)-before)/float64(b.N), "refreshes/op")
}
