package nearcache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/domain"
)

// silentListener is a memory store with a ChangeListener whose session listens, then
// says nothing more: a half-open connection, from the near cache's side.
type silentListener struct {
	*memory.Store
	up chan struct{}
}

func (s *silentListener) ListenChanges(ctx context.Context, ping time.Duration, event func(domain.ChangeEvent)) error {
	event(domain.ChangeEvent{Kind: domain.ChangeListening})
	close(s.up)
	<-ctx.Done()
	return ctx.Err()
}

// TestStore_silentSession: once the session has given no sign of life for three ping
// intervals, near entries are served only within FallbackTTL of their read.
func TestStore_silentSession(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &silentListener{Store: mem, up: make(chan struct{})}
	near := wrap(t, inner, nearcache.Config{PingInterval: time.Second, FallbackTTL: 100 * time.Millisecond, Clock: clock})
	<-inner.up
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	// Another process replaces the token; its notification never arrives.
	if err := mem.Write(ctx, tokenWrite("t2")); err != nil {
		t.Fatal(err)
	}
	clock.add(2 * time.Second)
	if got := servedSecret(t, near); got != "t1" {
		t.Fatalf("2s into a session that answered its last ping: served %q; want the near entry t1", got)
	}
	clock.add(time.Second + time.Millisecond)
	if got := servedSecret(t, near); got != "t2" {
		t.Fatalf("more than 3 ping intervals after the session's last sign of life: served %q; want the store's t2", got)
	}
	if near.Listening() {
		t.Fatal("Listening() = true for a session silent for 3 ping intervals; want false")
	}
}

// TestStore_FindHit_keyFieldsApart: no partition and account can pass for another pair
// whose bytes run together the same way.
func TestStore_FindHit_keyFieldsApart(t *testing.T) {
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	near := wrap(t, mem, nearcache.Config{FallbackTTL: time.Hour})
	ctx := context.Background()
	w := tokenWrite("ab-c")
	w.Partition = "ab"
	w.AccessToken.HomeAccountID, w.IDToken.HomeAccountID, w.Account.HomeAccountID = "c", "c", "c"
	w.DeleteAccessTokens = nil
	if err := near.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	q := domain.CacheQuery{Partition: "ab", HomeAccountID: "c", Environments: []string{mpEnv}, ClientID: mpClient}
	if got, _ := near.FindHit(ctx, q); len(got.AccessTokens) != 1 {
		t.Fatalf("FindHit(ab, c) = %d access tokens; want 1", len(got.AccessTokens))
	}
	q.Partition, q.HomeAccountID = "a", "bc"
	if got, _ := near.FindHit(ctx, q); len(got.AccessTokens) != 0 {
		t.Fatalf("FindHit(a, bc) = %q; want nothing (another partition and account)", got.AccessTokens[0].Secret)
	}
}

// flakyListener is a memory store whose change sessions the test starts and ends.
type flakyListener struct {
	*memory.Store
	sessions chan chan struct{} // each session listens, then ends when its channel closes
	listened chan struct{}
}

func (f *flakyListener) ListenChanges(ctx context.Context, ping time.Duration, event func(domain.ChangeEvent)) error {
	select {
	case end := <-f.sessions:
		event(domain.ChangeEvent{Kind: domain.ChangeListening})
		f.listened <- struct{}{}
		select {
		case <-end:
			return errors.New("connection reset")
		case <-ctx.Done():
			return ctx.Err()
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStore_reconnectDropsEverything: what was read while no session listened may have
// changed unseen; once a session listens again, it is not served on the session's word.
func TestStore_reconnectDropsEverything(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &flakyListener{Store: mem, sessions: make(chan chan struct{}), listened: make(chan struct{})}
	near := wrap(t, inner, nearcache.Config{FallbackTTL: time.Hour, Clock: clock})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	inner.sessions <- first
	<-inner.listened
	close(first) // the session ends
	for near.Listening() {
		time.Sleep(time.Millisecond)
	}
	if got := servedSecret(t, near); got != "t1" { // read (and kept) while down
		t.Fatalf("served %q; want t1", got)
	}
	if err := mem.Write(ctx, tokenWrite("t2")); err != nil { // unseen: nobody listens
		t.Fatal(err)
	}
	inner.sessions <- make(chan struct{})
	<-inner.listened
	if got := servedSecret(t, near); got != "t2" {
		t.Fatalf("after the session listens again: served %q; want the store's t2", got)
	}
}

// versioned is a memory store with a DataVersioner the test controls.
type versioned struct {
	*memory.Store
	version atomic.Uint64
	fail    atomic.Bool
}

func (v *versioned) DataVersion(ctx context.Context) (uint64, error) {
	if v.fail.Load() {
		return 0, errors.New("disk I/O error")
	}
	return v.version.Load(), nil
}

// TestStore_dataVersion: a version that moved drops everything; one that cannot be
// read too (a change may have gone unseen), and the entries then live FallbackTTL.
func TestStore_dataVersion(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &versioned{Store: mem}
	near := wrap(t, inner, nearcache.Config{CheckInterval: time.Millisecond, FallbackTTL: time.Hour, Clock: clock})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	step := func(secret string) {
		t.Helper()
		if err := mem.Write(ctx, tokenWrite(secret)); err != nil { // another process
			t.Fatal(err)
		}
		clock.add(time.Millisecond)
	}
	step("t2") // the version did not move: the change is not seen (nor is it possible)
	if got := servedSecret(t, near); got != "t1" {
		t.Fatalf("version unchanged: served %q; want the near entry t1", got)
	}
	inner.version.Add(1)
	clock.add(time.Millisecond) // the next read is due
	if got := servedSecret(t, near); got != "t2" {
		t.Fatalf("version moved: served %q; want the store's t2", got)
	}
	inner.fail.Store(true)
	step("t3")
	if got := servedSecret(t, near); got != "t3" {
		t.Fatalf("version unreadable: served %q; want the store's t3", got)
	}
}

// gatedVersion is a versioned store whose next DataVersion call waits for a release.
type gatedVersion struct {
	versioned
	gate    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedVersion) DataVersion(ctx context.Context) (uint64, error) {
	if g.gate.Swap(false) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.versioned.DataVersion(ctx)
}

// TestStore_dataVersion_everyHitUnderContention: with CheckInterval < 0, a hit that
// arrives while another reader's version read is under way (and began before a
// commit) waits and reads the version itself, rather than serving the near entry.
func TestStore_dataVersion_everyHitUnderContention(t *testing.T) {
	mem, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &gatedVersion{versioned: versioned{Store: mem}, entered: make(chan struct{}), release: make(chan struct{})}
	near := wrap(t, inner, nearcache.Config{CheckInterval: -1, FallbackTTL: time.Hour})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	inner.gate.Store(true)
	first := make(chan struct{})
	go func() { defer close(first); _, _ = near.FindHit(ctx, mpQuery) }()
	<-inner.entered                                          // the first reader is reading the version
	if err := mem.Write(ctx, tokenWrite("t2")); err != nil { // another process commits
		t.Fatal(err)
	}
	inner.version.Add(1)
	second := make(chan string)
	go func() {
		got, _ := near.FindHit(ctx, mpQuery)
		second <- string(got.AccessTokens[0].Secret)
	}()
	time.Sleep(20 * time.Millisecond) // the second reader arrives during the first's read
	close(inner.release)
	<-first
	if got := <-second; got != "t2" {
		t.Fatalf("a hit that arrived after the commit served %q; want t2", got)
	}
}
