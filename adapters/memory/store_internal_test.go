package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func storeWriteAccount(t *testing.T, s *Store, home, username string) {
	t.Helper()
	at := domain.AccessToken{HomeAccountID: home, Environment: "e", ClientID: "c", Realm: "r", Target: "read", Secret: "s"}
	acct := domain.Account{HomeAccountID: home, Environment: "e", Realm: "r", Username: username}
	if err := s.Write(context.Background(), domain.CacheWrite{Partition: "p", AccessToken: &at, Account: &acct}); err != nil {
		t.Fatalf("Write(%s) = %v; want nil", home, err)
	}
}

func TestStore_RemoveAccount_forgetsIndexes(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	for i := range 10 {
		storeWriteAccount(t, s, fmt.Sprintf("h%d", i), fmt.Sprintf("User%d@X", i))
	}
	storeWriteAccount(t, s, "h0", "renamed@x") // the old username must leave the index
	p := s.parts["p"]
	if homes := p.usernames.homes("user0@x"); len(homes) != 0 {
		t.Errorf("username index still holds user0@x after the account was renamed; want it gone")
	}
	for i := range 10 {
		r := domain.AccountRemoval{Partition: "p", HomeAccountID: fmt.Sprintf("h%d", i), ClientID: "c"}
		if err := s.RemoveAccount(context.Background(), r); err != nil {
			t.Fatalf("RemoveAccount(%+v) = %v; want nil", r, err)
		}
	}
	if len(p.buckets) != 0 || p.usernames.len() != 0 || len(p.usernames.more) != 0 {
		t.Errorf("after removing every account: %d buckets, %d usernames indexed; want 0, 0", len(p.buckets), p.usernames.len())
	}
}

func TestStore_Write_deletingLastEntryForgetsBucket(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	at := domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "read"}
	for _, w := range []domain.CacheWrite{{Partition: "p", AccessToken: &at}, {Partition: "p", DeleteAccessTokens: [][6]string{at.KeyFields()}}} {
		if err := s.Write(context.Background(), w); err != nil {
			t.Fatalf("Write = %v; want nil", err)
		}
	}
	if n := len(s.parts["p"].buckets); n != 0 {
		t.Errorf("after deleting the only token: %d buckets; want 0", n)
	}
}

func TestStore_WithRefreshLock_forgetsUnusedLocks(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	for i := range 100 {
		key := domain.RefreshLockKey{Partition: "p", HomeAccountID: fmt.Sprintf("h%d", i)}
		if err := s.WithRefreshLock(context.Background(), key, func(context.Context) error { return nil }); err != nil {
			t.Fatalf("WithRefreshLock = %v; want nil", err)
		}
	}
	// A waiter that gives up must not leave its slot behind either.
	key := domain.RefreshLockKey{Partition: "p", HomeAccountID: "busy"}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.WithRefreshLock(context.Background(), key, func(context.Context) error { close(held); <-release; return nil })
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.WithRefreshLock(ctx, key, func(context.Context) error { return nil }); err == nil {
		t.Errorf("WithRefreshLock on a held key with a short ctx = nil; want a timeout")
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("holder's WithRefreshLock = %v; want nil", err)
	}
	if n := s.locks.size(); n != 0 {
		t.Errorf("lock table holds %d slots after every lock was released; want 0", n)
	}
}
