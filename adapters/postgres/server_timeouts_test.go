package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// A server that ends idle sessions itself —
// idle_session_timeout (PostgreSQL 14+, SQLSTATE 57P05), set by managed services and
// poolers to reap idle clients — leaves the pool full of dead connections exactly as a
// restart does. The session's FATAL 57P05 is what the next statement on it reads: the
// silent hit's read must move to a fresh connection, not fail with ErrCacheStore on a
// healthy server.
func TestStore_FindHit_afterIdleSessionTimeout(t *testing.T) {
	dsn, _ := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn + "&options=-c%20idle_session_timeout%3D500", MaxOpenConns: 4})
	if err := s.Write(t.Context(), sampleWrite("p", "h", "secret-access-token")); err != nil {
		t.Fatal(err)
	}
	idleConns(t, s, 4)
	time.Sleep(1500 * time.Millisecond) // the server ends the 4 idle sessions
	got, err := s.FindHit(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"})
	if err != nil {
		t.Fatalf("FindHit after the server's idle_session_timeout ended the pooled sessions = %v; want the cached entries", err)
	}
	if len(got.AccessTokens) != 1 {
		t.Fatalf("FindHit = %d access tokens; want 1", len(got.AccessTokens))
	}
}

// The lock is a transaction-scoped advisory lock held
// in an open transaction for as long as the refresh takes (an HTTP round trip to the
// provider, with retries). A server with idle_in_transaction_session_timeout (set by
// managed services and poolers, often to seconds) ends that session while the holder
// is still refreshing: the lock is released under it and another process takes it and
// spends the same refresh token — the mutual exclusion the lock promises would be
// gone, silently. The lock's transaction turns the timeout off for itself.
func TestRefreshLock_heldPastIdleInTransactionTimeout(t *testing.T) {
	dsn, _ := DSNWithApp(t)
	schema := SchemaForTest(t)
	holder := OpenTestStore(t, Config{DSN: dsn + "&options=-c%20idle_in_transaction_session_timeout%3D300", Schema: schema})
	other := OpenTestStore(t, Config{DSN: dsn, Schema: schema})
	entered := make(chan struct{})
	secondGot := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = holder.WithRefreshLock(t.Context(), testLockKey, func(ctx context.Context) error {
			close(entered)
			// The refresh: the provider answers only once the other store has tried
			// (not after a fixed time, which a loaded machine could spend before the
			// other even tries, releasing the lock under the test). A minute is a hang
			// guard.
			select {
			case got := <-secondGot:
				secondGot <- got
			case <-time.After(time.Minute):
			}
			return nil
		})
	}()
	<-entered
	time.Sleep(700 * time.Millisecond) // past the server's 300 ms, inside the holder's refresh
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := other.WithRefreshLock(ctx, testLockKey, func(context.Context) error { return nil })
	secondGot <- err == nil
	<-done
	if err == nil {
		t.Error("a second store took the refresh lock while the first still held it (the server ended the holder's idle transaction)")
	}
}
