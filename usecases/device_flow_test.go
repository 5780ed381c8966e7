package usecases_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// DeviceAuthorization completes noProvider (silent_bench_test.go): a cache hit must not
// start a device flow either.
func (noProvider) DeviceAuthorization(context.Context, domain.DeviceAuthorizationRequest) (domain.DeviceAuthorization, error) {
	return domain.DeviceAuthorization{}, fmt.Errorf("provider called on a cache hit")
}

const deviceUser = "dana@example.com"

// deviceScene is a device flow against the in-process fake on a memory clock, whose
// Sleep moves time: every wait is instant and every poll time exact.
type deviceScene struct {
	idp   *memory.IdentityProvider
	store ports.CacheStore
	clock *memory.Clock
	cfg   usecases.Config
	flow  *usecases.DeviceCode
	logs  *bytes.Buffer
}

func newDeviceScene(t *testing.T) *deviceScene {
	t.Helper()
	clock := memory.NewClock(t0)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{Clock: clock,
		Users:   []memory.User{{Username: deviceUser, Password: "pw"}},
		Clients: []memory.Client{{ID: testClient}, {ID: "other-client"}}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	a, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	sc := &deviceScene{idp: idp, store: store, clock: clock, logs: &bytes.Buffer{}}
	sc.cfg = usecases.Config{ClientID: testClient, Authority: a, Partition: "p1",
		Logger: slog.New(slog.NewJSONHandler(sc.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	sc.flow = sc.newFlow(t, sc.cfg, idp)
	return sc
}

func (sc *deviceScene) newFlow(t *testing.T, cfg usecases.Config, idp ports.IdentityProvider) *usecases.DeviceCode {
	t.Helper()
	f, err := usecases.NewDeviceCode(cfg, usecases.Deps{IdentityProvider: idp, Store: sc.store, Clock: sc.clock})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (sc *deviceScene) initiate(t *testing.T) domain.DeviceFlow {
	t.Helper()
	flow, err := sc.flow.Initiate(testContext(t), usecases.DeviceRequest{Scopes: []string{"read"}})
	if err != nil {
		t.Fatalf("Initiate: %v", err)
	}
	return flow
}

// gaps returns the waits between the flow's start and each poll, then between polls.
func (sc *deviceScene) gaps(start time.Time) []time.Duration {
	var out []time.Duration
	prev := start
	for _, p := range sc.idp.DevicePolls() {
		out = append(out, p.Sub(prev))
		prev = p
	}
	return out
}

func TestDeviceCode_Acquire_approvedAfterPending(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	if flow.Interval != 5*time.Second || !flow.ExpiresOn.Equal(t0.Add(15*time.Minute)) || flow.UserCode == "" {
		t.Fatalf("flow = %v; want a 5 s interval, expiry in 15 min and a user code", flow)
	}
	pending := &domain.Error{Code: "authorization_pending", HTTPStatus: 400}
	sc.idp.FailNext(domain.GrantDeviceCode, pending)
	sc.idp.FailNext(domain.GrantDeviceCode, pending)
	if err := sc.idp.ApproveDevice(flow.UserCode, deviceUser); err != nil {
		t.Fatal(err)
	}
	res, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if err != nil || res.AccessToken == "" || res.RefreshToken == "" || res.Account.Username != deviceUser {
		t.Fatalf("Acquire = %v, %v; want tokens for %s", res, err, deviceUser)
	}
	if n := sc.idp.Calls(domain.GrantDeviceCode); n != 3 {
		t.Errorf("device-code polls = %d; want 3 (two pending, then the tokens)", n)
	}
	if got := sc.clock.Now().Sub(t0); got != 15*time.Second {
		t.Errorf("time spent polling = %v; want 15s (one 5 s interval before each of 3 polls)", got)
	}
	// Cached like any user flow: silent finds the account's token without the provider.
	// The hit checks the cached token's iss against the provider's discovery document
	// (which adapters cache); no token request is made.
	silent, err := usecases.NewSilent(sc.cfg, usecases.Deps{IdentityProvider: metadataOnly{idp: sc.idp}, Store: sc.store, Clock: sc.clock})
	if err != nil {
		t.Fatal(err)
	}
	hit, err := silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: res.Account})
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent after the device flow = %v, %v; want the device flow's token from the cache", hit, err)
	}
}

func TestDeviceCode_Acquire_slowDownWidensInterval(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "slow_down", HTTPStatus: 400})
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "authorization_pending", HTTPStatus: 400})
	if err := sc.idp.ApproveDevice(flow.UserCode, deviceUser); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{}); err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	// Scripted answers are not recorded as polls; the real poll comes last.
	want := 5*time.Second + 10*time.Second + 10*time.Second
	if got := sc.clock.Now().Sub(t0); got != want {
		t.Errorf("time to approval = %v; want %v (5 s, then 10 s for this and every later poll, RFC 8628 §3.5)", got, want)
	}
}

func TestDeviceCode_Acquire_endlessSlowDownIsBounded(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	for range 500 {
		sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "slow_down", HTTPStatus: 400})
	}
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrDeviceCodeExpired) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Acquire under endless slow_down = %v; want ErrDeviceCodeExpired at the flow's expiry", err)
	}
	// 5+10+...+60 (12 polls, 390 s), then a poll a minute until 15 min: 20 polls in all.
	if n := sc.idp.Calls(domain.GrantDeviceCode); n != 20 {
		t.Errorf("polls = %d; want 20 (interval capped at %v, none after the expiry)", n, domain.MaxDevicePollInterval)
	}
	if now := sc.clock.Now(); now.After(flow.ExpiresOn) {
		t.Errorf("polling ran until %v, past the flow's expiry %v", now, flow.ExpiresOn)
	}
}

func TestDeviceCode_Acquire_denied(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	if err := sc.idp.DenyDevice(flow.UserCode); err != nil {
		t.Fatal(err)
	}
	res, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrAccessDenied) || errors.Is(err, domain.ErrInteractionRequired) || errors.Is(err, domain.ErrDeviceCodeExpired) || res.AccessToken != "" {
		t.Fatalf("Acquire after denial = %v, %v; want ErrAccessDenied only", res, err)
	}
}

func TestDeviceCode_Acquire_entraDeclined(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "authorization_declined", HTTPStatus: 400})
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("Acquire after Entra's authorization_declined = %v; want ErrAccessDenied", err)
	}
}

func TestDeviceCode_Acquire_expiresWithoutPollingPastExpiry(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrDeviceCodeExpired) || !errors.Is(err, domain.ErrInteractionRequired) || errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("Acquire never approved = %v; want ErrDeviceCodeExpired (interaction required)", err)
	}
	polls := sc.idp.DevicePolls()
	if len(polls) != 179 { // every 5 s from 5 s to 14:55
		t.Errorf("polls = %d; want 179", len(polls))
	}
	for _, p := range polls {
		if !p.Before(flow.ExpiresOn) {
			t.Fatalf("a poll at %v, not before the expiry %v", p, flow.ExpiresOn)
		}
	}
	for i, g := range sc.gaps(t0) {
		if g < 5*time.Second {
			t.Fatalf("poll %d came %v after the previous; want at least the 5 s interval", i, g)
		}
	}
}

func TestDeviceCode_Acquire_expiredToken(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "expired_token", HTTPStatus: 400})
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrDeviceCodeExpired) || sc.idp.Calls(domain.GrantDeviceCode) != 1 {
		t.Fatalf("Acquire after expired_token = %v (%d polls); want ErrDeviceCodeExpired after one poll", err, sc.idp.Calls(domain.GrantDeviceCode))
	}
}

// cancelOnPoll cancels its context when the provider is polled the n-th time.
type cancelOnPoll struct {
	ports.IdentityProvider
	n, seen int
	cancel  context.CancelFunc
}

func (c *cancelOnPoll) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if c.seen++; c.seen == c.n {
		c.cancel()
	}
	return c.IdentityProvider.Token(ctx, req)
}

func TestDeviceCode_Acquire_contextCancelled(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	c := &cancelOnPoll{IdentityProvider: sc.idp, n: 2, cancel: cancel}
	_, err := sc.newFlow(t, sc.cfg, c).Acquire(ctx, flow, usecases.DeviceCompletion{})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Acquire cancelled = %v; want ErrInteractionRequired wrapping context.Canceled", err)
	}
	if c.seen != 2 {
		t.Errorf("polls = %d; want 2 (none after the cancellation)", c.seen)
	}
}

func TestDeviceCode_Acquire_refusesForeignFlows(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	other := flow
	other.ClientID = "other-client"
	otherAuthority := flow
	otherAuthority.Authority = "https://idp.example/realms/b"
	redacted := flow
	redacted.DeviceCode = domain.Secret(flow.DeviceCode.String())
	tampered := flow
	tampered.DeviceCode = "code\nwith a line break"
	for _, tc := range []struct {
		name string
		flow domain.DeviceFlow
	}{
		{"another client", other}, {"another authority", otherAuthority},
		{"a redacted device code", redacted}, {"a device code that is not VSCHAR", tampered},
		{"no expiry", func() domain.DeviceFlow { f := flow; f.ExpiresOn = time.Time{}; return f }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sc.flow.Acquire(testContext(t), tc.flow, usecases.DeviceCompletion{})
			if !errors.Is(err, domain.ErrInvalidFlow) {
				t.Fatalf("Acquire = %v; want ErrInvalidFlow", err)
			}
			if n := sc.idp.Calls(domain.GrantDeviceCode); n != 0 {
				t.Fatalf("polls = %d; want none for a refused flow", n)
			}
		})
	}
}

// blockingPoll holds the first poll until released (entered is closed once it is
// held); later polls pass at once.
type blockingPoll struct {
	ports.IdentityProvider
	calls            atomic.Int32
	entered, release chan struct{}
}

func (b *blockingPoll) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if b.calls.Add(1) == 1 {
		close(b.entered)
		<-b.release
	}
	return b.IdentityProvider.Token(ctx, req)
}

func TestDeviceCode_Acquire_onePollLoopPerCode(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	if err := sc.idp.ApproveDevice(flow.UserCode, deviceUser); err != nil {
		t.Fatal(err)
	}
	b := &blockingPoll{IdentityProvider: sc.idp, entered: make(chan struct{}), release: make(chan struct{})}
	f := sc.newFlow(t, sc.cfg, b)
	done := make(chan error, 1)
	go func() {
		_, err := f.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
		done <- err
	}()
	<-b.entered
	_, err := f.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	close(b.release)
	if !errors.Is(err, domain.ErrInvalidFlow) {
		t.Errorf("second concurrent Acquire = %v; want ErrInvalidFlow (already being polled)", err)
	}
	if err := <-done; err != nil {
		t.Errorf("first Acquire = %v; want the tokens", err)
	}
}

func TestDeviceCode_Acquire_tamperedIntervalIsClamped(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	flow.Interval = 0 // a flow kept in a session and edited: no hot loop
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "authorization_pending", HTTPStatus: 400})
	if err := sc.idp.ApproveDevice(flow.UserCode, deviceUser); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{}); err != nil {
		t.Fatal(err)
	}
	if got := sc.clock.Now().Sub(t0); got != 10*time.Second {
		t.Errorf("time for two polls = %v; want 10s (a zero interval is the 5 s default)", got)
	}
}

func TestDeviceCode_neverLogsTheDeviceCode(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	sc.idp.FailNextEchoing(domain.GrantDeviceCode, &domain.Error{Code: "authorization_pending", HTTPStatus: 400})
	sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "slow_down", HTTPStatus: 400})
	sc.idp.FailNextEchoing(domain.GrantDeviceCode, &domain.Error{Code: "access_denied", HTTPStatus: 400})
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("Acquire = %v; want ErrAccessDenied", err)
	}
	code := string(flow.DeviceCode)
	if strings.Contains(sc.logs.String(), code) || strings.Contains(err.Error(), code) {
		t.Fatalf("the device code leaked into the logs or the error:\n%s\n%v", sc.logs, err)
	}
	if !strings.Contains(sc.logs.String(), "device flow initiated") {
		t.Fatalf("logs = %s; want the initiation logged (without its code)", sc.logs)
	}
}

// The device flow without API scopes is a sign-in for an ID token only (DESIGN §3):
// the device authorization asks for the reserved scopes alone, the result is for the ID
// token, and silent serves that ID token from the cache afterwards.
func TestDeviceCode_signInWithoutScopes(t *testing.T) {
	sc := newDeviceScene(t)
	flow, err := sc.flow.Initiate(testContext(t), usecases.DeviceRequest{Scopes: []string{"openid"}})
	if err != nil {
		t.Fatalf("Initiate without API scopes: %v", err)
	}
	if err := sc.idp.ApproveDevice(flow.UserCode, deviceUser); err != nil {
		t.Fatal(err)
	}
	res, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if err != nil || !res.IDTokenOnly() || res.IDTokenClaims == nil || res.Account.Username != deviceUser ||
		!res.ExpiresOn.Equal(res.IDTokenClaims.Expiry) {
		t.Fatalf("Acquire = %v, %v; want an ID-token-only sign-in of %s", res, err, deviceUser)
	}
	// The hit checks the cached token's iss against the provider's discovery document
	// (which adapters cache); no token request is made.
	silent, err := usecases.NewSilent(sc.cfg, usecases.Deps{IdentityProvider: metadataOnly{idp: sc.idp}, Store: sc.store, Clock: sc.clock})
	if err != nil {
		t.Fatal(err)
	}
	hit, err := silent.Acquire(testContext(t), usecases.SilentRequest{Account: res.Account})
	if err != nil || hit.TokenSource != domain.SourceCache || hit.IDToken != res.IDToken || !hit.IDTokenOnly() {
		t.Fatalf("silent sign-in after the device flow = %v, %v; want its ID token from the cache", hit, err)
	}
}

func TestDeviceCode_Initiate_validatesInput(t *testing.T) {
	sc := newDeviceScene(t)
	for _, scopes := range [][]string{{"openid", "bad\tscope"}, {"bad\nscope"}} {
		if _, err := sc.flow.Initiate(testContext(t), usecases.DeviceRequest{Scopes: scopes}); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Initiate(%q) = %v; want ErrInvalidInput", scopes, err)
		}
	}
	var nilCtx context.Context
	if _, err := sc.flow.Initiate(nilCtx, usecases.DeviceRequest{Scopes: []string{"read"}}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Initiate(nil ctx) = %v; want ErrInvalidInput", err)
	}
}

func TestDeviceCode_Acquire_editedExpiryIsBounded(t *testing.T) {
	sc := newDeviceScene(t)
	flow := sc.initiate(t)
	flow.ExpiresOn = t0.AddDate(10, 0, 0) // a session edited to poll for ten years
	for range 1000 {
		sc.idp.FailNext(domain.GrantDeviceCode, &domain.Error{Code: "authorization_pending", HTTPStatus: 400})
	}
	_, err := sc.flow.Acquire(testContext(t), flow, usecases.DeviceCompletion{})
	if !errors.Is(err, domain.ErrDeviceCodeExpired) {
		t.Fatalf("Acquire = %v; want ErrDeviceCodeExpired", err)
	}
	if got := sc.clock.Now().Sub(t0); got != domain.MaxDeviceFlowLifetime {
		t.Errorf("polled for %v; want at most %v", got, domain.MaxDeviceFlowLifetime)
	}
}

// metadataOnly answers discovery from idp and fails every other provider call.
type metadataOnly struct {
	noProvider
	idp ports.IdentityProvider
}

func (m metadataOnly) Metadata(ctx context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
	return m.idp.Metadata(ctx, a)
}
