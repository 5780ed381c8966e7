package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Features declares what sets a CacheStore adapter apart from the in-memory reference,
// so that TestCacheStore runs the cases that apply and skips the others with a sentence
// saying why.
type Features struct {
	// Persistent: entries written through one store survive its Close and are visible
	// through another store opened on the same storage. Requires NewStorePair.
	Persistent bool
	// CrossProcessLock: the refresh lock also excludes a holder in another store opened
	// on the same storage, as another process would. Requires NewStorePair.
	CrossProcessLock bool
	// NewStorePair opens two stores on one fresh, empty storage, as two processes
	// would, and registers their cleanup. Used by the Persistent and CrossProcessLock
	// cases only.
	NewStorePair func(t *testing.T) (first, second ports.CacheStore)
}

// storeCase is one behaviour of the CacheStore contract.
type storeCase struct {
	name string
	run  func(t *testing.T, s ports.CacheStore)
}

// TestCacheStore tests that the stores newStore returns honour the ports.CacheStore
// contract. newStore is called once per subtest and must return a new, empty store
// that it closes in a t.Cleanup (the suite closes some stores itself; closing twice is
// part of the contract). f declares the adapter's features; cases that need one it
// lacks are skipped.
//
// Beyond the port's doc comments, the suite holds stores to two readings of the
// contract: an entry whose Extra holds a value that is not JSON is refused (it could not
// be exported to MSAL's JSON) and fails its whole write or import; and WithRefreshLock
// releases the lock when fn panics, as it does when fn returns.
func TestCacheStore(t *testing.T, f Features, newStore func(t *testing.T) ports.CacheStore) {
	t.Helper()
	groups := []struct {
		name  string
		cases []storeCase
	}{
		{"RoundTrip", roundTripCases()},
		{"Find", findCases()},
		{"Write", writeCases()},
		{"RefreshTokenOrder", refreshOrderCases()},
		{"Accounts", accountsCases()},
		{"RemoveAccount", removeAccountCases()},
		{"EnvironmentAliases", aliasCases()},
		{"Identity", identityCases()},
		{"KeyCollisions", collisionCases()},
		{"PartitionIsolation", partitionCases()},
		{"Concurrency", concurrencyCases()},
		{"RefreshLock", refreshLockCases()},
		{"Snapshot", snapshotCases()},
		{"ForeignSections", foreignCases()},
		{"Context", contextCases()},
		{"Close", closeCases()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
			}
		})
	}
	t.Run("Features", func(t *testing.T) { testFeatures(t, f) })
}

// The helpers below make one call, fail the test with the call quoted when it errs,
// and return its result.

func mustWrite(t *testing.T, s ports.CacheStore, w domain.CacheWrite) {
	t.Helper()
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write(%s) = %v; want nil", describeWrite(w), err)
	}
}

func mustFind(t *testing.T, s ports.CacheStore, q domain.CacheQuery) domain.CacheEntries {
	t.Helper()
	got, err := s.Find(t.Context(), q)
	if err != nil {
		t.Fatalf("Find(%+v) = %v; want nil error", q, err)
	}
	return got
}

func mustAccounts(t *testing.T, s ports.CacheStore, f domain.AccountFilter) []domain.Account {
	t.Helper()
	got, err := s.Accounts(t.Context(), f)
	if err != nil {
		t.Fatalf("Accounts(%+v) = %v; want nil error", f, err)
	}
	return got
}

func mustRemove(t *testing.T, s ports.CacheStore, r domain.AccountRemoval) {
	t.Helper()
	if err := s.RemoveAccount(t.Context(), r); err != nil {
		t.Fatalf("RemoveAccount(%+v) = %v; want nil", r, err)
	}
}

func mustExport(t *testing.T, s ports.CacheStore, partition string) domain.CacheSnapshot {
	t.Helper()
	got, err := s.Export(t.Context(), partition)
	if err != nil {
		t.Fatalf("Export(%q) = %v; want nil error", partition, err)
	}
	return got
}

func mustImport(t *testing.T, s ports.CacheStore, partition string, snap domain.CacheSnapshot) {
	t.Helper()
	if err := s.Import(t.Context(), partition, snap); err != nil {
		t.Fatalf("Import(%q, %s) = %v; want nil", partition, describeSnapshot(snap), err)
	}
}

// isStoreError reports whether err is what the contract says a store failure is: a
// *domain.Error of class domain.ErrCacheStore.
func isStoreError(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && errors.Is(err, domain.ErrCacheStore)
}

// wantStoreError fails t unless err is a store failure wrapping cause (when cause is
// not nil).
func wantStoreError(t *testing.T, call string, err, cause error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s = nil; want an error", call)
	case !isStoreError(err):
		t.Errorf("%s = %v (%T); want a *domain.Error of class domain.ErrCacheStore", call, err, err)
	case cause != nil && !errors.Is(err, cause):
		t.Errorf("%s = %v; want an error wrapping %v", call, err, cause)
	}
}

// cancelled returns a context that is already cancelled.
func cancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
