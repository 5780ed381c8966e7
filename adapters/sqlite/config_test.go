package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

func TestConfig_Validate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  sqlite.Config
		want string // "" for valid
	}{
		{"file", sqlite.Config{Path: "tokens.db"}, ""},
		{"memory", sqlite.Config{Path: sqlite.MemoryPath}, ""},
		{"every field", sqlite.Config{Path: "/tmp/x.db", BusyTimeout: time.Second, MaxOpenConns: 2, LockLease: time.Minute}, ""},
		{"no path", sqlite.Config{}, "Path is empty"},
		{"blank path", sqlite.Config{Path: "  "}, "Path is empty"},
		{"NUL in path", sqlite.Config{Path: "a\x00b"}, "NUL"},
		{"negative busy timeout", sqlite.Config{Path: "x", BusyTimeout: -time.Second}, "BusyTimeout is negative"},
		{"negative connections", sqlite.Config{Path: "x", MaxOpenConns: -1}, "MaxOpenConns is negative"},
		{"negative lease", sqlite.Config{Path: "x", LockLease: -time.Second}, "LockLease is negative"},
		{"lease too short", sqlite.Config{Path: "x", LockLease: time.Millisecond}, "shorter than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), "sqlite: config:") {
				t.Errorf("Validate() = %v; want an ErrInvalidInput error prefixed sqlite: config: saying %q", err, c.want)
			}
		})
	}
}

func TestOpen_invalidConfig(t *testing.T) {
	s, err := sqlite.Open(context.Background(), sqlite.Config{})
	if s != nil || !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Open(Config{}) = %v, %v; want nil, an ErrInvalidInput error", s, err)
	}
}

func TestOpen_cancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: t.TempDir() + "/x.db"})
	if s != nil || !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled ctx) = %v, %v; want nil, an ErrCacheStore error wrapping context.Canceled", s, err)
	}
}
