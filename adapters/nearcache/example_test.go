package nearcache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// A near cache in front of a SQLite file that other processes share. The application
// hands the near cache to the engine where it would hand the store (with package app,
// set Config.NearCacheBytes instead).
func Example() {
	dir, err := os.MkdirTemp("", "nearcache-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "tokens.db")})
	if err != nil {
		log.Fatal(err)
	}
	near, err := nearcache.New(store, nearcache.Config{MaxBytes: 32 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer near.Close() // closes the SQLite store too

	now := time.Now().Truncate(time.Second)
	at := domain.AccessToken{HomeAccountID: "alice", Environment: "login.example.com", ClientID: "app", Realm: "r",
		Target: "read", Secret: "token-1", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)}
	if err := near.Write(ctx, domain.CacheWrite{AccessToken: &at}); err != nil {
		log.Fatal(err)
	}
	q := domain.CacheQuery{HomeAccountID: "alice", Environments: []string{"login.example.com"}, ClientID: "app"}
	for range 2 { // the first read goes to SQLite, the second is served from memory
		hit, err := near.FindHit(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(hit.AccessTokens), "access token for", hit.AccessTokens[0].Target, "- near entries:", near.Len())
	}
	// Output:
	// 1 access token for read - near entries: 1
	// 1 access token for read - near entries: 1
}
