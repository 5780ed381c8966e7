package usecases_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// TestReview4_SharedRefreshResultsAreNotAliased: concurrent silent calls that share one
// refresh (single flight) each get a result of their own. A caller that edits its
// result — the claims' typed fields, the audience, the scopes, the account's extras, as
// a web handler normalising a name or a middleware filtering scopes does — must not
// change what another goroutine is reading: a cache hit already hands each caller its
// own copy (TestSilent_Acquire_callersCannotChangeEachOthersClaims), and a shared
// refresh handed every waiter the one value, so one request's edit showed up in
// another's (and raced with its reads).
func TestReview4_SharedRefreshResultsAreNotAliased(t *testing.T) {
	f := newFixture(t)
	acct := f.account()
	acct.Extra = map[string]json.RawMessage{"x": json.RawMessage(`"original"`)}
	f.find(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{acct},
	}).AnyTimes()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.expectMetadata()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		claims := f.claimsFor(testHome, "")
		claims["name"] = "Alice"
		resp := f.tokenResponse(t, testHome)
		resp.IDToken = idToken(t, claims)
		return resp, nil
	}).AnyTimes()
	s := newSilent(t, f)

	results := make([]domain.AuthResult, 2)
	var wg sync.WaitGroup
	call := func(i int) {
		defer wg.Done()
		res, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
		results[i] = res
	}
	wg.Add(2)
	go call(0)
	<-started
	go call(1)
	time.Sleep(200 * time.Millisecond) // the second caller joins the running refresh
	close(release)
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := calls.Load(); n != 1 {
		t.Skipf("the provider was called %d times: the callers did not share the refresh (a loaded machine); nothing to compare", n)
	}
	a, b := results[0], results[1]
	if a.IDTokenClaims == nil || b.IDTokenClaims == nil || len(a.Scopes) == 0 || len(b.Scopes) == 0 || len(b.IDTokenClaims.Audience) == 0 {
		t.Fatalf("results %+v and %+v: want claims and scopes in both", a, b)
	}
	// Caller 0 edits its own result.
	a.IDTokenClaims.Name = "Mallory"
	a.IDTokenClaims.Subject = "sub-mallory"
	a.IDTokenClaims.Audience[0] = "another-client"
	a.Scopes[0] = "admin"
	if a.Account.Extra != nil {
		a.Account.Extra["x"] = json.RawMessage(`"edited"`)
	}
	// Caller 1 still reads what the provider issued.
	if got := b.IDTokenClaims.Name; got != "Alice" {
		t.Errorf("caller 1's claims name = %q after caller 0 edited its own result; want %q", got, "Alice")
	}
	if got := b.IDTokenClaims.Subject; got != testHome {
		t.Errorf("caller 1's claims sub = %q after caller 0 edited its own result; want %q", got, testHome)
	}
	if got := b.IDTokenClaims.Audience[0]; got != testClient {
		t.Errorf("caller 1's audience = %q after caller 0 edited its own result; want %q", got, testClient)
	}
	if got := b.Scopes[0]; got != "read" {
		t.Errorf("caller 1's scopes = %v after caller 0 edited its own result; want [read]", b.Scopes)
	}
	if got := string(b.Account.Extra["x"]); b.Account.Extra != nil && got != `"original"` {
		t.Errorf("caller 1's account extra = %s after caller 0 edited its own result; want \"original\"", got)
	}
}
