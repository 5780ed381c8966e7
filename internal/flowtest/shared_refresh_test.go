package flowtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/flowtest"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// TestSilent_sharedRefreshAcrossEngines: several independent engines — separate
// usecases.Silent values (no shared single flight), over separate store handles on one
// SQLite file or Postgres schema, as separate processes would have — each make
// concurrent silent calls for one expired token. Exactly one refresh grant reaches the
// provider, and every caller gets the token it returned. Over HTTP each engine also has
// its own httpidp adapter.
func TestSilent_sharedRefreshAcrossEngines(t *testing.T) {
	storages := []struct {
		name string
		// storage makes fresh, empty storage and returns a function that opens a
		// handle on it.
		storage func(t *testing.T) func(t *testing.T) ports.CacheStore
	}{
		{"SQLite", sqliteStorage},
		{"Postgres", func(t *testing.T) func(t *testing.T) ports.CacheStore { return postgresStorage(t, postgresDSN(t)) }},
	}
	providers := []struct {
		name        string
		newProvider flowtest.ProviderFactory
		// adapter returns engine i's identity provider in front of the fake.
		adapter func(t *testing.T, i int, fake conformance.FakeProvider, clock *memory.Clock) ports.IdentityProvider
	}{
		{"memoryProvider", flowtest.MemoryProvider, func(_ *testing.T, _ int, fake conformance.FakeProvider, _ *memory.Clock) ports.IdentityProvider {
			return fake
		}},
		{"httpProvider", flowtest.HTTPProvider, func(t *testing.T, i int, fake conformance.FakeProvider, clock *memory.Clock) ports.IdentityProvider {
			if i == 0 {
				return fake
			}
			idp, err := httpidp.New(httpidp.Config{Clock: clock, RetryWaitMin: 1, RetryWaitMax: 2})
			if err != nil {
				t.Fatal(err)
			}
			return idp
		}},
	}
	for _, s := range storages {
		for _, p := range providers {
			t.Run(p.name+s.name+"Store", func(t *testing.T) {
				open := s.storage(t)
				sharedRefresh(t, p.newProvider, func(i int, fake conformance.FakeProvider, clock *memory.Clock) usecases.Deps {
					return usecases.Deps{IdentityProvider: p.adapter(t, i, fake, clock), Store: open(t), Clock: clock}
				})
			})
		}
	}
}

// Sizes of the shared refresh: engines, and concurrent silent calls per engine.
const (
	sharedEngines = 4
	sharedCallers = 8
)

// sharedRefresh signs a user in through engine 0, lets the token expire, and has
// every engine (deps(i) its ports) call Silent sharedCallers times at once.
func sharedRefresh(t *testing.T, newProvider flowtest.ProviderFactory, deps func(i int, fake conformance.FakeProvider, clock *memory.Clock) usecases.Deps) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	scopes := []string{"api://orders/read"}
	setup := conformance.FlowSetup{
		ClientID: "shared-client", RedirectURI: "http://127.0.0.1/callback", Rotate: true,
		Users:  []conformance.FlowUser{{Username: "alice@example.com", Password: "alice-pw"}},
		Scopes: scopes,
	}
	clock := memory.NewClock(flowtest.Start)
	fake, authorityURL := newProvider(t, setup, clock)
	authority, err := domain.ParseAuthority(authorityURL, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	cfg := flowtest.Config(setup, setup.ClientID, authority)
	cfg.Partition = "tenant-a"
	engines := make([]*usecases.Silent, sharedEngines)
	var first domain.AuthResult
	for i := range engines {
		d := deps(i, fake, clock)
		if engines[i], err = usecases.NewSilent(cfg, d); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f, err := flowtest.New(cfg, d)
			if err != nil {
				t.Fatal(err)
			}
			if first, err = f.Password(ctx, "alice@example.com", "alice-pw", scopes); err != nil {
				t.Fatalf("Password = %v; want tokens", err)
			}
		}
	}
	clock.Advance(2 * time.Hour)

	type result struct {
		res domain.AuthResult
		err error
	}
	results := make(chan result, sharedEngines*sharedCallers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, e := range engines {
		for range sharedCallers {
			wg.Go(func() {
				<-start
				res, err := e.Acquire(ctx, usecases.SilentRequest{Scopes: scopes, Account: first.Account})
				results <- result{res, err}
			})
		}
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("concurrent silent calls did not return within a minute (a refresh lock never released?)")
	}
	close(results)

	var refreshed domain.Secret
	fromProvider := 0
	for r := range results {
		if r.err != nil {
			t.Fatalf("concurrent Silent = %v; want a token", r.err)
		}
		if r.res.TokenSource == domain.SourceIdentityProvider {
			fromProvider++
		}
		switch {
		case r.res.AccessToken == first.AccessToken:
			t.Fatal("a concurrent Silent served the expired access token")
		case refreshed == "":
			refreshed = r.res.AccessToken
		case r.res.AccessToken != refreshed:
			t.Fatal("concurrent Silent calls returned different access tokens; want every caller to get the one refresh's token")
		}
	}
	if n := fake.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants for %d engines × %d concurrent silent calls = %d; want 1", sharedEngines, sharedCallers, n)
	}
	if fromProvider == 0 {
		t.Fatal("no caller got its token from the identity provider; want the refreshing engine's callers to")
	}
	for i, e := range engines {
		res, err := e.Acquire(ctx, usecases.SilentRequest{Scopes: scopes, Account: first.Account})
		if err != nil || res.TokenSource != domain.SourceCache || res.AccessToken != refreshed {
			t.Fatalf("engine %d's Silent after the refresh = %q, %v; want the refreshed token from the cache", i, res.TokenSource, err)
		}
	}
}
