package usecases_test

import (
	"context"
	"errors"
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
