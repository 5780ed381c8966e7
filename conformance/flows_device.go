package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// deviceEnv is a FlowEnv whose flows and provider offer the device code flow.
type deviceEnv struct {
	FlowEnv
	flows    Flows
	device   DeviceFlows
	provider DeviceProvider
}

// device runs scenario when the harness's flows and provider offer the device flow,
// and skips it, saying which lacks it, otherwise.
func device(scenario func(t *testing.T, env deviceEnv)) func(t *testing.T, env FlowEnv) {
	return func(t *testing.T, env FlowEnv) {
		f := env.Flows(flowPartition)
		d, ok := f.(DeviceFlows)
		if !ok {
			t.Skip("the harness's Flows do not implement DeviceFlows (the device code flow)")
		}
		p, ok := env.Provider.(DeviceProvider)
		if !ok {
			t.Skip("the harness's provider does not implement DeviceProvider (it cannot play the device flow's user)")
		}
		scenario(t, deviceEnv{FlowEnv: env, flows: f, device: d, provider: p})
	}
}

func (env deviceEnv) initiate(t *testing.T) domain.DeviceFlow {
	t.Helper()
	flow, err := env.device.InitiateDevice(flowContext(t), flowScopes)
	if err != nil {
		t.Fatalf("InitiateDevice = %v; want a device flow", err)
	}
	if flow.DeviceCode == "" || flow.UserCode == "" || flow.VerificationURI == "" || flow.Message == "" || flow.ExpiresOn.IsZero() {
		t.Fatalf("InitiateDevice = %v; want a device code, user code, URI, message and expiry", flow)
	}
	return flow
}

// gaps returns the time between consecutive polls.
func (env deviceEnv) gaps() []time.Duration {
	polls := env.provider.DevicePolls()
	var out []time.Duration
	for i := 1; i < len(polls); i++ {
		out = append(out, polls[i].Sub(polls[i-1]))
	}
	return out
}

// scenarioDeviceApproved: pending answers keep the engine polling at the provider's
// interval; once the user approved, the tokens are cached like any sign-in's.
func scenarioDeviceApproved(t *testing.T, env deviceEnv) {
	ctx := flowContext(t)
	flow := env.initiate(t)
	env.Provider.FailNext(domain.GrantDeviceCode, 400, "authorization_pending")
	env.Provider.FailNext(domain.GrantDeviceCode, 400, "authorization_pending")
	if err := env.provider.ApproveDevice(flow.UserCode, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	res, err := env.device.AcquireByDevice(ctx, flow)
	wantSource(t, "AcquireByDevice after approval", res, err, domain.SourceIdentityProvider)
	if res.Account.Username != "alice@example.com" || res.RefreshToken == "" {
		t.Fatalf("AcquireByDevice = %v; want alice's tokens with the issued refresh token", res)
	}
	if n := env.Provider.Calls(domain.GrantDeviceCode); n != 3 {
		t.Fatalf("device-code polls = %d; want 3 (two pending, then the tokens)", n)
	}
	for i, g := range env.gaps() {
		if g != flow.Interval {
			t.Fatalf("poll %d came %v after the one before; want the flow's interval %v", i+2, g, flow.Interval)
		}
	}
	hit, err := env.flows.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent after the device flow", hit, err, domain.SourceCache)
}

// scenarioDeviceSlowDown: slow_down adds 5 seconds to the interval for this and every
// later poll (RFC 8628 §3.5), read from the provider's request times.
func scenarioDeviceSlowDown(t *testing.T, env deviceEnv) {
	flow := env.initiate(t)
	env.Provider.FailNext(domain.GrantDeviceCode, 400, "slow_down")
	env.Provider.FailNext(domain.GrantDeviceCode, 400, "authorization_pending")
	if err := env.provider.ApproveDevice(flow.UserCode, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.device.AcquireByDevice(flowContext(t), flow); err != nil {
		t.Fatalf("AcquireByDevice = %v; want tokens", err)
	}
	want := flow.Interval + 5*time.Second
	gaps := env.gaps()
	if len(gaps) != 2 || gaps[0] != want || gaps[1] != want {
		t.Fatalf("waits between polls = %v; want [%v %v] (slow_down adds 5 s for the rest of the flow)", gaps, want, want)
	}
}

// scenarioDeviceDenied: a user who declines is ErrAccessDenied, not interaction
// required nor expiry, and nothing is cached.
func scenarioDeviceDenied(t *testing.T, env deviceEnv) {
	ctx := flowContext(t)
	flow := env.initiate(t)
	if err := env.provider.DenyDevice(flow.UserCode); err != nil {
		t.Fatal(err)
	}
	_, err := env.device.AcquireByDevice(ctx, flow)
	if !errors.Is(err, domain.ErrAccessDenied) || errors.Is(err, domain.ErrInteractionRequired) || errors.Is(err, domain.ErrDeviceCodeExpired) {
		t.Fatalf("AcquireByDevice after denial = %v; want ErrAccessDenied only", err)
	}
	if accts, err := env.flows.Accounts(ctx, ""); err != nil || len(accts) != 0 {
		t.Fatalf("Accounts after a denial = %v, %v; want none", accts, err)
	}
}

// scenarioDeviceExpired: expired_token, and a flow whose expiry passes while polling,
// are ErrDeviceCodeExpired (interaction required); no poll is sent after the expiry.
func scenarioDeviceExpired(t *testing.T, env deviceEnv) {
	ctx := flowContext(t)
	flow := env.initiate(t)
	env.Provider.FailNext(domain.GrantDeviceCode, 400, "expired_token")
	if _, err := env.device.AcquireByDevice(ctx, flow); !errors.Is(err, domain.ErrDeviceCodeExpired) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("AcquireByDevice after expired_token = %v; want ErrDeviceCodeExpired", err)
	}
	flow = env.initiate(t) // never approved: polled until it expires
	_, err := env.device.AcquireByDevice(ctx, flow)
	if !errors.Is(err, domain.ErrDeviceCodeExpired) || !errors.Is(err, domain.ErrInteractionRequired) || errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("AcquireByDevice never approved = %v; want ErrDeviceCodeExpired", err)
	}
	polls := env.provider.DevicePolls()
	if last := polls[len(polls)-1]; !last.Before(flow.ExpiresOn) {
		t.Fatalf("a poll at %v, not before the flow's expiry %v", last, flow.ExpiresOn)
	}
}

// pollCancel is a context that is cancelled once the provider has received n polls:
// the engine sees it when it next checks, while waiting for the interval.
type pollCancel struct {
	context.Context
	cancel context.CancelFunc
	p      FakeProvider
	n      int
}

func (c pollCancel) Err() error {
	if c.p.Calls(domain.GrantDeviceCode) >= c.n {
		c.cancel()
	}
	return c.Context.Err()
}

// scenarioDeviceCancelled: the caller's context ending stops the polling at once, as
// interaction required wrapping the context's error.
func scenarioDeviceCancelled(t *testing.T, env deviceEnv) {
	flow := env.initiate(t)
	ctx, cancel := context.WithCancel(flowContext(t))
	defer cancel()
	_, err := env.device.AcquireByDevice(pollCancel{Context: ctx, cancel: cancel, p: env.Provider, n: 2}, flow)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("AcquireByDevice cancelled = %v; want ErrInteractionRequired wrapping context.Canceled", err)
	}
	if n := env.Provider.Calls(domain.GrantDeviceCode); n != 2 {
		t.Fatalf("polls = %d; want 2 (none after the context ended)", n)
	}
}

const secondPublicClient = "conformance-other-app"

func withSecondPublicClient(s *FlowSetup) {
	s.Clients = append(s.Clients, FlowClient{ID: secondPublicClient})
}

// scenarioDeviceOtherClient: a flow started by one client is refused by another before
// any poll: its device code is bound to the client it was issued to.
func scenarioDeviceOtherClient(t *testing.T, env deviceEnv) {
	flow := env.initiate(t)
	other, ok := env.ClientFlows(secondPublicClient, flowPartition).(DeviceFlows)
	if !ok {
		t.Skip("the harness's Flows do not implement DeviceFlows")
	}
	if _, err := other.AcquireByDevice(flowContext(t), flow); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("AcquireByDevice by another client = %v; want ErrInvalidFlow", err)
	}
	if n := env.Provider.Calls(domain.GrantDeviceCode); n != 0 {
		t.Fatalf("polls = %d; want none", n)
	}
}
