package nearcache

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Defaults applied by New to the zero values of Config.
const (
	// DefaultMaxBytes bounds the near entries' estimated size: 64 MiB holds the hits of
	// some 14,000 accounts with Entra-sized tokens (about 4.7 KB estimated, 4.4 KB of
	// heap each; TestStore_MaxBytes_retainedHeap).
	DefaultMaxBytes = 64 << 20
	// DefaultCheckInterval is how often, at most, a DataVersioner store's version is
	// read: the staleness bound over SQLite.
	DefaultCheckInterval = time.Millisecond
	// DefaultFallbackTTL is how long an entry is served after it was read from the
	// store while no change signal is trusted.
	DefaultFallbackTTL = 100 * time.Millisecond
	// DefaultPingInterval is how often an idle ChangeListener session is pinged.
	DefaultPingInterval = 250 * time.Millisecond
)

// Config configures a Store. The zero value is usable.
type Config struct {
	// MaxBytes bounds the heap the near entries take, as estimated from their strings'
	// lengths and their structures' sizes, rounded up for Go's allocation size classes
	// (the estimate errs high, by about 6% with Entra-sized tokens); the least recently
	// used are dropped past it, and a single read larger than it is not kept. Default
	// 64 MiB.
	MaxBytes int64
	// CheckInterval is how often, at most, the version of a store implementing
	// ports.DataVersioner (SQLite) is read, on the first hit after it is due; a change
	// drops every entry. It bounds how long a change another process committed can go
	// unseen. Default 1ms; negative reads it on every hit (about 2.7 µs more a hit).
	CheckInterval time.Duration
	// FallbackTTL is how long an entry is served after it was read from the store while
	// the store's change signal is not trusted: a ports.ChangeListener session down or
	// silent for three ping intervals, a version read that failed, or a store with no
	// signal at all. Default 100ms; negative serves nothing from memory then.
	FallbackTTL time.Duration
	// PingInterval is how often a ports.ChangeListener (Postgres) session idle for that
	// long is pinged; a session that has not answered for three intervals is not
	// trusted (FallbackTTL applies) until it answers again. Default 250ms.
	PingInterval time.Duration
	// Clock tells the time of CheckInterval, FallbackTTL and PingInterval. Default: the
	// system clock.
	Clock ports.Clock
	// Logger receives warnings when the change session fails. Nothing it logs holds a
	// token, a partition or an account id. Default: discard.
	Logger *slog.Logger
}

// Validate reports the first problem with c as a *domain.Error of class
// domain.ErrInvalidInput.
func (c Config) Validate() error {
	switch {
	case c.MaxBytes < 0:
		return configError("MaxBytes is negative (%d)", c.MaxBytes)
	case c.PingInterval < 0:
		return configError("PingInterval is negative (%s)", c.PingInterval)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = DefaultCheckInterval
	}
	if c.FallbackTTL == 0 {
		c.FallbackTTL = DefaultFallbackTTL
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// systemClock is the wall clock (with its monotonic reading, which Sub uses).
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func configError(format string, args ...any) error {
	return &domain.Error{Class: domain.ErrInvalidInput, Err: fmt.Errorf("nearcache: config: "+format, args...)}
}
