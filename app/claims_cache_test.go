package app_test

import (
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
)

// TestConfig_ClaimsCacheBytes_reachesTheSilentFlow checks the setting through what it
// changes: with the claims cache on (the default) a silent hit does not parse its ID
// token again, which costs about ten allocations (the cache's copy of the token, the
// decoded header and payload, the typed claims' strings, the audience list); turned
// off, every hit parses it.
func TestConfig_ClaimsCacheBytes_reachesTheSilentFlow(t *testing.T) {
	allocs := func(claimsCache int) float64 {
		ctx := testContext(t)
		clock := memory.NewClock(exampleStart)
		pc, err := app.NewPublicClient(ctx, app.Config{
			ClientID: clientID, Authority: authority, Cache: "memory:",
			IdentityProvider: newFake(clock), Clock: clock, ClaimsCacheBytes: claimsCache,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(50, func() {
			hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
			if err != nil || hit.IDTokenClaims == nil || hit.IDTokenClaims.Subject == "" {
				t.Fatalf("AcquireTokenSilent = %v, claims %v; want a hit with the ID token's claims", err, hit.IDTokenClaims)
			}
		})
	}
	on, off := allocs(0), allocs(-1)
	t.Logf("allocations per silent hit: %.0f with the claims cache, %.0f without", on, off)
	if off-on < 6 {
		t.Errorf("a silent hit allocates %.0f with the claims cache and %.0f with ClaimsCacheBytes: -1; want the cache to save the ID token's parse (6 or more)", on, off)
	}
}
