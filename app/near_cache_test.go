package app_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestConfig_NearCacheBytes puts a near cache in front of a SQLite file: a silent hit
// then costs a fraction of the allocations of a read of the file, and a sign-out by
// another client of the same file (a near cache of its own) is seen within 100 ms.
func TestConfig_NearCacheBytes(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	path := "sqlite://" + filepath.Join(t.TempDir(), "tokens.db")
	open := func(near int64) *app.PublicClient {
		pc, err := app.NewPublicClient(ctx, app.Config{
			ClientID: clientID, Authority: authority, Cache: path,
			IdentityProvider: newFake(clock), Clock: clock, NearCacheBytes: near,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		return pc
	}
	near, plain := open(1<<20), open(0)
	res, err := near.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(pc *app.PublicClient) float64 {
		return testing.AllocsPerRun(50, func() {
			if _, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account); err != nil {
				t.Fatalf("AcquireTokenSilent = %v", err)
			}
		})
	}
	withNear, without := allocs(near), allocs(plain)
	t.Logf("allocations per silent hit on SQLite: %.0f with the near cache, %.0f without", withNear, without)
	if withNear*2 > without {
		t.Errorf("a silent hit allocates %.0f with NearCacheBytes and %.0f without; want the near cache to halve it at least", withNear, without)
	}
	if err := plain.RemoveAccount(ctx, res.Account); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := near.AcquireTokenSilent(ctx, readOrders, res.Account); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("AcquireTokenSilent 100ms after another client's RemoveAccount = %v; want ErrNoTokens", err)
	}
}

func TestConfig_NearCacheBytes_negative(t *testing.T) {
	cfg := app.Config{ClientID: clientID, Authority: authority, NearCacheBytes: -1}
	if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Validate() with NearCacheBytes -1 = %v; want ErrInvalidInput", err)
	}
}

// TestConfig_NearCacheBytes_sealed: with a SealingKey the near cache sits under the
// sealer (it keeps sealed secrets) and a hit still opens them.
func TestConfig_NearCacheBytes_sealed(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, Cache: "sqlite://" + filepath.Join(t.TempDir(), "tokens.db"),
		IdentityProvider: newFake(clock), Clock: clock, NearCacheBytes: 1 << 20, SealingKey: make([]byte, 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
		if err != nil || hit.AccessToken != res.AccessToken || hit.TokenSource != domain.SourceCache {
			t.Fatalf("AcquireTokenSilent = %v, same token %v, source %v; want the cached token, opened", err, hit.AccessToken == res.AccessToken, hit.TokenSource)
		}
	}
}
