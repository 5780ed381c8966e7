package postgres

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// countingConn counts the writes a connection makes to the server. pgx sends a whole
// extended-protocol exchange (Bind, Describe, Execute, Sync) in one write and then
// reads the reply, so writes count round trips.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestStore_Find_oneRoundTrip counts the messages Find sends to the server once its
// statement is prepared on the connection: one per call.
func TestStore_Find_oneRoundTrip(t *testing.T) {
	var writes atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	s := openTestStore(t, Config{MaxOpenConns: 1}, dial)
	if err := s.Write(t.Context(), sampleWrite("p", "h", "at")); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: []string{"login.example.com", "login.windows.net"}, ClientID: "client-1"}
	find := func() {
		got, err := s.Find(t.Context(), q)
		if err != nil || len(got.AccessTokens) != 1 || len(got.AppMetadata) != 1 {
			t.Fatalf("Find = %d access tokens, %d app metadata, %v; want 1, 1, nil", len(got.AccessTokens), len(got.AppMetadata), err)
		}
	}
	find() // prepares the statement on the connection: a round trip of its own
	const calls = 50
	before := writes.Load()
	if before == 0 {
		t.Fatal("the counting dialer saw no writes; want the store's connections to go through it")
	}
	for range calls {
		find()
	}
	if got := writes.Load() - before; got != calls {
		t.Errorf("%d Finds sent %d messages to the server; want %d, one round trip each", calls, got, calls)
	}
}

// TestStore_FindHit_oneRoundTripAfterIdle counts the messages the silent hit's read
// sends on a connection that sat idle for longer than a second — the state of every
// pooled connection of a quiet backend. pgx's database/sql driver pings such a
// connection before handing it out unless told not to: two round trips per hit.
func TestStore_FindHit_oneRoundTripAfterIdle(t *testing.T) {
	var writes atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	s := openTestStore(t, Config{MaxOpenConns: 1}, dial)
	if err := s.Write(t.Context(), sampleWrite("p", "h", "at")); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: []string{"login.example.com"}, ClientID: "client-1"}
	hit := func() {
		got, err := s.FindHit(t.Context(), q)
		if err != nil || len(got.AccessTokens) != 1 {
			t.Fatalf("FindHit = %d access tokens, %v; want 1, nil", len(got.AccessTokens), err)
		}
	}
	hit() // prepares the statement on the connection
	for i := range 2 {
		time.Sleep(1100 * time.Millisecond) // idle past the driver's one-second ping threshold
		before := writes.Load()
		hit()
		if got := writes.Load() - before; got != 1 {
			t.Errorf("FindHit #%d after 1.1 s idle sent %d messages to the server; want 1, one round trip (no ping first)", i+1, got)
		}
	}
}

// TestStore_FindHit_retriesALostConnection kills the store's only session while it is
// idle in the pool: without a ping first, the read finds the dead connection itself,
// and must succeed on a new one rather than fail the caller's silent call.
func TestStore_FindHit_retriesALostConnection(t *testing.T) {
	dsn, app := DSNWithApp(t)
	s := OpenTestStore(t, Config{DSN: dsn, MaxOpenConns: 1})
	if err := s.Write(t.Context(), sampleWrite("p", "h", "at")); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"}
	if _, err := s.FindHit(t.Context(), q); err != nil {
		t.Fatalf("FindHit = %v; want nil", err)
	}
	if n := killSessions(t, app); n == 0 {
		t.Fatal("terminated 0 sessions of the store; want its pooled connection")
	}
	time.Sleep(100 * time.Millisecond) // let the server close the socket
	got, err := s.FindHit(t.Context(), q)
	if err != nil || len(got.AccessTokens) != 1 {
		t.Errorf("FindHit on a pool whose connection the server ended = %d access tokens, %v; want 1, nil (retried on a new connection)", len(got.AccessTokens), err)
	}
	got2, err := s.Find(t.Context(), q)
	if err != nil || len(got2.AccessTokens) != 1 {
		t.Errorf("Find after that = %d access tokens, %v; want 1, nil", len(got2.AccessTokens), err)
	}
}
