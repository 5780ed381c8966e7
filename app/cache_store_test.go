package app_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// OpenCache needs no client: it imports, lists and exports every client's entries of a
// partition, while a client's own Accounts still lists only what it can use.
func TestOpenCache_importListExportWithoutAClient(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	db := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "tokens.db"))
	// No client; the authority ties the document's realm-less (MSAL-shaped) refresh token
	// to its OIDC issuer, without which it would not be imported.
	cache, err := app.OpenCache(ctx, app.Config{Cache: db, Authority: authority})
	if err != nil {
		t.Fatalf("OpenCache(no ClientID) = %v; want nil", err)
	}
	defer cache.Close()
	doc := pythonCache(t, res, "someone-elses-app", "", exampleStart, true)
	report, err := cache.ImportCache(ctx, "p", strings.NewReader(doc))
	if err != nil || report.Imported.Accounts != 1 {
		t.Fatalf("Cache.ImportCache = %+v, %v; want the account read", report, err)
	}
	list, err := cache.Accounts(ctx, "p")
	if err != nil || len(list) != 1 || list[0].Username != "alice@example.com" || list[0].Environment != res.Account.Environment {
		t.Fatalf("Cache.Accounts(p) = %+v, %v; want alice with her environment, whatever her client", list, err)
	}
	if other, err := cache.Accounts(ctx, "q"); err != nil || len(other) != 0 {
		t.Fatalf("Cache.Accounts(q) = %+v, %v; want none (another partition)", other, err)
	}
	if none, err := cache.Accounts(ctx, "p", app.WithUsername("bob@example.com")); err != nil || len(none) != 0 {
		t.Fatalf("Cache.Accounts(p, WithUsername(bob)) = %+v, %v; want none", none, err)
	}
	var out bytes.Buffer
	if err := cache.ExportCache(ctx, "p", &out); err != nil {
		t.Fatal(err)
	}
	snap, err := msalcache.Decode(out.Bytes())
	if err != nil || len(snap.RefreshTokens) != 1 || snap.RefreshTokens[0].ClientID != "someone-elses-app" {
		t.Fatalf("Cache.ExportCache = %d refresh tokens, %v; want the imported one", len(snap.RefreshTokens), err)
	}

	mine, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: authority, Cache: db, IdentityProvider: idp, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	if got, err := mine.Partition("p").Accounts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("a client's Accounts = %+v, %v; want none: the account holds no token of this client", got, err)
	}
	if err := cache.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := cache.Close(); err != nil {
		t.Fatalf("second Close = %v; want nil", err)
	}
}

func TestOpenCache_refusesABadConfig(t *testing.T) {
	ctx := testContext(t)
	for _, cfg := range []app.Config{
		{Cache: "ftp://x"},
		{Cache: "memory:", SealingKey: []byte("short")},
		{Cache: "memory:", Authority: "not a url"},
	} {
		if c, err := app.OpenCache(ctx, cfg); !errors.Is(err, domain.ErrInvalidInput) {
			if c != nil {
				c.Close()
			}
			t.Errorf("OpenCache(%v) = %v; want ErrInvalidInput", cfg, err)
		}
	}
}
