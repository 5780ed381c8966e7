package postgres

// From the review of issues 10 and 11: RemoveAccount once nested two refresh locks
// (family, then the app's own), each holding a connection of the lock pool while it
// waited for the next, so concurrent removals of accounts with a family refresh token
// exhausted the pool. It now takes the account's one lock; this test keeps it so.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

type noIdP struct{ ports.IdentityProvider }
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func TestRemoveAccount_concurrentRemovalsDoNotDeadlockTheLockPool(t *testing.T) {
	s := OpenTestStore(t, Config{MaxLockConns: 2})
	ctx := context.Background()
	const n = 8
	for i := range n {
		w := sampleWrite("p", fmt.Sprintf("user-%d", i), fmt.Sprintf("s%d", i))
		w.RefreshToken.FamilyID = "" // own token of client-1
		fam := *w.RefreshToken
		fam.ClientID, fam.FamilyID, fam.Secret = "other-app", "1", domain.Secret(fmt.Sprintf("frt-%d", i))
		if err := s.Write(ctx, w); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, domain.CacheWrite{Partition: "p", RefreshToken: &fam}); err != nil {
			t.Fatal(err)
		}
	}
	authority, _ := domain.ParseAuthority("https://login.example.com", domain.AuthorityOIDC)
	accts, err := usecases.NewAccounts(usecases.Config{ClientID: "client-1", Authority: authority, Partition: "p"},
		usecases.Deps{IdentityProvider: noIdP{}, Store: s, Clock: wallClock{}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			errs[i] = accts.Remove(rctx, domain.Account{HomeAccountID: fmt.Sprintf("user-%d", i), Environment: "login.example.com"})
		})
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			t.Logf("Remove(user-%d) = %v", i, err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d concurrent removals failed after %s (lock pool of 2 exhausted by the outer locks)", failed, n, time.Since(start).Round(time.Millisecond))
	}
}
