package usecases_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Concurrent refreshes that differ in partition or in scopes are different refreshes:
// merging them would hand one tenant's (or one scope's) token to another caller. Each
// provider call waits for the other, so merged calls (one provider call) fail the test
// instead of passing by luck.
func TestSilent_Acquire_refreshesOfOtherPartitionsOrScopesAreNotMerged(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		partitions, scopesOf [2]string
	}{
		{"other partition", [2]string{"tenant-a", "tenant-b"}, [2]string{"read", "read"}},
		{"other scopes", [2]string{"p1", "p1"}, [2]string{"read", "write"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.find(domain.CacheEntries{
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
			}).AnyTimes()
			f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
				func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
					return fn(ctx)
				}).AnyTimes()
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			f.expectMetadata()
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			var arrived atomic.Int32
			bothArrived := make(chan struct{})
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
				if arrived.Add(1) == 2 {
					close(bothArrived)
				}
				select {
				case <-bothArrived:
				case <-time.After(5 * time.Second):
					return domain.TokenResponse{}, errors.New("only one of two different refreshes reached the provider")
				}
				resp := f.tokenResponse(t, testHome)
				resp.AccessToken = domain.Secret("at-for-" + domain.JoinScopes(r.Scopes))
				resp.Scope = r.Scopes
				return resp, nil
			}).Times(2)
			s := newSilent(t, f)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := s.InPartition(tc.partitions[i]).Acquire(testContext(t),
						usecases.SilentRequest{Scopes: []string{tc.scopesOf[i]}, Account: f.account()})
					if err != nil {
						t.Errorf("caller %d: %v", i, err)
					} else if want := "at-for-offline_access openid profile " + tc.scopesOf[i]; string(res.AccessToken) != want {
						t.Errorf("caller %d got %q; want its own refresh's %q", i, string(res.AccessToken), want)
					}
				}()
			}
			wg.Wait()
		})
	}
}

// Partition names and home account ids are caller text and may hold any byte: a
// partition "a\x1fb" with account "h" and a partition "a" with account "b\x1fh" are two
// refreshes of two accounts in two partitions, never one flight (DESIGN §2: nothing in
// one partition is visible from another); so are two subjects of an OIDC issuer that
// differ only in case, even shaped like Entra ids (DESIGN §3) — for an access token as
// for a sign-in. Each provider call waits for the other, so merged calls fail the test.
func TestSilent_Acquire_callersOfTwoAccountsOrPartitionsShareNoFlight(t *testing.T) {
	const entraShaped = "0000aaaa-0000-4000-8000-00000000000a.72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct {
		name    string
		callers [2]struct{ partition, home string }
	}{
		{"partition holding a separator", [2]struct{ partition, home string }{{"a\x1fb", testHome}, {"a", "b\x1f" + testHome}}},
		{"OIDC subjects differing in case", [2]struct{ partition, home string }{{"p", entraShaped}, {"p", strings.ToUpper(entraShaped)}}},
	} {
		for _, scope := range []string{"read", "openid"} {
			t.Run(tc.name+"/"+scope, func(t *testing.T) { testTwoCallersShareNoFlight(t, tc.callers, scope) })
		}
	}
}

func testTwoCallersShareNoFlight(t *testing.T, callers [2]struct{ partition, home string }, scope string) {
	t.Helper()
	f := newFixture(t)
	homeOf := sync.Map{} // refresh token secret → the home account it was issued for
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
		rt := f.refreshToken(testClient, "", "rt-of-partition-"+q.Partition+"-for-"+q.HomeAccountID)
		rt.HomeAccountID = q.HomeAccountID
		homeOf.Store(string(rt.Secret), q.HomeAccountID)
		return domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}}, nil
	}).AnyTimes()
	f.expectMetadata()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		}).AnyTimes()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	var arrived atomic.Int32
	bothArrived := make(chan struct{})
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		if arrived.Add(1) == 2 {
			close(bothArrived)
		}
		select {
		case <-bothArrived:
		case <-time.After(5 * time.Second):
			return domain.TokenResponse{}, errors.New("only one of two refreshes in two partitions reached the provider")
		}
		home, _ := homeOf.Load(string(r.RefreshToken))
		resp := f.tokenResponse(t, home.(string))
		resp.AccessToken = domain.Secret("at-for-" + string(r.RefreshToken))
		return resp, nil
	}).Times(2)
	s := newSilent(t, f)
	var wg sync.WaitGroup
	for _, c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.InPartition(c.partition).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{scope}, Account: domain.Account{HomeAccountID: c.home}})
			if err != nil {
				t.Errorf("partition %q: %v", c.partition, err)
				return
			}
			if want := "at-for-rt-of-partition-" + c.partition + "-for-" + c.home; scope == "read" && string(res.AccessToken) != want {
				t.Errorf("partition %q got access token %q; want its own account's in its partition, %q", c.partition, string(res.AccessToken), want)
			}
			if res.IDTokenClaims == nil || res.IDTokenClaims.Subject != c.home {
				t.Errorf("partition %q got ID token claims %v; want its own account's (sub %q)", c.partition, res.IDTokenClaims, c.home)
			}
		}()
	}
	wg.Wait()
}
