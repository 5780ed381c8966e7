package postgres

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

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
