package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// lockWait bounds every wait for a lock that must be free: long enough for a loaded
// CI machine, short enough to fail a hung store.
const lockWait = 10 * time.Second

var lockKey = domain.RefreshLockKey{Partition: "p", HomeAccountID: "h", ClientID: "c", Environment: "login.example.com", Realm: "r"}

// holdLock takes key in a goroutine and keeps it until the returned release is called.
func holdLock(t *testing.T, s ports.CacheStore, key domain.RefreshLockKey) (release func()) {
	t.Helper()
	held, free := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.WithRefreshLock(context.Background(), key, func(context.Context) error {
			close(held)
			<-free
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("WithRefreshLock(%q) = %v before running fn; want fn to run", key, err)
	case <-time.After(lockWait):
		t.Fatalf("WithRefreshLock(%q) on a free key did not run fn within %v", key, lockWait)
	}
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Errorf("WithRefreshLock(%q) = %v; want nil", key, err)
		}
	}
}

// lockResult is what a WithRefreshLock call returned and whether it ran fn.
type lockResult struct {
	err error
	ran bool
}

// tryLock calls WithRefreshLock(ctx, key) in a goroutine and waits at most lockWait
// longer than ctx allows; ok is false when the call has not returned by then (a store
// that ignores ctx while waiting), so that the suite fails instead of hanging.
func tryLock(ctx context.Context, s ports.CacheStore, key domain.RefreshLockKey) (r lockResult, ok bool) {
	done := make(chan lockResult, 1)
	go func() {
		var r lockResult
		r.err = s.WithRefreshLock(ctx, key, func(context.Context) error { r.ran = true; return nil })
		done <- r
	}()
	limit := lockWait
	if d, has := ctx.Deadline(); has {
		limit += time.Until(d)
	}
	select {
	case r := <-done:
		return r, true
	case <-time.After(limit):
		return lockResult{}, false
	}
}

// wantLockFree takes key with a bounded wait and fails t if it cannot.
func wantLockFree(t *testing.T, s ports.CacheStore, key domain.RefreshLockKey, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), lockWait)
	defer cancel()
	r, ok := tryLock(ctx, s, key)
	switch {
	case !ok:
		t.Errorf("WithRefreshLock(%q) %s did not return %v after its ctx expired; want it to take the free lock", key, why, lockWait)
	case r.err != nil || !r.ran:
		t.Errorf("WithRefreshLock(%q) %s = %v, ran fn %v; want nil, true", key, why, r.err, r.ran)
	}
}

func refreshLockCases() []storeCase {
	return []storeCase{
		{"OneHolderAtATime", testLockOneHolder},
		{"ReturnsTheResultOfFn", func(t *testing.T, s ports.CacheStore) {
			sentinel := errors.New("refresh refused")
			err := s.WithRefreshLock(t.Context(), lockKey, func(context.Context) error { return sentinel })
			if !errors.Is(err, sentinel) {
				t.Errorf("WithRefreshLock(%q, fn returning %v) = %v; want fn's error as is", lockKey, sentinel, err)
			}
			if err := s.WithRefreshLock(t.Context(), lockKey, func(context.Context) error { return nil }); err != nil {
				t.Errorf("WithRefreshLock(%q, fn returning nil) = %v; want nil", lockKey, err)
			}
		}},
		{"ReleasedWhenFnFails", func(t *testing.T, s ports.CacheStore) {
			_ = s.WithRefreshLock(t.Context(), lockKey, func(context.Context) error { return errors.New("failed") })
			wantLockFree(t, s, lockKey, "after fn returned an error")
		}},
		{"ReleasedWhenFnPanics", func(t *testing.T, s ports.CacheStore) {
			func() {
				defer func() {
					if r := recover(); r != "boom" {
						t.Errorf("WithRefreshLock with a panicking fn recovered %v; want the panic to go on to the caller", r)
					}
				}()
				_ = s.WithRefreshLock(t.Context(), lockKey, func(context.Context) error { panic("boom") })
			}()
			wantLockFree(t, s, lockKey, "after fn panicked")
		}},
		{"ReleasedWhenTheHoldersContextIsCancelled", func(t *testing.T, s ports.CacheStore) {
			// The holder's caller gives up mid-refresh: fn sees its ctx end and returns.
			ctx, cancel := context.WithCancel(t.Context())
			err := s.WithRefreshLock(ctx, lockKey, func(ctx context.Context) error {
				cancel()
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(lockWait):
					return errors.New("fn's ctx was not cancelled with the caller's")
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("WithRefreshLock with the holder's ctx cancelled inside fn = %v; want context.Canceled", err)
			}
			wantLockFree(t, s, lockKey, "after the holder's ctx was cancelled")
		}},
		{"WaiterHonoursContext", testLockWaiterHonoursContext},
		{"DifferentKeysDoNotBlock", func(t *testing.T, s ports.CacheStore) {
			release := holdLock(t, s, lockKey)
			defer release()
			for _, change := range []func(*domain.RefreshLockKey){
				func(k *domain.RefreshLockKey) { k.HomeAccountID = "other" },
				func(k *domain.RefreshLockKey) { k.ClientID = "other" },
				func(k *domain.RefreshLockKey) { k.Environment = "login.example.org" },
				func(k *domain.RefreshLockKey) { k.Realm = "other" },
				func(k *domain.RefreshLockKey) { k.Realm = "R" }, // issuer realms are case-sensitive
				func(k *domain.RefreshLockKey) { k.FamilyID = "1" },
				func(k *domain.RefreshLockKey) { k.HomeAccountID = "H" }, // an OIDC subject: exact
			} {
				k := lockKey
				change(&k)
				wantLockFree(t, s, k, fmt.Sprintf("while %q is held", lockKey))
			}
		}},
	}
}

func testLockOneHolder(t *testing.T, s ports.CacheStore) {
	const goroutines, rounds = 8, 10
	var active, most, runs atomic.Int32
	runAll(t, goroutines, func(int) error {
		for range rounds {
			ctx, cancel := context.WithTimeout(t.Context(), 4*lockWait)
			err := s.WithRefreshLock(ctx, lockKey, func(context.Context) error {
				n := active.Add(1)
				defer active.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				runs.Add(1)
				time.Sleep(time.Millisecond)
				return nil
			})
			cancel()
			if err != nil {
				return fmt.Errorf("WithRefreshLock(%q) = %v; want nil", lockKey, err)
			}
		}
		return nil
	})
	if got := most.Load(); got != 1 {
		t.Errorf("%d goroutines taking WithRefreshLock(%q): at most %d holders ran at once; want 1", goroutines, lockKey, got)
	}
	if got := runs.Load(); got != goroutines*rounds {
		t.Errorf("WithRefreshLock ran fn %d times; want %d", got, goroutines*rounds)
	}
}

func testLockWaiterHonoursContext(t *testing.T, s ports.CacheStore) {
	release := holdLock(t, s, lockKey)
	for _, c := range []struct {
		name  string
		ctx   func() (context.Context, context.CancelFunc)
		cause error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		ctx, cancel := c.ctx()
		r, ok := tryLock(ctx, s, lockKey)
		cancel()
		call := fmt.Sprintf("WithRefreshLock(ctx with %s, %q) while the key is held", c.name, lockKey)
		if !ok {
			t.Errorf("%s still waits %v after ctx is done; want it to return promptly", call, lockWait)
			break
		}
		if r.ran {
			t.Errorf("%s ran fn; want it to give up waiting", call)
		}
		wantStoreError(t, call, r.err, c.cause)
	}
	release()
	wantLockFree(t, s, lockKey, "after the waiters gave up and the holder released it")
}
