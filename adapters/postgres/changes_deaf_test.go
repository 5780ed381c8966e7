package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// deafConn models a transaction-pooling proxy (PgBouncer in transaction mode) once
// deaf is set: the client's queries and their answers pass, but a notification the
// server sends while the client has no query in flight — as when the server connection
// that ran its LISTEN is idle in the proxy's pool, "not linked" to any client — is lost
// (PgBouncer logs "got packet 'A' from server when not linked"). A notification that
// comes with the answer to one of the client's own queries (its own NOTIFY) still
// arrives. Nothing tells the client: every query answers.
type deafConn struct {
	net.Conn
	deaf   *atomic.Bool
	linked atomic.Bool // a query of the client is in flight: from its write to ReadyForQuery
	mu     sync.Mutex
	in     []byte // read from the server, not yet a whole message
	out    []byte // whole messages to hand to the client
}

func (c *deafConn) Write(p []byte) (int, error) {
	c.linked.Store(true)
	return c.Conn.Write(p)
}

func (c *deafConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.out) == 0 {
		if len(c.in) >= 5 {
			n := 1 + int(binary.BigEndian.Uint32(c.in[1:5]))
			if len(c.in) >= n {
				switch {
				case c.in[0] == 'A' && c.deaf.Load() && !c.linked.Load():
					// lost
				case c.in[0] == 'Z': // ReadyForQuery: the query is over
					c.linked.Store(false)
					c.out = append(c.out, c.in[:n]...)
				default:
					c.out = append(c.out, c.in[:n]...)
				}
				c.in = c.in[n:]
				continue
			}
		}
		buf := make([]byte, 32<<10)
		n, err := c.Conn.Read(buf)
		c.in = append(c.in, buf[:n]...)
		if err != nil && n == 0 {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// TestStore_ListenChanges_deafSession: a session whose notifications from other
// sessions stop arriving, while its connection still answers every query (deafConn),
// ends within two ping intervals, as a half-open one does
// (TestStore_ListenChanges_halfOpen). A ping that answers proves the connection, not
// that the server's notifications reach it: a near cache trusting such a session
// serves what another process removed for as long as the entry lives, not FallbackTTL
// (docs/operations.md: behind a transaction-pooling proxy). Checked against PgBouncer
// 1.18 in transaction mode: before the probe, a session through it reported
// ChangeListening and ChangeAlive every interval while it heard 0 of 20 writes.
func TestStore_ListenChanges_deafSession(t *testing.T) {
	var deaf atomic.Bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deafConn{Conn: c, deaf: &deaf}, nil
	}
	s := openTestStore(t, Config{}, dial)
	up := make(chan struct{})
	ended := make(chan error, 1)
	var once sync.Once
	var alive atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		ended <- s.ListenChanges(ctx, 50*time.Millisecond, func(ev domain.ChangeEvent) {
			switch ev.Kind {
			case domain.ChangeListening:
				once.Do(func() { close(up) })
			case domain.ChangeAlive:
				alive.Add(1)
			}
		})
	}()
	select {
	case <-up:
	case err := <-ended:
		t.Fatalf("ListenChanges ended before it listened, on a connection that still hears: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("ListenChanges did not listen within a minute")
	}
	deaf.Store(true)
	select {
	case err := <-ended:
		if !errors.Is(err, domain.ErrCacheStore) {
			t.Fatalf("ListenChanges on a connection that lost its notifications = %v; want ErrCacheStore", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("ListenChanges still runs 5s after its notifications stopped arriving (%d ChangeAlive meanwhile); want it to end within two ping intervals", alive.Load())
	}
}

// TestStore_ListenChanges_deafFromStart: a session that never hears another session's
// notification (through a transaction-pooling proxy from the start) never reports
// ChangeListening: the near cache never trusts it. Its own NOTIFY would come back
// (deafConn lets through what answers its own query), so the probe must come from
// another session.
func TestStore_ListenChanges_deafFromStart(t *testing.T) {
	var deaf atomic.Bool
	deaf.Store(true)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deafConn{Conn: c, deaf: &deaf}, nil
	}
	s := openTestStore(t, Config{}, dial)
	ended := make(chan error, 1)
	listening := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		ended <- s.ListenChanges(ctx, 50*time.Millisecond, func(ev domain.ChangeEvent) {
			if ev.Kind == domain.ChangeListening {
				once.Do(func() { close(listening) })
			}
		})
	}()
	select {
	case err := <-ended:
		if !errors.Is(err, domain.ErrCacheStore) {
			t.Fatalf("ListenChanges on a connection that hears no notification = %v; want ErrCacheStore", err)
		}
	case <-listening:
		t.Fatal("ListenChanges reported ChangeListening on a connection that hears no other session's notification")
	case <-time.After(time.Minute):
		t.Fatal("ListenChanges still runs a minute on a connection that hears no notification; want it to end after its first probe's wait")
	}
}

var _ io.ReadWriter = (*deafConn)(nil)
