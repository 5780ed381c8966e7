package sqlite_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/ports"
)

// openStore opens a Store on cfg (Path defaulting to a new file in a temporary
// directory), closed at the end of the test.
func openStore(t testing.TB, cfg sqlite.Config) *sqlite.Store {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "tokens.db")
	}
	s, err := sqlite.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open(%v) = %v; want nil error", cfg, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// logBuffer is a concurrency-safe buffer for a test's logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLogger returns a logger writing text lines into a buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

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

func TestStore_Conformance_memory(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore {
		return openStore(t, sqlite.Config{Path: sqlite.MemoryPath})
	})
}
