package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

var key = domain.RefreshLockKey{Partition: "p", HomeAccountID: "h", ClientID: "c", Environment: "login.example.com", Realm: "r"}

// lockRows returns the number of rows of refresh_locks.
func lockRows(t *testing.T, path string) int {
	t.Helper()
	var n int
	if err := rawDB(t, path).QueryRow("SELECT count(*) FROM refresh_locks").Scan(&n); err != nil {
		t.Fatalf("counting lock rows: %v", err)
	}
	return n
}

// lockFor takes key through s with a bounded wait and reports how long it waited.
func lockFor(t *testing.T, s *sqlite.Store, wait time.Duration) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	start := time.Now()
	var took time.Duration
	err := s.WithRefreshLock(ctx, key, func(context.Context) error {
		took = time.Since(start)
		return nil
	})
	if err == nil && took == 0 {
		t.Fatalf("WithRefreshLock returned nil without running fn")
	}
	return took, err
}

func TestWithRefreshLock_rowHeldWhileFnRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	var during int
	err := s.WithRefreshLock(t.Context(), key, func(context.Context) error {
		during = lockRows(t, path)
		return nil
	})
	if err != nil || during != 1 {
		t.Errorf("WithRefreshLock = %v with %d lock rows while fn ran; want nil, 1", err, during)
	}
	if n := lockRows(t, path); n != 0 {
		t.Errorf("%d lock rows after WithRefreshLock returned; want 0", n)
	}
}

func TestWithRefreshLock_takesOverAnExpiredLease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	logger, logs := newLogger()
	s := openStore(t, sqlite.Config{Path: path, Logger: logger})
	mustExec(t, rawDB(t, path), "INSERT INTO refresh_locks VALUES (?, 'crashed-store', 'crashed-holder', ?)",
		key.String(), time.Now().Add(-time.Second).UnixMilli())
	took, err := lockFor(t, s, 5*time.Second)
	if err != nil || took > time.Second {
		t.Errorf("WithRefreshLock over a crashed holder's expired row = %v after %v; want nil at once", err, took)
	}
	if !strings.Contains(logs.String(), "taking over a refresh lock") {
		t.Errorf("log %q; want it to report the take-over", logs)
	}
	if n := lockRows(t, path); n != 0 {
		t.Errorf("%d lock rows after the lock was released; want 0", n)
	}
}

// TestWithRefreshLock_waitsForALiveLease: a row another process leased is not taken
// before its lease runs out. The check is against the row's own expiry, read from the
// clock the store reads, not against how long the call took: a loaded machine may spend
// most of the lease between the insert and the call, and that says nothing about the
// store.
func TestWithRefreshLock_waitsForALiveLease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	const lease = 600 * time.Millisecond
	expires := time.Now().Add(lease).UnixMilli()
	mustExec(t, rawDB(t, path), "INSERT INTO refresh_locks VALUES (?, 'stalled-store', 'stalled-holder', ?)",
		key.String(), expires)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second+lease) // a hang guard only
	defer cancel()
	var ranAt int64
	err := s.WithRefreshLock(ctx, key, func(context.Context) error {
		ranAt = time.Now().UnixMilli()
		return nil
	})
	if err != nil || ranAt < expires {
		t.Errorf("WithRefreshLock over a row leased until %d (Unix ms) = %v, fn ran at %d; want nil, fn run once the lease ran out",
			expires, err, ranAt)
	}
}

func TestWithRefreshLock_holderRenewsItsLease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	const lease = 600 * time.Millisecond
	holder := openStore(t, sqlite.Config{Path: path, LockLease: lease})
	waiter := openStore(t, sqlite.Config{Path: path, LockLease: lease})
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.WithRefreshLock(context.Background(), key, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	_, err := lockFor(t, waiter, 4*lease) // four leases: only renewals keep the row alive
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("WithRefreshLock through another store while the holder renews = %v; want an ErrCacheStore error wrapping context.DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("holder's WithRefreshLock = %v; want nil", err)
	}
	if _, err := lockFor(t, waiter, 5*time.Second); err != nil {
		t.Errorf("WithRefreshLock after the holder released = %v; want nil", err)
	}
}

func TestClose_releasesLocksAndWakesWaiters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	holder := openStore(t, sqlite.Config{Path: path})
	waiter := openStore(t, sqlite.Config{Path: path})
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.WithRefreshLock(context.Background(), key, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	waited := make(chan error, 1)
	go func() {
		waited <- waiter.WithRefreshLock(context.Background(), key, func(context.Context) error { return nil })
	}()
	time.Sleep(50 * time.Millisecond) // let the waiter poll
	_ = waiter.Close()
	select {
	case err := <-waited:
		if !errors.Is(err, domain.ErrCacheStore) {
			t.Errorf("waiting WithRefreshLock after Close = %v; want an ErrCacheStore error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter of a closed store still waits after 5s; want it woken")
	}
	_ = holder.Close()
	if n := lockRows(t, path); n != 0 {
		t.Errorf("%d lock rows after the holding store closed; want 0 (another process need not wait for the lease)", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("WithRefreshLock whose store closed while fn ran = %v; want fn's nil", err)
	}
	third := openStore(t, sqlite.Config{Path: path})
	if took, err := lockFor(t, third, 5*time.Second); err != nil || took > time.Second {
		t.Errorf("WithRefreshLock after the holder's store closed = %v after %v; want nil at once", err, took)
	}
}

func TestWithRefreshLock_idsIgnoreCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	holder := openStore(t, sqlite.Config{Path: path})
	waiter := openStore(t, sqlite.Config{Path: path})
	upper := key
	upper.ClientID, upper.Environment = "C", strings.ToUpper(key.Environment) // a home account id "H" would be another OIDC subject
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.WithRefreshLock(context.Background(), upper, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	for name, s := range map[string]*sqlite.Store{"the same store": holder, "another store": waiter} {
		if _, err := lockFor(t, s, 200*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WithRefreshLock(%q) through %s while %q is held = %v; want it to wait (ids match case-insensitively)", key, name, upper, err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("WithRefreshLock(%q) = %v; want nil", upper, err)
	}
}
