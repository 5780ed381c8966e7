package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"go.uber.org/fx"
)

// testContext bounds everything a test waits for (a database, a lock, the loopback
// listener), so that a failure ends the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitOrFail waits for wg, failing the test if that takes longer than testContext's
// bound: goroutines stuck on a lock would otherwise hang the run.
func waitOrFail(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func TestOptions_validateApp(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	for _, tc := range []struct {
		name string
		cfg  app.Config
	}{
		{"memory and in-process provider", app.Config{ClientID: "c", Authority: authority, IdentityProvider: newFake(clock)}},
		{"memory and HTTP provider", app.Config{ClientID: "c", Authority: authority, Cache: "memory:"}},
		{"sqlite file", app.Config{ClientID: "c", Authority: authority, Cache: "sqlite:///tmp/x.db"}},
		{"sqlite in memory", app.Config{ClientID: "c", Authority: authority, Cache: "sqlite::memory:"}},
		{"postgres", app.Config{ClientID: "c", Authority: authority, Cache: "postgres://u@127.0.0.1:5432/db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := fx.ValidateApp(app.Options(tc.cfg), fx.Invoke(func(*app.PublicClient) {})); err != nil {
				t.Fatalf("fx.ValidateApp: %v", err)
			}
		})
	}
	// A confidential client needs a credential in the graph.
	cfg := app.Config{ClientID: "c", Authority: authority, IdentityProvider: newFake(clock)}
	if err := fx.ValidateApp(app.Options(cfg), fx.Invoke(func(*app.ConfidentialClient) {})); err == nil {
		t.Fatal("fx.ValidateApp accepted a confidential client without a Credential")
	}
	if err := fx.ValidateApp(app.Options(cfg), fx.Supply(app.ClientSecret("s")), fx.Invoke(func(*app.ConfidentialClient) {})); err != nil {
		t.Fatalf("fx.ValidateApp with a credential: %v", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  app.Config
	}{
		{"no client id", app.Config{Authority: authority}},
		{"no authority", app.Config{ClientID: "c"}},
		{"http authority", app.Config{ClientID: "c", Authority: "http://login.example.com/t"}},
		{"unknown cache", app.Config{ClientID: "c", Authority: authority, Cache: "redis://x"}},
		{"negative buffer", app.Config{ClientID: "c", Authority: authority, ExpiryBuffer: -time.Second}},
		{"RequireSealed without a key", app.Config{ClientID: "c", Authority: authority, RequireSealed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("Validate() = %v; want ErrInvalidInput", err)
			}
			_, err := app.NewPublicClient(testContext(t), tc.cfg)
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("NewPublicClient error = %v; want ErrInvalidInput", err)
			}
		})
	}
}

func TestNewConfidentialClient_needsACredential(t *testing.T) {
	_, err := app.NewConfidentialClient(testContext(t), app.Config{ClientID: "c", Authority: authority}, app.Credential{})
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error = %v; want ErrInvalidInput", err)
	}
	if s := app.ClientSecret("top-secret").String(); strings.Contains(s, "top-secret") {
		t.Fatalf("Credential.String() = %q leaks the secret", s)
	}
}

func TestPublicClient_WithAuthority_invalidOverrideIsInvalidInput(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	_, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders, app.WithAuthority("http://evil.example/t"))
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error = %v; want ErrInvalidInput", err)
	}
}

// 100 concurrent silent calls for one expired token make exactly one provider call.
func TestPublicClient_AcquireTokenSilent_stampedeMakesOneRefresh(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
			errs <- err
		}()
	}
	waitOrFail(t, &wg, "100 concurrent silent calls")
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh-token grants = %d; want 1 for 100 concurrent silent calls", n)
	}
}

func TestPublicClient_Close_thenCallsFail(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Accounts(ctx); !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Accounts after Close error = %v; want ErrCacheStore", err)
	}
}

// The same flows work on every store Config.Cache can name.
func TestNewPublicClient_everyCacheURL(t *testing.T) {
	urls := []string{"memory:", "sqlite::memory:", "sqlite://" + t.TempDir() + "/tokens.db"}
	if pg := postgresCacheURL(t); pg != "" {
		urls = append(urls, pg)
	}
	for _, cache := range urls {
		name, _, _ := strings.Cut(cache, "?")
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			clock := memory.NewClock(exampleStart)
			idp := newFake(clock)
			partition := fmt.Sprintf("test-%d", time.Now().UnixNano()) // postgres is shared between runs
			root, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: authority, Cache: cache, IdentityProvider: idp, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			pc := root.Partition(partition)
			res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
			if err != nil {
				t.Fatal(err)
			}
			hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
			if err != nil || hit.TokenSource != domain.SourceCache {
				t.Fatalf("silent = %q, %v; want a cache hit", hit.TokenSource, err)
			}
			clock.Advance(2 * time.Hour)
			refreshed, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
			if err != nil || refreshed.TokenSource != domain.SourceIdentityProvider {
				t.Fatalf("silent after expiry = %q, %v; want a refresh", refreshed.TokenSource, err)
			}
			if err := pc.RemoveAccount(ctx, res.Account); err != nil {
				t.Fatal(err)
			}
			if accts, _ := pc.Accounts(ctx); len(accts) != 0 {
				t.Fatalf("Accounts after removal = %v; want none", accts)
			}
		})
	}
}

func TestConfig_SealingKey_secretsAreSealedAtRest(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	path := t.TempDir() + "/tokens.db"
	cfg := app.Config{ClientID: clientID, Authority: authority, Cache: "sqlite://" + path, IdentityProvider: newFake(clock), Clock: clock,
		SealingKey: []byte("0123456789abcdef0123456789abcdef")}
	pc, err := app.NewPublicClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	if hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account); err != nil || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent through the sealer = %v; want the cached token opened", err)
	}
	pc.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(path + "-wal"); err == nil {
		raw = append(raw, wal...)
	}
	if !strings.Contains(string(raw), "alice@example.com") {
		t.Fatal("the database holds no account: the check below would prove nothing")
	}
	for _, secret := range []string{string(res.AccessToken), string(res.RefreshToken)} {
		if strings.Contains(string(raw), secret) {
			t.Fatal("the database file holds a token in clear")
		}
	}
	cfg.SealingKey = []byte("short")
	if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Validate with a short key = %v; want ErrInvalidInput", err)
	}
}

// Tokens cached before sealing was turned on are read as they are (the migration
// path) unless RequireSealed: then they are misses, as anything a database writer
// without the key could have planted.
func TestConfig_RequireSealed_unsealedRowsAreMisses(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	fake := newFake(clock)
	path := t.TempDir() + "/tokens.db"
	cfg := app.Config{ClientID: clientID, Authority: authority, Cache: "sqlite://" + path, IdentityProvider: fake, Clock: clock}
	pc, err := app.NewPublicClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
	cfg.SealingKey = []byte("0123456789abcdef0123456789abcdef")
	for _, strict := range []bool{false, true} {
		cfg.RequireSealed = strict
		pc, err := app.NewPublicClient(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
		pc.Close()
		if strict {
			if err == nil && hit.AccessToken == res.AccessToken {
				t.Error("RequireSealed: the access token cached in clear was served")
			}
		} else if err != nil || hit.AccessToken != res.AccessToken {
			t.Errorf("SealingKey without RequireSealed: silent = %v; want the token cached in clear (migration path)", err)
		}
	}
}
