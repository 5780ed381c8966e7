package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

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

// idleConns leaves n live, idle connections in the store's read-write pool, as a busy
// process leaves them.
func idleConns(t *testing.T, s *Store, n int) {
	t.Helper()
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := s.db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(t.Context()); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		_ = c.Close()
	}
}

// After a server restart, a failover or a proxy recycling its backends, every idle
// connection of the pool is dead. The pool pings none of them (newPool), so a silent
// hit's read meets them one after another: it must keep going until a fresh connection
// answers, not fail the user's call with ErrCacheStore on a healthy server.
func TestStore_FindHit_afterServerEndedIdleSessions(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 4})
	w := sampleWrite("p", "h", "secret-access-token")
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	idleConns(t, s, 4)
	if n := killSessions(t, app); n < 4 {
		t.Fatalf("terminated %d sessions; want the 4 pooled ones", n)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"}
	got, err := s.FindHit(t.Context(), q)
	if err != nil {
		t.Fatalf("FindHit after the server ended the idle sessions = %v; want the cached entries (the pool has a live server to reconnect to)", err)
	}
	if len(got.AccessTokens) != 1 {
		t.Fatalf("FindHit = %d access tokens; want 1", len(got.AccessTokens))
	}
}

// The same for a write: a transaction whose connection was dead before COMMIT applied
// nothing, so it runs again on another connection and the new tokens are stored.
func TestStore_Write_afterServerEndedIdleSessions(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 4})
	if err := s.Write(t.Context(), sampleWrite("p", "h", "secret-access-token")); err != nil {
		t.Fatal(err)
	}
	idleConns(t, s, 4)
	if n := killSessions(t, app); n < 4 {
		t.Fatalf("terminated %d sessions; want the 4 pooled ones", n)
	}
	if err := s.Write(t.Context(), sampleWrite("p", "h2", "secret-access-token-2")); err != nil {
		t.Fatalf("Write after the server ended the idle sessions = %v; want nil", err)
	}
	got, err := s.FindHit(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h2", ClientID: "client-1"})
	if err != nil || len(got.AccessTokens) != 1 {
		t.Fatalf("FindHit of the written account = %d access tokens, %v; want 1, nil", len(got.AccessTokens), err)
	}
}

// The refresh lock, which every silent refresh takes, after the server ended every
// idle session of the lock pool: the first refresh after a database restart must get
// its lock, not fail with ErrCacheStore.
func TestRefreshLock_afterServerEndedIdleSessions(t *testing.T) {
	for _, conns := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d lock connections", conns), func(t *testing.T) {
			dsn, app := DSNWithApp(t)
			s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 1, MaxLockConns: conns})
			if err := s.Write(t.Context(), sampleWrite("p", "h", "secret-access-token")); err != nil {
				t.Fatal(err)
			}
			// Leave conns idle lock connections: hold conns locks of different keys at once.
			var wg sync.WaitGroup
			held := make(chan struct{}, conns)
			release := make(chan struct{})
			for i := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					key := testLockKey
					key.HomeAccountID = fmt.Sprintf("h%d", i)
					err := s.WithRefreshLock(t.Context(), key, func(context.Context) error {
						held <- struct{}{}
						<-release
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			for range conns {
				<-held
			}
			close(release)
			wg.Wait()
			if n := killSessions(t, app); n < conns+1 {
				t.Fatalf("terminated %d sessions; want the %d pooled ones", n, conns+1)
			}
			if err := s.WithRefreshLock(t.Context(), testLockKey, noop); err != nil {
				t.Errorf("WithRefreshLock after the server ended the idle sessions = %v; want nil (the server is up)", err)
			}
		})
	}
}

// commitBreakingConn drops its connection instead of sending the first COMMIT that
// passes through any connection of the dialer: the server may or may not have applied
// such a transaction, as far as the client can tell.
type commitBreakingConn struct {
	net.Conn
	armed   *atomic.Bool
	commits *atomic.Int64
}

func (c commitBreakingConn) Write(p []byte) (int, error) {
	if c.armed.Load() && bytes.Contains(bytes.ToLower(p), []byte("commit")) && c.commits.Add(1) == 1 {
		_ = c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.Conn.Write(p)
}

// A transaction whose connection was lost while sending COMMIT has an unknown outcome:
// the store must not run it again (a write is retried, if at all, by the use case that
// knows what it wrote), and the caller gets the error.
func TestStore_Write_lostAtCommitIsNotRerun(t *testing.T) {
	var commits atomic.Int64
	var armed atomic.Bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return commitBreakingConn{c, &armed, &commits}, nil
	}
	s := openTestStore(t, Config{MaxOpenConns: 2}, dial)
	armed.Store(true) // after the migrations, which commit through the dialer too
	err := s.Write(t.Context(), sampleWrite("p", "h", "secret-access-token"))
	if err == nil {
		t.Fatal("Write whose COMMIT was lost = nil; want the lost connection reported")
	}
	if !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("Write whose COMMIT was lost = %v; want ErrCacheStore", err)
	}
	if n := commits.Load(); n != 1 {
		t.Errorf("the store sent COMMIT %d times for one Write; want 1 (a transaction of unknown outcome is not re-run)", n)
	}
}

// The retry bound of retryLost (idle + 1 attempts) relies on each failed attempt using
// up its dead connection: pgx marks the connection closed when a call on it fails so,
// and database/sql then discards it (stdlib's ResetSession answers driver.ErrBadConn
// for a closed connection at the next checkout). A pgx upgrade that kept such a
// connection open would make the bound too small; this test says so first.
func TestStore_failedCallClosesItsConnection(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 1})
	c, err := s.db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	killSessions(t, app)
	var one int
	err = c.QueryRowContext(t.Context(), `SELECT 1`).Scan(&one)
	if err == nil || !lostConnection(t.Context(), err) {
		t.Fatalf("a query on a terminated session = %v; want a lost connection", err)
	}
	var closed bool
	if err := c.Raw(func(dc any) error {
		closed = dc.(*stdlib.Conn).Conn().IsClosed()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !closed {
		t.Error("pgx keeps a connection open after a call on it lost the server; want it closed, so that database/sql discards it")
	}
}
