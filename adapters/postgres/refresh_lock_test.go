package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

var testLockKey = domain.RefreshLockKey{Partition: "p", HomeAccountID: "h", ClientID: "c", Environment: "login.example.com", Realm: "r"}

// TestRefreshLock_twoStores_oneHolder runs holders through two stores (two pools, as
// two processes would have) on one schema and checks that at most one ran at a time.
func TestRefreshLock_twoStores_oneHolder(t *testing.T) {
	schema := SchemaForTest(t)
	stores := []*Store{OpenTestStore(t, Config{Schema: schema}), OpenTestStore(t, Config{Schema: schema})}
	const perStore, rounds = 4, 10
	var active, maxActive, runs atomic.Int32
	var wg sync.WaitGroup
	for _, s := range stores {
		for range perStore {
			wg.Go(func() {
				for range rounds {
					err := s.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error {
						n := active.Add(1)
						for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
						}
						time.Sleep(time.Millisecond)
						active.Add(-1)
						runs.Add(1)
						return nil
					})
					if err != nil {
						t.Errorf("WithRefreshLock = %v; want nil", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if got, want := runs.Load(), int32(len(stores)*perStore*rounds); got != want {
		t.Errorf("fn ran %d times; want %d", got, want)
	}
	if got := maxActive.Load(); got != 1 {
		t.Errorf("at most %d holders ran at once across two stores; want 1", got)
	}
}

// lockWaiters counts the server sessions of application app waiting for a lock.
func lockWaiters(t *testing.T, app string) int {
	t.Helper()
	var n int
	err := AdminDB(t, DSNForTest(t)).QueryRowContext(t.Context(),
		`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&n)
	if err != nil {
		t.Fatalf("count lock waiters: %v", err)
	}
	return n
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRefreshLock_waitersInProcess_holdNoConnection checks that goroutines of one store
// waiting for a key wait in the process, not on the server (each would hold a
// connection), while a waiter in another store waits on the server.
func TestRefreshLock_waitersInProcess_holdNoConnection(t *testing.T) {
	dsn, app := DSNWithApp(t)
	schema := SchemaForTest(t)
	s := OpenTestStore(t, Config{DSN: dsn, Schema: schema})
	held, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error { close(held); <-release; return nil })
	})
	<-held
	var waiting atomic.Int32
	for range 5 {
		wg.Go(func() {
			waiting.Add(1)
			if err := s.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error { return nil }); err != nil {
				t.Errorf("WithRefreshLock = %v; want nil", err)
			}
		})
	}
	waitFor(t, "5 goroutines to wait", func() bool { return waiting.Load() == 5 })
	time.Sleep(200 * time.Millisecond) // let any (wrong) server-side wait begin
	if n := lockWaiters(t, app); n != 0 {
		t.Errorf("%d server sessions of the store wait for a lock while its goroutines wait for a key it holds; want 0", n)
	}
	other := OpenTestStore(t, Config{DSN: dsn, Schema: schema})
	wg.Go(func() {
		if err := other.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error { return nil }); err != nil {
			t.Errorf("WithRefreshLock through a second store = %v; want nil", err)
		}
	})
	waitFor(t, "the second store to wait on the server", func() bool { return lockWaiters(t, app) == 1 })
	close(release)
	wg.Wait()
}

// TestRefreshLock_serverWait_honoursContext checks that a wait on the server's lock
// ends promptly when ctx is done, and leaves the store usable.
func TestRefreshLock_serverWait_honoursContext(t *testing.T) {
	schema := SchemaForTest(t)
	first, second := OpenTestStore(t, Config{Schema: schema}), OpenTestStore(t, Config{Schema: schema, MaxLockConns: 1})
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- first.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error { close(held); <-release; return nil })
	}()
	<-held
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := second.WithRefreshLock(ctx, testLockKey, func(context.Context) error {
		t.Error("fn ran while another store holds the lock")
		return nil
	})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("WithRefreshLock returned %v after its context was cancelled; want promptly", elapsed-200*time.Millisecond)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Class != domain.ErrCacheStore || !errors.Is(err, context.Canceled) {
		t.Errorf("WithRefreshLock with a cancelled wait = %v; want an ErrCacheStore error wrapping context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("WithRefreshLock of the holder = %v; want nil", err)
	}
	// The only lock connection of the second store must still work.
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := second.WithRefreshLock(ctx, testLockKey, func(context.Context) error { return nil }); err != nil {
		t.Errorf("WithRefreshLock after a cancelled wait = %v; want nil", err)
	}
}

// TestRefreshLock_close_wakesWaiters checks that Close ends in-process waits.
func TestRefreshLock_close_wakesWaiters(t *testing.T) {
	s := OpenTestStore(t, Config{})
	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error { close(held); <-release; return nil })
	}()
	<-held
	waiter := make(chan error, 1)
	go func() {
		waiter <- s.WithRefreshLock(context.Background(), testLockKey, func(context.Context) error { return nil })
	}()
	time.Sleep(100 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-waiter:
		var de *domain.Error
		if !errors.As(err, &de) || de.Class != domain.ErrCacheStore {
			t.Errorf("WithRefreshLock waiting when the store closed = %v; want an ErrCacheStore error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WithRefreshLock still waits 10s after Close; want it woken")
	}
	close(release)
	if err := <-holder; err != nil {
		t.Errorf("WithRefreshLock of the holder across Close = %v; want fn's nil", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close = %v; want nil", err)
	}
}

// TestRefreshLock_schemas_doNotContend checks that the same key in two schemas names
// two locks.
func TestRefreshLock_schemas_doNotContend(t *testing.T) {
	a, b := OpenTestStore(t, Config{}), OpenTestStore(t, Config{})
	err := a.WithRefreshLock(t.Context(), testLockKey, func(context.Context) error {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return b.WithRefreshLock(ctx, testLockKey, func(context.Context) error { return nil })
	})
	if err != nil {
		t.Errorf("WithRefreshLock in schema B while schema A holds the same key = %v; want nil", err)
	}
}

func TestAdvisoryKey_distinct(t *testing.T) {
	seen := map[int64]string{}
	for _, schema := range []string{"a", "b", "hexauth"} {
		for i := range 1000 {
			k := testLockKey
			k.HomeAccountID = fmt.Sprint(i)
			name := schema + "/" + k.String()
			id := advisoryKey(schema, k.String())
			if prev, dup := seen[id]; dup {
				t.Fatalf("advisoryKey(%s) = advisoryKey(%s) = %d; want distinct keys", name, prev, id)
			}
			seen[id] = name
		}
	}
}

func noop(context.Context) error { return nil }
