package usecases_test

// Tests from the review of issues 10 and 11 (branch review-10-11): each failed on
// c07cbb8 and shows a defect since fixed.

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// The refresh lock is keyed from a read made before the lock; under the lock the cache
// is read again and the candidates recomputed, so the token redeemed can be one the held
// lock does not name. Here another app of family 1 signs in between the two reads: the
// call holds its own-token lock and redeems the family token, while that app's own
// silent calls (family lock) may redeem it at the same moment (DESIGN §3: one refresh
// token, one lock).
func TestSilent_lockCoversTheRefreshTokenRedeemedUnderIt(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	reads := 0
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheQuery) (domain.CacheEntries, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		e := domain.CacheEntries{RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "own-rt")}, Accounts: []domain.Account{f.account()}}
		if reads > 1 { // the family app's sign-in landed between the two reads
			e.RefreshTokens = append(e.RefreshTokens, f.refreshToken("other-app", "1", "family-rt"))
		}
		return e, nil
	}).AnyTimes()
	var held domain.RefreshLockKey
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, k domain.RefreshLockKey, fn func(context.Context) error) error {
			held = k
			return fn(ctx)
		})
	f.expectMetadata()
	var sent string
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		sent = string(r.RefreshToken)
		return f.tokenResponse(t, testHome), nil
	})
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	if _, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
		t.Fatal(err)
	}
	want := domain.RefreshLockKey{Partition: "p1", HomeAccountID: testHome, Environment: f.authority.Host, Realm: f.authority.Realm()}
	if sent != "family-rt" || held != want {
		t.Errorf("redeemed %q while holding lock %+v; want the family token, under the account's one lock %+v (it covers whichever token the fresh read picks)", sent, held, want)
	}
}

// The refusal memory is keyed by the refresh token alone, but a refusal answers a
// request (its scopes, tenant, claims). A refresh for one scope refused with
// invalid_grant makes a silent call for another scope fail for 5 minutes without the
// token being presented.

func TestSilent_refusalOfOneRequestDoesNotBlockAnother(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "own-rt")}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.expectMetadata()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	var sent int
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		sent++
		if slices.Contains(r.Scopes, "admin") {
			return domain.TokenResponse{}, domain.ParseErrorResponse(domain.GrantRefreshToken, 400,
				[]byte(`{"error":"invalid_grant","error_description":"AADSTS50020: user account does not exist in tenant","error_codes":[50020]}`))
		}
		return f.tokenResponse(t, testHome), nil
	}).AnyTimes()
	s := newSilent(t, f)
	if _, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"admin"}, Account: f.account()}); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first call = %v; want interaction required", err)
	}
	_, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if err != nil || sent != 2 {
		t.Errorf("silent call for another scope after one scope's refusal: err=%v, token requests=%d; want the token presented (2 requests) and success", err, sent)
	}
}

// Rotation × deadlines: after the provider answered (and rotated the refresh token), the
// ID token's signature check may fetch a key set under the caller's deadline. When that
// fetch fails (deadline, JWKS unreachable: ErrUnavailable), redeem throws the whole
// response away: nothing is written and the caller gets no refresh token, while the one
// sent is already spent (DESIGN §3 "Rotation never loses a credential").
func TestSilent_rotatedRefreshTokenSurvivesAKeySetFetchFailure(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	f.expectMetadata()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(f.tokenResponse(t, testHome), nil) // rotates to new-rt
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(
		&domain.Error{Class: domain.ErrUnavailable, Op: "jwks", Err: context.DeadlineExceeded})
	var wrote string
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		if w.RefreshToken != nil {
			wrote = string(w.RefreshToken.Secret)
		}
		return nil
	}).AnyTimes()
	res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if wrote != "new-rt" && res.RefreshToken != "new-rt" {
		t.Errorf("after the provider rotated rt-1 to new-rt, a failed key-set fetch left: err=%v, cached %q, returned %q; the rotated refresh token is lost",
			err, wrote, string(res.RefreshToken))
	}
}

// Issue 10 item 10: an ID-token-less refresh response is cached under the account "when
// the account is known (the presented refresh token is in the cache, or client_info/ID
// token name it)". RefreshTokenRedeemer caches it under whatever account the caller
// names, without checking that the presented refresh token is that account's: Bob's
// refresh token redeemed WithAccount(Alice) makes Bob's access token Alice's in the cache
// (and it takes no refresh lock, so it can also undo a RemoveAccount of Alice).
func TestRefreshToken_anotherAccountsRefreshTokenIsNotCachedAsTheNamedOne(t *testing.T) {
	f := newFixture(t)
	alice := f.account()
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-alice")}, Accounts: []domain.Account{alice},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{
		AccessToken: "at-bob", TokenType: "Bearer", ExpiresIn: time.Hour, RefreshToken: "rt-bob-2",
	}, nil)
	var cachedAs string
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		if w.AccessToken != nil {
			cachedAs = w.AccessToken.HomeAccountID
		}
		return nil
	}).AnyTimes()
	r, err := usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: "rt-bob", Scopes: []string{"read"}, Account: &alice})
	if cachedAs == alice.HomeAccountID {
		t.Errorf("a refresh token not cached for %s (rt-bob) was redeemed WithAccount(%s) and its access token cached as hers (err=%v)", alice.HomeAccountID, alice.HomeAccountID, err)
	}
}
