package nearcache_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// pausingStore pauses FindHit after it has read the store, until released.
type pausingStore struct {
	*memory.Store
	paused, release chan struct{}
	pause           atomic.Bool
}

func (p *pausingStore) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	got, err := p.Store.FindHit(ctx, q)
	if p.pause.Swap(false) {
		p.paused <- struct{}{}
		<-p.release
	}
	return got, err
}

// TestStore_FindHit_doesNotKeepAReadThatRacedAWrite: a read that saw the state before a
// write, and returns after the write dropped the near entries, is not kept — else the
// old token would be served until the next change.
func TestStore_FindHit_doesNotKeepAReadThatRacedAWrite(t *testing.T) {
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &pausingStore{Store: mem, paused: make(chan struct{}), release: make(chan struct{})}
	near := wrap(t, inner, nearcache.Config{FallbackTTL: time.Hour})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	inner.pause.Store(true)
	done := make(chan string)
	go func() {
		got, _ := near.FindHit(ctx, mpQuery)
		done <- string(got.AccessTokens[0].Secret)
	}()
	<-inner.paused // the read has seen t1
	if err := near.Write(ctx, tokenWrite("t2")); err != nil {
		t.Fatal(err)
	}
	close(inner.release)
	<-done
	if got := servedSecret(t, near); got != "t2" {
		t.Fatalf("after a read that raced the write of t2: served %q; want t2", got)
	}
}

// countingPG counts the hit reads that reach a Postgres store, and records the changes
// its listening session has handed to the near cache once the near cache applied them.
type countingPG struct {
	*postgres.Store
	reads atomic.Int64

	mu      sync.Mutex
	applied []string      // the keys of the committed changes applied, in order
	changed chan struct{} // a token each time applied grows
}

func (c *countingPG) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	c.reads.Add(1)
	return c.Store.FindHit(ctx, q)
}

func (c *countingPG) ListenChanges(ctx context.Context, ping time.Duration, event func(domain.ChangeEvent)) error {
	return c.Store.ListenChanges(ctx, ping, func(ev domain.ChangeEvent) {
		event(ev)
		if ev.Kind != domain.ChangeCommitted {
			return
		}
		c.mu.Lock()
		c.applied = append(c.applied, ev.Key)
		c.mu.Unlock()
		select {
		case c.changed <- struct{}{}:
		default:
		}
	})
}

// appliedCount returns how many committed changes the near cache has applied.
func (c *countingPG) appliedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.applied)
}

// waitApplied waits until the near cache has applied more than n committed changes and
// returns the key of change n (the first after n). The deadline is a hang guard: how
// soon a change is seen is the bound the two-process tests check, not this one.
func (c *countingPG) waitApplied(t *testing.T, n int) string {
	t.Helper()
	guard := time.After(time.Minute)
	for {
		c.mu.Lock()
		if len(c.applied) > n {
			key := c.applied[n]
			c.mu.Unlock()
			return key
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-guard:
			t.Fatalf("the near cache applied %d changes in a minute; want more than %d", c.appliedCount(), n)
		}
	}
}

// drain sends a notification of ours (another account's key) through db and waits until
// the near cache has applied it: notifications are delivered in commit order, so every
// change committed before it has been applied too.
func (c *countingPG) drain(t *testing.T, db *sql.DB, schema string) {
	t.Helper()
	sentinel := domain.ChangeKey(mpPartition, "sentinel")
	n := c.appliedCount()
	if _, err := db.Exec(`SELECT pg_notify('hexauth_cache', $1)`, schema+":"+sentinel); err != nil {
		t.Fatal(err)
	}
	for key := ""; key != sentinel; n++ {
		key = c.waitApplied(t, n)
	}
}

// TestStore_notificationStorm floods the channel with what an attacker with a database
// login, or a busy neighbour, could send: other schemas' payloads, oversized ones, and
// other accounts' keys. The session survives, the account's near entry stays (nothing
// said it changed), and a real change of the account made right after is still seen.
//
// Each step waits until the near cache has applied the change it waits for (told by the
// session's own events), not for a time: the write's own notification, a notification of
// ours sent after the storm (delivered after all of it, so the storm has then been read
// to its end), and the removal's.
func TestStore_notificationStorm(t *testing.T) {
	dsn := postgresDSN(t)
	schema := fmt.Sprintf("near_storm_%d", time.Now().UnixNano())
	open := postgresStorageNamed(t, dsn, schema)
	inner := &countingPG{Store: open(t).(*postgres.Store), changed: make(chan struct{}, 1)}
	// A long ping: a loaded machine can hold a round trip past a short one, which ends the
	// session and empties the near cache; this test is about notifications, not pings.
	near := wrap(t, inner, nearcache.Config{PingInterval: 10 * time.Second})
	other := open(t)
	waitTrusted(t, near)
	n := inner.appliedCount()
	if err := near.Write(context.Background(), tokenWrite("old-token")); err != nil {
		t.Fatal(err)
	}
	inner.waitApplied(t, n) // the write's own notification drops the entry once more
	_ = servedSecret(t, near)
	before := inner.reads.Load()

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	payloads := []string{
		"someone_else:" + domain.ChangeKey(mpPartition, mpHome), // another schema, same account
		"someone_else:*",
		strings.Repeat("x", 7999),                                      // NOTIFY's maximum, not ours
		schema + ":" + strings.Repeat("f", 7000),                       // ours in name, oversized: ignored
		schema + ":" + domain.ChangeKey(mpPartition, "bob"),            // another account
		schema + ":" + domain.ChangeKey(`'; DROP TABLE x; --`, mpHome), // another partition
	}
	if _, err := admin.Exec(`SELECT pg_notify('hexauth_cache', p) FROM unnest($1::text[]) AS p, generate_series(1, 1000)`, payloads); err != nil {
		t.Fatal(err)
	}
	inner.drain(t, admin, schema)
	if !near.Listening() {
		t.Fatal("the change session did not survive the storm")
	}
	if got := servedSecret(t, near); got != "old-token" || inner.reads.Load() != before {
		t.Fatalf("after the storm: served %q with %d store reads; want old-token from memory (none)", got, inner.reads.Load()-before)
	}
	n = inner.appliedCount()
	if err := other.RemoveAccount(context.Background(), domain.AccountRemoval{Partition: mpPartition, HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient}); err != nil {
		t.Fatal(err)
	}
	inner.waitApplied(t, n)
	if got := servedSecret(t, near); got != "" {
		t.Fatalf("once a removal that followed the storm was applied: served %q; want nothing", got)
	}
}

var _ ports.CacheStore = (*countingPG)(nil)
