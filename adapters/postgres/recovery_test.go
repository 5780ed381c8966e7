package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// killSessions terminates the server sessions of application app, as a server restart
// or a network failure would end them.
func killSessions(t *testing.T, app string) int {
	t.Helper()
	var n int
	err := AdminDB(t, DSNForTest(t)).QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`, app).Scan(&n)
	if err != nil {
		t.Fatalf("terminate the store's sessions: %v", err)
	}
	return n
}

// TestStore_lostConnection_recovers kills every server session of a store and checks
// that calls fail only with ErrCacheStore errors, without secrets, and that the store
// serves again once database/sql has replaced the dead connections.
func TestStore_lostConnection_recovers(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 4})
	w := sampleWrite("p", "h", "secret-access-token")
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"}
	if _, err := s.Find(t.Context(), q); err != nil {
		t.Fatalf("Find = %v; want nil", err)
	}
	if n := killSessions(t, app); n == 0 {
		t.Fatal("terminated 0 sessions of the store; want its pooled connections")
	}
	// Each call either fails on a dead connection or, when database/sql retried
	// on a fresh one, succeeds; a pool of 4 holds at most 4 dead connections.
	var failures int
	recovered := false
	for range 6 {
		got, err := s.Find(t.Context(), q)
		if err == nil {
			if len(got.AccessTokens) != 1 {
				t.Fatalf("Find after reconnecting = %d access tokens; want 1", len(got.AccessTokens))
			}
			recovered = true
			break
		}
		failures++
		t.Logf("Find #%d after the kill = %v", failures, err)
		var de *domain.Error
		if !errors.As(err, &de) || de.Class != domain.ErrCacheStore || !strings.HasPrefix(de.Err.Error(), "postgres: find: ") {
			t.Errorf("Find on a lost connection = %v (%T); want a *domain.Error of class ErrCacheStore, \"postgres: find: ...\"", err, err)
		}
		if strings.Contains(err.Error(), "secret-access-token") {
			t.Errorf("Find on a lost connection = %q; want no token in it", err)
		}
	}
	t.Logf("Find failed %d times after the sessions were killed, then succeeded: %v", failures, recovered)
	if !recovered {
		t.Fatalf("Find failed %d times in a row after the sessions were killed; want the store to recover", failures)
	}
	// Once recovered, every operation works.
	if err := s.Write(t.Context(), w); err != nil {
		t.Errorf("Write after recovering = %v; want nil", err)
	}
	if _, err := s.Accounts(t.Context(), domain.AccountFilter{Partition: "p"}); err != nil {
		t.Errorf("Accounts after recovering = %v; want nil", err)
	}
}

// TestRefreshLock_lostConnection_recovers kills the sessions while no lock is held
// and checks that the lock pool recovers too.
func TestRefreshLock_lostConnection_recovers(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxLockConns: 2})
	if err := s.WithRefreshLock(t.Context(), testLockKey, noop); err != nil {
		t.Fatalf("WithRefreshLock = %v; want nil", err)
	}
	killSessions(t, app)
	var err error
	for range 4 {
		if err = s.WithRefreshLock(t.Context(), testLockKey, noop); err == nil {
			return
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Class != domain.ErrCacheStore {
			t.Errorf("WithRefreshLock on a lost connection = %v; want an ErrCacheStore error", err)
		}
	}
	t.Fatalf("WithRefreshLock kept failing after the sessions were killed: %v; want the store to recover", err)
}
