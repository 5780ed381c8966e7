package usecases_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// recordingObserver writes down what it is told, in order. The context StartAcquisition
// returns carries a mark, so the test can see which calls were made with it.
type recordingObserver struct {
	mu     sync.Mutex
	events []string
}

type markKey struct{}

func (o *recordingObserver) add(ctx context.Context, format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ctx.Value(markKey{}) == nil {
		format += " (without the acquisition's context)"
	}
	o.events = append(o.events, fmt.Sprintf(format, args...))
}

func (o *recordingObserver) StartAcquisition(ctx context.Context, a ports.Acquisition) context.Context {
	ctx = context.WithValue(ctx, markKey{}, true)
	o.add(ctx, "start %s host=%s partition=%s", a.Flow, a.Host, a.Partition)
	return ctx
}

func (o *recordingObserver) EndAcquisition(ctx context.Context, out ports.AcquisitionOutcome) {
	o.add(ctx, "end %s source=%s err=%v", out.Flow, out.Source, errClass(out.Err))
}

func (o *recordingObserver) CacheLookedUp(ctx context.Context, flow ports.Flow, hit bool) {
	o.add(ctx, "lookup %s hit=%v", flow, hit)
}

func (o *recordingObserver) ProviderCalled(ctx context.Context, flow ports.Flow, took time.Duration, err error) {
	o.add(ctx, "provider %s took=%v err=%v", flow, took, errClass(err))
}

func (o *recordingObserver) Refreshed(ctx context.Context, flow ports.Flow, err error) {
	o.add(ctx, "refreshed %s err=%v", flow, errClass(err))
}

func (o *recordingObserver) FlightMerged(ctx context.Context, flow ports.Flow) {
	o.add(ctx, "merged %s", flow)
}

func (o *recordingObserver) LockWaited(ctx context.Context, flow ports.Flow, took time.Duration) {
	o.add(ctx, "lock %s took=%v", flow, took)
}

func (o *recordingObserver) got() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

func errClass(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return string(de.Class)
	}
	if err != nil {
		return "other"
	}
	return "nil"
}

func observed(t *testing.T, f *fixture) (*usecases.Silent, *recordingObserver) {
	t.Helper()
	obs := &recordingObserver{}
	deps := f.deps()
	deps.Observer = obs
	s, err := usecases.NewSilent(f.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return s, obs
}

func wantEvents(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("the observer was told:\n%q\nwant:\n%q", got, want)
	}
}

// A cache hit: the acquisition, one hit, the source; nothing else.
func TestSilent_observer_hit(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		Accounts: []domain.Account{f.account()}, AccessTokens: []domain.AccessToken{f.accessToken("read", time.Hour)},
	}, nil)
	s, obs := observed(t, f)
	if _, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, obs.got(), []string{
		"start silent host=idp.example partition=p1",
		"lookup silent hit=true",
		"end silent source=cache err=nil",
	})
}

// A refresh: a miss, the lock's wait and the provider's time on the clock, the refresh,
// the source; every call with the context StartAcquisition returned, which the provider
// gets too (so a span in it parents the provider's HTTP spans).
func TestSilent_observer_refreshWithTheAcquisitionsContext(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
		Accounts:      []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.expectMetadata()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			f.clock.Advance(40 * time.Millisecond) // another process held it
			return fn(ctx)
		})
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, _ domain.TokenRequest) (domain.TokenResponse, error) {
		if ctx.Value(markKey{}) == nil {
			t.Error("the provider's Token got a context without the acquisition's mark")
		}
		f.clock.Advance(300 * time.Millisecond)
		return f.tokenResponse(t, testHome), nil
	})
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	s, obs := observed(t, f)
	if _, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, obs.got(), []string{
		"start silent host=idp.example partition=p1",
		"lookup silent hit=false",
		"lock silent took=40ms",
		"provider silent took=300ms err=nil",
		"refreshed silent err=nil",
		"end silent source=identity_provider err=nil",
	})
}

// A refused refresh: the provider's refusal and the failed refresh by class, and the
// acquisition's error.
func TestSilent_observer_refusedRefresh(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
		Accounts:      []domain.Account{f.account()},
	}, nil).AnyTimes()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{},
		&domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", HTTPStatus: 400})
	s, obs := observed(t, f)
	_, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account(), ForceRefresh: true})
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Acquire() = %v; want interaction required", err)
	}
	wantEvents(t, obs.got(), []string{
		"start silent host=idp.example partition=p1",
		"lock silent took=0s",
		"provider silent took=0s err=interaction_required",
		"refreshed silent err=interaction_required",
		"end silent source= err=interaction_required",
	})
}

// Refused input is an acquisition that ends at once with its class.
func TestSilent_observer_invalidInput(t *testing.T) {
	f := newFixture(t)
	s, obs := observed(t, f)
	if _, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Acquire(no account) = %v; want ErrInvalidInput", err)
	}
	wantEvents(t, obs.got(), []string{
		"start silent host=idp.example partition=p1",
		"end silent source= err=invalid_input",
	})
}
