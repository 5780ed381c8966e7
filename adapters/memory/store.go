package memory

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// StoreConfig configures a Store. Its zero value is valid.
type StoreConfig struct {
	// Logger receives the store's diagnostics (never a secret). Nil discards them.
	Logger *slog.Logger
}

// Validate reports whether cfg is usable. Every StoreConfig is, the zero value
// included; Validate exists so that every adapter's configuration is checked the same
// way.
func (cfg StoreConfig) Validate() error { return nil }

// Store is an in-memory ports.CacheStore. Each partition has its own lock, so tenants
// do not contend with each other; within a partition, entries live in per-account
// buckets found through a map, so look-ups never scan the cache. A Store is safe for
// concurrent use; create one with NewStore.
type Store struct {
	log *slog.Logger

	mu    sync.RWMutex
	parts map[string]*partition // nil once closed

	locks refreshLocks
}

var (
	_ ports.CacheStore    = (*Store)(nil)
	_ ports.StableSecrets = (*Store)(nil)
)

// errClosed is the cause of every error a closed Store returns.
var errClosed = errors.New("store is closed")

// NewStore returns an empty Store configured by cfg.
func NewStore(cfg StoreConfig) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, storeErr("new store", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{log: log, parts: map[string]*partition{}, locks: refreshLocks{held: map[string]*lockSlot{}}}, nil
}

// Close drops every entry and makes every later call fail with an error of class
// domain.ErrCacheStore. Calling it again does nothing and returns nil. Refresh locks
// held when Close is called stay held until their functions return.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts != nil {
		s.parts = nil
		s.log.Debug("memory: store closed")
	}
	return nil
}

// storeErr wraps cause into the error every Store failure is: class ErrCacheStore,
// operation prefixed with the package name.
func storeErr(op string, cause error) error {
	return &domain.Error{Class: domain.ErrCacheStore, Op: "memory: " + op, Err: cause}
}

// begin checks what every call checks at entry: a usable, not done ctx and an open
// store.
func (s *Store) begin(ctx context.Context, op string) error {
	if ctx == nil {
		return storeErr(op, errors.New("nil context"))
	}
	if err := ctx.Err(); err != nil {
		return storeErr(op, err)
	}
	s.mu.RLock()
	closed := s.parts == nil
	s.mu.RUnlock()
	if closed {
		return storeErr(op, errClosed)
	}
	return nil
}

// partition returns the named partition after the entry checks of begin. With create
// false it returns nil when the partition holds nothing yet.
func (s *Store) partition(ctx context.Context, op, name string, create bool) (*partition, error) {
	if ctx == nil {
		return nil, storeErr(op, errors.New("nil context"))
	}
	if err := ctx.Err(); err != nil {
		return nil, storeErr(op, err)
	}
	s.mu.RLock()
	closed, p := s.parts == nil, s.parts[name]
	s.mu.RUnlock()
	if closed {
		return nil, storeErr(op, errClosed)
	}
	if p != nil || !create {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == nil {
		return nil, storeErr(op, errClosed)
	}
	if p = s.parts[name]; p == nil {
		p = newPartition()
		s.parts[name] = p
	}
	return p, nil
}

// fold returns the form in which client ids and environments, lower-cased in cache
// keys, are compared. Home account ids fold as domain.FoldHomeAccountID.
func fold(s string) string { return strings.ToLower(s) }
