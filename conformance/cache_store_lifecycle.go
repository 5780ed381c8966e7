package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// storeCall is one call of every CacheStore method with ctx, for the cases that check
// that every method refuses to work.
type storeCall struct {
	name string
	call func(ctx context.Context, s ports.CacheStore, ran *bool) error
}

func everyMethod() []storeCall {
	a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
	return []storeCall{
		{"Find", func(ctx context.Context, s ports.CacheStore, _ *bool) error {
			_, err := s.Find(ctx, a.query())
			return err
		}},
		{"Write", func(ctx context.Context, s ports.CacheStore, _ *bool) error { return s.Write(ctx, a.write("late")) }},
		{"Accounts", func(ctx context.Context, s ports.CacheStore, _ *bool) error {
			_, err := s.Accounts(ctx, domain.AccountFilter{Partition: "p"})
			return err
		}},
		{"RemoveAccount", func(ctx context.Context, s ports.CacheStore, _ *bool) error {
			return s.RemoveAccount(ctx, domain.AccountRemoval{Partition: "p", HomeAccountID: "h", ClientID: "c"})
		}},
		{"Export", func(ctx context.Context, s ports.CacheStore, _ *bool) error {
			_, err := s.Export(ctx, "p")
			return err
		}},
		{"Import", func(ctx context.Context, s ports.CacheStore, _ *bool) error {
			return s.Import(ctx, "p", snapshotOf(a.write("late")))
		}},
		{"WithRefreshLock", func(ctx context.Context, s ports.CacheStore, ran *bool) error {
			return s.WithRefreshLock(ctx, lockKey, func(context.Context) error { *ran = true; return nil })
		}},
	}
}

// callSafely makes c's call and turns a panic into a test failure.
func callSafely(t *testing.T, c storeCall, ctx context.Context, s ports.CacheStore, what string) (ran bool, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s %s panicked: %v; want an error", c.name, what, r)
		}
	}()
	err = c.call(ctx, s, &ran)
	return ran, err
}

func contextCases() []storeCase {
	return []storeCase{
		{"CancelledContextFailsEveryMethod", func(t *testing.T, s ports.CacheStore) {
			seed := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}.write("seed")
			mustWrite(t, s, seed)
			for _, c := range everyMethod() {
				ran, err := callSafely(t, c, cancelled(t), s, "with a cancelled ctx")
				wantStoreError(t, c.name+"(cancelled ctx, …)", err, context.Canceled)
				if ran {
					t.Errorf("WithRefreshLock(cancelled ctx, …) ran fn; want it refused")
				}
			}
			sameSnapshot(t, "Export after every method was called with a cancelled ctx (nothing may change)", mustExport(t, s, "p"), snapshotOf(seed))
		}},
		{"ExpiredDeadlineFailsEveryMethod", func(t *testing.T, s ports.CacheStore) {
			for _, c := range everyMethod() {
				ctx, cancel := context.WithDeadline(t.Context(), time.Unix(1, 0))
				_, err := callSafely(t, c, ctx, s, "with an expired deadline")
				cancel()
				wantStoreError(t, c.name+"(ctx past its deadline, …)", err, context.DeadlineExceeded)
			}
		}},
	}
}

func closeCases() []storeCase {
	return []storeCase{
		{"EveryMethodFailsAfterClose", func(t *testing.T, s ports.CacheStore) {
			mustWrite(t, s, who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c"}.write("before"))
			if err := s.Close(); err != nil {
				t.Fatalf("Close() = %v; want nil", err)
			}
			for _, c := range everyMethod() {
				ran, err := callSafely(t, c, t.Context(), s, "after Close")
				wantStoreError(t, c.name+"(…) after Close", err, nil)
				if ran {
					t.Errorf("WithRefreshLock(…) after Close ran fn; want it refused")
				}
			}
		}},
		{"CloseTwiceIsSafe", func(t *testing.T, s ports.CacheStore) {
			for i := range 2 {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("Close() call %d panicked: %v; want Close to be safe to call more than once", i+1, r)
						}
					}()
					_ = s.Close()
				}()
			}
			_, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
			wantStoreError(t, "Find(…) after two Close calls", err, nil)
		}},
	}
}

// testFeatures runs the cases that depend on Features.
func testFeatures(t *testing.T, f Features) {
	needPair := func(t *testing.T, flag bool, what string) {
		t.Helper()
		if !flag {
			t.Skipf("the store does not declare %s (Features)", what)
		}
		if f.NewStorePair == nil {
			t.Fatalf("Features declares %s but NewStorePair is nil; the case needs two stores on one storage", what)
		}
	}
	t.Run("PersistentAcrossStores", func(t *testing.T) {
		needPair(t, f.Persistent, "Persistent")
		first, second := f.NewStorePair(t)
		a := who{partition: "tenant-9", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
		w := fullWrite()
		w.Partition = a.partition
		mustWrite(t, first, w)
		if err := first.Close(); err != nil {
			t.Fatalf("Close() of the first store = %v; want nil", err)
		}
		q := full.query()
		q.Partition = a.partition
		sameFound(t, fmt.Sprintf("Find(%+v) through a second store after the first wrote and closed", q), mustFind(t, second, q), entriesOf(w))
	})
	t.Run("RefreshLockAcrossStores", func(t *testing.T) {
		needPair(t, f.CrossProcessLock, "CrossProcessLock")
		first, second := f.NewStorePair(t)
		release := holdLock(t, first, lockKey)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		ran := false
		err := second.WithRefreshLock(ctx, lockKey, func(context.Context) error { ran = true; return nil })
		cancel()
		if ran {
			t.Errorf("WithRefreshLock(%q) through a second store ran fn while the first store holds the key; want it to wait", lockKey)
		}
		wantStoreError(t, fmt.Sprintf("WithRefreshLock(%q) through a second store while the first holds it", lockKey), err, context.DeadlineExceeded)
		release()
		wantLockFree(t, second, lockKey, "through a second store after the first released it")
		other := lockKey
		other.Partition = "another"
		release = holdLock(t, first, lockKey)
		defer release()
		wantLockFree(t, second, other, "in another partition through a second store")
	})
}
