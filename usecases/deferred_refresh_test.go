package usecases_test

import (
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// A proactive refresh (refresh_on passed, the token still usable) that fails is not
// tried again on every call: during an outage each call would wait through the
// adapter's retries to get the token it could have had at once. The cached token is
// served without a request for a minute, or for the provider's longer Retry-After.
func TestSilent_Acquire_failedProactiveRefreshIsNotRetriedAtOnce(t *testing.T) {
	tests := []struct {
		name string
		err  *domain.Error
		wait time.Duration
	}{
		{"outage", &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}, usecases.ProactiveRetryWindow},
		{"retry-after longer", &domain.Error{Class: domain.ErrThrottled, HTTPStatus: 429, RetryAfter: 5 * time.Minute}, 5 * time.Minute},
		{"retry-after capped", &domain.Error{Class: domain.ErrThrottled, HTTPStatus: 429, RetryAfter: 24 * time.Hour}, usecases.MaxProactiveRetryWindow},
		{"retry-after shorter", &domain.Error{Class: domain.ErrThrottled, HTTPStatus: 429, RetryAfter: time.Second}, usecases.ProactiveRetryWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			at := f.accessToken("read", 24*time.Hour)
			at.RefreshOn = f.clock.Now().Add(-time.Minute)
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
				AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
				Accounts: []domain.Account{f.account()},
			}, nil).AnyTimes()
			f.lockRunsCallback().AnyTimes()
			sent := 0
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_, _ any) (domain.TokenResponse, error) {
				sent++
				return domain.TokenResponse{}, tt.err
			}).AnyTimes()
			silent := newSilent(t, f)
			retryAt := f.clock.Now().Add(tt.wait)
			acquire := func(when string) {
				t.Helper()
				res, err := silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
				if err != nil || res.AccessToken != "cached-at" || res.TokenSource != domain.SourceCache {
					t.Fatalf("%s: Acquire = %q from %q, %v; want the cached token", when, string(res.AccessToken), res.TokenSource, err)
				}
				// The served token says when asking again can help: azcore and
				// app.TokenSource schedule their next call by it.
				if !res.RefreshOn.Equal(retryAt) {
					t.Fatalf("%s: RefreshOn = %v; want %v, when the refresh is tried again", when, res.RefreshOn, retryAt)
				}
			}
			acquire("first call")
			if sent != 1 {
				t.Fatalf("first call sent %d token requests; want 1 (refresh_on has passed)", sent)
			}
			f.clock.Advance(tt.wait - time.Second)
			acquire("inside the window")
			acquire("inside the window, again")
			if sent != 1 {
				t.Fatalf("%d token requests after the failed proactive refresh, inside %v; want none", sent-1, tt.wait)
			}
			f.clock.Advance(time.Second)
			retryAt = f.clock.Now().Add(tt.wait)
			acquire("after the window")
			if sent != 2 {
				t.Fatalf("%d token requests after the window; want the refresh tried again once", sent-1)
			}
			// Another partition's refresh of the same account is its own.
			if _, err := silent.InPartition("p2").Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
				t.Fatal(err)
			}
			if sent != 3 {
				t.Fatalf("another partition sent %d token requests; want 1 (the memory is per partition)", sent-2)
			}
		})
	}
}

// The memory only defers optional refreshes: once the token is inside its expiry
// buffer it is not usable, and the refresh is made.
func TestSilent_Acquire_deferredRefreshStillRefreshesAnExpiringToken(t *testing.T) {
	f := newFixture(t)
	at := f.accessToken("read", 10*time.Minute) // usable for 5 more minutes (buffer 5 min)
	at.RefreshOn = f.clock.Now().Add(-time.Minute)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
		Accounts: []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback().AnyTimes()
	sent := 0
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_, _ any) (domain.TokenResponse, error) {
		sent++
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}
	}).AnyTimes()
	silent := newSilent(t, f)
	req := usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}
	if _, err := silent.Acquire(testContext(t), req); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5*time.Minute + time.Second) // inside the buffer, inside the deferral window
	if _, err := silent.Acquire(testContext(t), req); err == nil {
		t.Fatal("Acquire of a token inside its expiry buffer with the provider down = nil error; want the refresh's failure")
	}
	if sent != 2 {
		t.Fatalf("%d token requests; want 2 (the deferral does not cover a token that is no longer usable)", sent)
	}
}
