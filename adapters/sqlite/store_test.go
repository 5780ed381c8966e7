package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/ports"
)

// TestStore_Conformance runs the CacheStore suite on a new database file per case, and
// its cross-store cases on two Stores sharing one file, as two processes would.
func TestStore_Conformance(t *testing.T) {
	f := conformance.Features{
		Persistent:       true,
		CrossProcessLock: true,
		NewStorePair: func(t *testing.T) (ports.CacheStore, ports.CacheStore) {
			path := filepath.Join(t.TempDir(), "shared.db")
			return openStore(t, sqlite.Config{Path: path}), openStore(t, sqlite.Config{Path: path})
		},
	}
	conformance.TestCacheStore(t, f, func(t *testing.T) ports.CacheStore { return openStore(t, sqlite.Config{}) })
}

// TestStore_HitReader holds FindHit, the silent hit's read, to Find's rules.
func TestStore_HitReader(t *testing.T) {
	conformance.TestHitReader(t, func(t *testing.T) ports.CacheStore { return openStore(t, sqlite.Config{}) })
}

// TestStore_Conformance_memory runs the suite on in-memory databases.
func TestStore_Conformance_memory(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore {
		return openStore(t, sqlite.Config{Path: sqlite.MemoryPath})
	})
}
