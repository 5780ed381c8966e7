package nearcache

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Store is a ports.CacheStore that serves silent hits (FindHit) from memory in front
// of another store, and everything else from that store. It is safe for concurrent
// use. Create one with New and Close it when done: Close closes the wrapped store.
type Store struct {
	inner ports.CacheStore
	cfg   Config

	ver ports.DataVersioner  // the version signal, or nil
	lis ports.ChangeListener // the notification signal, or nil

	mu        sync.Mutex
	lru       lru
	epoch     uint64    // moves on every drop: a read that began before one is not kept
	trusted   bool      // the change signal is known to work (version read or session up)
	lastAlive time.Time // the session's last sign of life (ChangeListener)
	version   uint64    // the last version read (DataVersioner)

	checking  sync.Mutex   // one version read at a time
	nextCheck atomic.Int64 // UnixNano of the next version read

	closed atomic.Bool
	stop   context.CancelFunc // ends the listening loop
	done   chan struct{}      // closed when the listening loop has ended
}

var (
	_ ports.CacheStore = (*Store)(nil)
	_ ports.HitReader  = (*Store)(nil)
)

// New returns a near cache in front of inner; it takes over inner, which its Close
// closes. It discovers inner's change signal (ports.DataVersioner or
// ports.ChangeListener) by a type assertion and, for a ChangeListener, starts listening
// in the background right away. Configuration problems are domain.ErrInvalidInput.
func New(inner ports.CacheStore, cfg Config) (*Store, error) {
	if inner == nil {
		return nil, configError("no store to wrap")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{inner: inner, cfg: cfg.withDefaults(), done: make(chan struct{})}
	s.lru.init()
	switch sig := inner.(type) {
	case ports.DataVersioner:
		s.ver = sig
	case ports.ChangeListener:
		s.lis = sig
	}
	if s.lis == nil {
		close(s.done)
		return s, nil
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.listen(ctx)
	return s, nil
}

// FindHit implements ports.HitReader: a near entry when there is one the change signal
// vouches for (or younger than FallbackTTL), else the wrapped store's FindHit (its
// Find when it has none), which is then kept. What it returns is a copy: the caller
// may change it.
func (s *Store) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	if s.closed.Load() {
		return domain.CacheEntries{}, errClosed
	}
	now := s.cfg.Clock.Now()
	if s.ver != nil && (s.cfg.CheckInterval < 0 || now.UnixNano() >= s.nextCheck.Load()) {
		s.checkVersion(ctx, now)
	}
	var buf [256]byte
	key := appendQueryKey(buf[:0], q)
	s.mu.Lock()
	if e := s.lru.get(key); e != nil {
		if s.servable(e, now) {
			s.lru.touch(e)
			out := copyEntries(e.val)
			s.mu.Unlock()
			return out, nil
		}
		s.lru.remove(e)
	}
	epoch := s.epoch
	s.mu.Unlock()

	got, err := s.read(ctx, q)
	if err != nil {
		return got, err
	}
	s.keep(string(key), domain.ChangeKey(q.Partition, q.HomeAccountID), epoch, got, now)
	return got, nil
}

// servable reports whether e may be served at now; s.mu is held.
func (s *Store) servable(e *entry, now time.Time) bool {
	if s.trusted && (s.lis == nil || now.Sub(s.lastAlive) <= 3*s.cfg.PingInterval) {
		return true
	}
	return now.Sub(e.readAt) < s.cfg.FallbackTTL
}

// read is the wrapped store's hit read.
func (s *Store) read(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	if hr, ok := s.inner.(ports.HitReader); ok {
		return hr.FindHit(ctx, q)
	}
	return s.inner.Find(ctx, q)
}

// keep stores a copy of what the store returned for key, unless something was dropped
// since the read began (epoch): the read may have seen the state before that change.
func (s *Store) keep(key, change string, epoch uint64, got domain.CacheEntries, now time.Time) {
	size := sizeOf(key, got)
	if size > s.cfg.MaxBytes {
		return
	}
	val := copyEntries(got)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != epoch || s.closed.Load() {
		return
	}
	s.lru.add(&entry{key: key, change: change, val: val, size: size, readAt: now}, s.cfg.MaxBytes)
}

// checkVersion reads the store's data version and drops everything when it moved or
// cannot be read. One reader at a time reads it; the others go on meanwhile (the bound
// is CheckInterval plus one read), except with a negative CheckInterval, where each
// reader waits for a read of its own.
func (s *Store) checkVersion(ctx context.Context, now time.Time) {
	if s.cfg.CheckInterval < 0 {
		s.checking.Lock()
	} else if !s.checking.TryLock() {
		return
	}
	defer s.checking.Unlock()
	if s.cfg.CheckInterval >= 0 && now.UnixNano() < s.nextCheck.Load() {
		return // another reader just read it
	}
	v, err := s.ver.DataVersion(ctx)
	s.mu.Lock()
	if err != nil || !s.trusted || v != s.version {
		s.dropAllLocked()
	}
	s.trusted, s.version = err == nil, v
	s.mu.Unlock()
	s.nextCheck.Store(now.Add(s.cfg.CheckInterval).UnixNano())
}

// drop drops the entries of the accounts whose change keys are given, or every entry
// when all is set.
func (s *Store) drop(keys []string, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if all {
		s.dropAllLocked()
		return
	}
	s.epoch++
	for _, k := range keys {
		s.lru.dropChange(k)
	}
}

func (s *Store) dropAllLocked() {
	s.epoch++
	s.lru.clear()
}

// Find implements ports.TokenReader through the wrapped store: it is the read a
// refresh makes, and after taking the refresh lock, which must see the store.
func (s *Store) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	if s.closed.Load() {
		return domain.CacheEntries{}, errClosed
	}
	return s.inner.Find(ctx, q)
}

// Write implements ports.TokenWriter: the wrapped store writes, then the near entries
// of the accounts w changes are dropped, whatever the outcome (a write that failed
// may have committed).
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	if s.closed.Load() {
		return errClosed
	}
	err := s.inner.Write(ctx, w)
	accounts, all := w.ChangedAccounts()
	keys := make([]string, len(accounts))
	for i, a := range accounts {
		keys[i] = domain.ChangeKey(w.Partition, a)
	}
	s.drop(keys, all)
	return err
}

// RemoveAccount implements ports.AccountStore: the wrapped store removes, then the
// account's near entries are dropped, whatever the outcome.
func (s *Store) RemoveAccount(ctx context.Context, r domain.AccountRemoval) error {
	if s.closed.Load() {
		return errClosed
	}
	err := s.inner.RemoveAccount(ctx, r)
	s.drop([]string{domain.ChangeKey(r.Partition, r.HomeAccountID)}, false)
	return err
}

// Import implements ports.CacheSnapshotter: the wrapped store imports, then every near
// entry is dropped (an import may change any account).
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	if s.closed.Load() {
		return errClosed
	}
	err := s.inner.Import(ctx, partition, snap)
	s.drop(nil, true)
	return err
}

// ClearPartition implements ports.PartitionClearer through the wrapped store's; then
// every near entry is dropped, whatever the outcome. A wrapped store without it
// refuses.
func (s *Store) ClearPartition(ctx context.Context, partition string) error {
	if s.closed.Load() {
		return errClosed
	}
	pc, ok := s.inner.(ports.PartitionClearer)
	if !ok {
		return domain.Errorf(domain.ErrInvalidInput, "nearcache: clear partition: the wrapped store cannot clear a partition")
	}
	err := pc.ClearPartition(ctx, partition)
	s.drop(nil, true)
	return err
}

// Accounts implements ports.AccountStore through the wrapped store.
func (s *Store) Accounts(ctx context.Context, f domain.AccountFilter) ([]domain.Account, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	return s.inner.Accounts(ctx, f)
}

// Export implements ports.CacheSnapshotter through the wrapped store.
func (s *Store) Export(ctx context.Context, partition string) (domain.CacheSnapshot, error) {
	if s.closed.Load() {
		return domain.CacheSnapshot{}, errClosed
	}
	return s.inner.Export(ctx, partition)
}

// WithRefreshLock implements ports.RefreshLocker through the wrapped store.
func (s *Store) WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	if s.closed.Load() {
		return errClosed
	}
	return s.inner.WithRefreshLock(ctx, key, fn)
}

// Close stops listening, drops every entry and closes the wrapped store. It is safe to
// call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.stop != nil {
		s.stop()
	}
	<-s.done
	s.mu.Lock()
	s.dropAllLocked()
	s.mu.Unlock()
	return s.inner.Close()
}

var errClosed = &domain.Error{Class: domain.ErrCacheStore, Err: errors.New("nearcache: the store is closed")}

// appendQueryKey appends the name of a FindHit query to b: the partition, the folded
// account and client and the environments (in the caller's order: a client always asks
// for them in one order), each after its length, so that no field's bytes can pass for
// another's. A hit looks it up from a buffer on the stack, without allocating.
func appendQueryKey(b []byte, q domain.CacheQuery) []byte {
	b = appendField(b, q.Partition)
	b = appendField(b, domain.FoldHomeAccountID(q.HomeAccountID))
	b = appendLowerField(b, q.ClientID)
	for _, e := range q.Environments {
		b = appendLowerField(b, e)
	}
	return b
}

func appendField(b []byte, v string) []byte {
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, ':')
	return append(b, v...)
}

// appendLowerField is appendField(b, strings.ToLower(v)). Every hit builds its key
// from the client id and the authority's host aliases, which are lower-case ASCII in
// practice, and strings.ToLower's scan of them was the largest single cost of a warm
// hit (1.7k of 15.5k instructions): domain.FoldedASCII checks eight bytes at a time.
func appendLowerField(b []byte, v string) []byte {
	if !domain.FoldedASCII(v) {
		v = strings.ToLower(v)
	}
	return appendField(b, v)
}

// Listening reports whether the store's change session (ports.ChangeListener) is
// listening and answered within three ping intervals, so that near entries are served
// on its word rather than for FallbackTTL. It is false for other stores.
func (s *Store) Listening() bool {
	if s.lis == nil {
		return false
	}
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trusted && now.Sub(s.lastAlive) <= 3*s.cfg.PingInterval
}

// Bytes returns the estimated size of the near entries, which Config.MaxBytes bounds.
func (s *Store) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.bytes
}

// Len returns the number of near entries.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.len()
}
