package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

func TestStore_parsePayload(t *testing.T) {
	s := &Store{schema: "hexauth"}
	key := domain.ChangeKey(`it's "quoted" — ünïcode`, "Alice")
	for _, tt := range []struct {
		name, payload string
		wantKey       string
		wantOurs      bool
	}{
		{"an account of this schema", "hexauth:" + key, key, true},
		{"anything of this schema", "hexauth:*", "", true},
		{"unreadable, of this schema: a flush", "hexauth:not-a-key", "", true},
		{"upper-case hex is not ours to guess: a flush", "hexauth:" + strings.ToUpper(key), "", true},
		{"another schema", "hexauth_eu:" + key, "", false},
		{"a schema with this one as prefix", "hexauthx:" + key, "", false},
		{"no schema", key, "", false},
		{"huge", "hexauth:" + strings.Repeat("a", 7990), "", false},
		{"empty", "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gotKey, gotOurs := s.parsePayload(tt.payload)
			if gotKey != tt.wantKey || gotOurs != tt.wantOurs {
				t.Errorf("parsePayload(%.40q) = %q, %v; want %q, %v", tt.payload, gotKey, gotOurs, tt.wantKey, tt.wantOurs)
			}
		})
	}
}

// events collects what a listening session reports.
type events struct {
	mu      sync.Mutex
	keys    []string
	up      chan struct{}
	once    sync.Once
	changed chan struct{} // a token each time keys grows
	ended   chan error    // the session's end, before the test's
}

func (e *events) event(ev domain.ChangeEvent) {
	switch ev.Kind {
	case domain.ChangeListening:
		e.once.Do(func() { close(e.up) })
	case domain.ChangeCommitted:
		e.mu.Lock()
		e.keys = append(e.keys, ev.Key)
		e.mu.Unlock()
		select {
		case e.changed <- struct{}{}:
		default:
		}
	}
}

func (e *events) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.keys...)
}

// waitFor returns the keys once n were notified. The session ending first fails the
// test with its error; the deadline is a hang guard, not part of what is checked.
func (e *events) waitFor(t *testing.T, n int) []string {
	t.Helper()
	guard := time.After(time.Minute)
	for {
		if got := e.seen(); len(got) >= n {
			return got
		}
		select {
		case <-e.changed:
		case err := <-e.ended:
			t.Fatalf("the listening session ended before %d notifications (got %q): %v", n, e.seen(), err)
		case <-guard:
			t.Fatalf("%d notifications after a minute, %q; want %d", len(e.seen()), e.seen(), n)
		}
	}
}

// listenPing is the listening session's ping interval in these tests. Long: a ping
// that does not come back within the interval ends the session, and a loaded machine
// can hold a round trip for longer than a short one (these tests are not about pings;
// TestStore_ListenChanges_halfOpen is).
const listenPing = 10 * time.Second

// listen runs a session on s until the test ends and waits until it listens.
func listen(t *testing.T, s *Store) *events {
	t.Helper()
	ev := &events{up: make(chan struct{}), changed: make(chan struct{}, 1), ended: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ev.ended <- s.ListenChanges(ctx, listenPing, ev.event)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ev.up:
	case err := <-ev.ended:
		t.Fatalf("ListenChanges ended before it listened: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("ListenChanges did not listen within a minute")
	}
	return ev
}

// waitingOn blocks until a session of admin's database waits for the advisory lock
// key: then a writer that takes it is inside its transaction. The deadline is a hang
// guard only.
func waitingOn(t *testing.T, admin *sql.DB, key int64) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		var n int
		err := admin.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1`, key).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session waits for the account's lock after a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStore_ListenChanges_onlyCommitted: a write rolled back (here: its context ends
// while it waits for the account's lock, inside its transaction) notifies nothing; the
// same write committed notifies its account's key, and a removal too.
//
// Postgres delivers notifications in commit order, so a notification of the rolled-back
// write would come before those of the later writes: the exact list at the end is the
// check, and no sleep has to guess when it would have arrived.
func TestStore_ListenChanges_onlyCommitted(t *testing.T) {
	s := OpenTestStore(t, Config{})
	ev := listen(t, s)
	const partition = `p "1" ü`
	w := domain.CacheWrite{Partition: partition, Account: &domain.Account{HomeAccountID: "Alice", Environment: "login.example.com", Realm: "r", AuthorityType: "Generic"}}
	key := domain.ChangeKey(partition, "Alice")

	// Hold the account's write lock from another session, so the write waits inside its
	// transaction; end its context once the server says it waits.
	admin := AdminDB(t, DSNForTest(t))
	conn, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lock := advisoryKey(s.schema, "write\x00"+partition+"\x00"+sqlcache.FoldHome("Alice"))
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_lock($1)`, lock); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wrote := make(chan error, 1)
	go func() { wrote <- s.Write(ctx, w) }()
	waitingOn(t, admin, lock)
	cancel()
	if err := <-wrote; !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Write while the account's lock is held elsewhere = %v; want a failure", err)
	}
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lock); err != nil {
		t.Fatal(err)
	}

	if err := s.Write(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveAccount(context.Background(), domain.AccountRemoval{Partition: partition, HomeAccountID: "alice", Environments: []string{"login.example.com"}, ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Import(context.Background(), partition, domain.CacheSnapshot{}); err != nil {
		t.Fatal(err)
	}
	want := []string{key, domain.ChangeKey(partition, "alice"), ""}
	if got := ev.waitFor(t, len(want)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("notifications of a rolled-back write, then a write, a removal and an import = %q; want %q", got, want)
	}
}

// mutedConn drops what the client sends once muted, as a half-open connection does:
// no error, and no answer ever comes back.
type mutedConn struct {
	net.Conn
	muted *atomic.Bool
}

func (c mutedConn) Write(p []byte) (int, error) {
	if c.muted.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// TestStore_ListenChanges_halfOpen: a session whose connection stops answering, with
// no error to say so, ends at its next ping (within two ping intervals): the near cache
// then stops trusting it instead of waiting for notifications that cannot come.
func TestStore_ListenChanges_halfOpen(t *testing.T) {
	var muted atomic.Bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return mutedConn{c, &muted}, nil
	}
	s := openTestStore(t, Config{}, dial)
	up := make(chan struct{})
	ended := make(chan error, 1)
	var once sync.Once
	go func() {
		ended <- s.ListenChanges(context.Background(), 50*time.Millisecond, func(ev domain.ChangeEvent) {
			if ev.Kind == domain.ChangeListening {
				once.Do(func() { close(up) })
			}
		})
	}()
	<-up
	muted.Store(true)
	select {
	case err := <-ended:
		if !errors.Is(err, domain.ErrCacheStore) {
			t.Fatalf("ListenChanges on a muted connection = %v; want ErrCacheStore", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenChanges still runs 5s after its connection stopped answering; want it to end at its next ping")
	}
}
