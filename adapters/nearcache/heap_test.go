package nearcache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/domain"
)

// TestStore_MaxBytes_retainedHeap reads far more accounts with Entra-sized tokens than
// MaxBytes holds and measures the heap the near entries retain (the heap before and
// after dropping them all): it stays within the bound, and the estimate the bound is
// counted in is within a quarter of the real figure.
func TestStore_MaxBytes_retainedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 2,000 accounts")
	}
	const maxBytes = 2 << 20
	inner := openSQLite(t, filepath.Join(t.TempDir(), "heap.db"))
	near := wrap(t, inner, nearcache.Config{MaxBytes: maxBytes, CheckInterval: 1 << 62})
	ctx := context.Background()
	const accounts = 2000
	var snap domain.CacheSnapshot
	for i := range accounts {
		w := tokenWrite(strings.Repeat("a", 1600))
		home := fmt.Sprintf("%08d-0000-4000-8000-000000000000.72f988bf-86f1-41af-91ab-2d7cd011db47", i)
		w.AccessToken.HomeAccountID, w.IDToken.HomeAccountID, w.Account.HomeAccountID = home, home, home
		w.IDToken.Secret = domain.Secret(strings.Repeat("i", 1368))
		snap.AccessTokens = append(snap.AccessTokens, *w.AccessToken)
		snap.IDTokens = append(snap.IDTokens, *w.IDToken)
		snap.Accounts = append(snap.Accounts, *w.Account)
	}
	if err := near.Import(ctx, mpPartition, snap); err != nil {
		t.Fatal(err)
	}
	snap = domain.CacheSnapshot{}
	for i := range accounts {
		q := mpQuery
		q.HomeAccountID = fmt.Sprintf("%08d-0000-4000-8000-000000000000.72f988bf-86f1-41af-91ab-2d7cd011db47", i)
		if got, err := near.FindHit(ctx, q); err != nil || len(got.AccessTokens) != 1 {
			t.Fatalf("FindHit(account %d) = %d access tokens, %v", i, len(got.AccessTokens), err)
		}
	}
	full, estimated, entries := heap(), near.Bytes(), near.Len()
	if err := near.Import(ctx, "elsewhere", domain.CacheSnapshot{}); err != nil { // drops every near entry
		t.Fatal(err)
	}
	retained := full - heap()
	t.Logf("%d near entries: %d bytes retained, %d estimated (%.0f retained per entry)", entries, retained, estimated, float64(retained)/float64(entries))
	if retained > maxBytes {
		t.Errorf("the near entries retain %d bytes of heap; want at most MaxBytes, %d", retained, maxBytes)
	}
	if r := float64(estimated) / float64(retained); r < 0.75 || r > 1.25 {
		t.Errorf("estimated %d bytes for %d retained (ratio %.2f); want the estimate within 25%%", estimated, retained, r)
	}
}

func heap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
