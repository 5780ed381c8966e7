package usecases

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

const (
	opDeviceInitiate = "device code: initiate"
	opDevicePoll     = "device code"
)

// DeviceRequest is what starts a device flow.
type DeviceRequest struct {
	Scopes        []string
	Authority     *domain.Authority // nil: the client's authority
	Claims        string
	CorrelationID string
}

// DeviceCompletion is what a poll of a device flow may add to the flow.
type DeviceCompletion struct {
	CorrelationID string
	// Authority must be given to complete a flow initiated with another authority than
	// the client's (DeviceRequest.Authority); the flow's must then be this one.
	Authority *domain.Authority
}

// DeviceCode is the device authorization grant (RFC 8628, MSAL's initiate_device_flow
// and acquire_token_by_device_flow): Initiate asks the provider for a user code to show
// the user, Acquire polls the token endpoint until the user approves, declines, the
// code expires or the caller's context ends, and caches the result like any user flow.
type DeviceCode struct {
	e       *engine
	polling *pollSet
}

// pollSet holds the device codes being polled in this process: one poll loop per device
// code, or two loops would race for one set of tokens and trip slow_down. Partitions
// share it.
type pollSet struct {
	mu    sync.Mutex
	codes map[string]struct{}
}

// NewDeviceCode returns the device code flow.
func NewDeviceCode(cfg Config, deps Deps) (*DeviceCode, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &DeviceCode{e: e, polling: &pollSet{codes: map[string]struct{}{}}}, nil
}

// InPartition returns the flow bound to the named cache partition.
func (d *DeviceCode) InPartition(name string) *DeviceCode {
	return &DeviceCode{e: d.e.inPartition(name), polling: d.polling}
}

// Initiate requests a device code and user code for the scopes (the reserved ones are
// added) and returns the flow to show the user: DeviceFlow.Message, or its URI and user
// code. The flow's expiry is the clock's time before the request plus expires_in.
func (d *DeviceCode) Initiate(ctx context.Context, req DeviceRequest) (domain.DeviceFlow, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes) // none: a sign-in for an ID token only
	if err != nil {
		return domain.DeviceFlow{}, err
	}
	if err := firstErr(d.e.checkOptional(req.Claims, req.CorrelationID), checkContext(ctx, opDeviceInitiate)); err != nil {
		return domain.DeviceFlow{}, err
	}
	claims, err := d.e.requestClaims(req.Claims)
	if err != nil {
		return domain.DeviceFlow{}, err
	}
	authority := d.e.authority(req.Authority)
	now := d.e.clock.Now() // before the request: the code may not outlive what the provider said
	correlationID := d.e.correlationID(req.CorrelationID)
	auth, err := d.e.idp.DeviceAuthorization(ctx, domain.DeviceAuthorizationRequest{
		Authority: authority, ClientID: d.e.cfg.ClientID, Credential: d.e.cfg.Credential,
		Scopes: domain.WithReservedScopes(scopes), Claims: claims, CorrelationID: correlationID,
	})
	if err != nil {
		return domain.DeviceFlow{}, classifyDone(opDeviceInitiate, annotate(err, opDeviceInitiate, correlationID))
	}
	flow := domain.NewDeviceFlow(auth, now, authority.URL, d.e.cfg.ClientID, scopes)
	d.e.log.InfoContext(ctx, "device flow initiated", "authority", authority.URL, "expires_on", flow.ExpiresOn,
		"interval", flow.Interval, "correlation_id", correlationID)
	return flow, nil
}

// Acquire polls the token endpoint with the flow's device code (RFC 8628 §3.4–3.5): one
// interval before each poll; authorization_pending continues; slow_down adds 5 seconds
// to the interval for the rest of the flow (up to domain.MaxDevicePollInterval). It
// returns:
//   - the result, cached like any user flow, once the user approved;
//   - ErrAccessDenied when the user declined (access_denied, Entra's authorization_declined);
//   - ErrDeviceCodeExpired (also ErrInteractionRequired) on expired_token, or when the
//     flow's expiry comes before an answer: no poll is sent after it;
//   - ErrInteractionRequired wrapping ctx.Err() when the caller's context ends while
//     waiting for the user (as AcquireTokenInteractive does);
//   - ErrInvalidFlow for a flow that is not whole, was made for another client or
//     authority, or is being polled already in this process;
//   - any other refusal of the provider as it was classified.
func (d *DeviceCode) Acquire(ctx context.Context, flow domain.DeviceFlow, c DeviceCompletion) (domain.AuthResult, error) {
	return d.e.observe(ctx, ports.FlowDeviceCode, c.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		res, err := d.acquire(ctx, flow, c)
		return res, classifyDone(opDevicePoll, err)
	})
}

func (d *DeviceCode) acquire(ctx context.Context, flow domain.DeviceFlow, c DeviceCompletion) (domain.AuthResult, error) {
	if err := firstErr(flow.Check(), domain.CheckCorrelationID(c.CorrelationID), checkContext(ctx, opDevicePoll)); err != nil {
		return domain.AuthResult{}, err
	}
	authority, err := d.flowAuthority(flow, d.e.authority(c.Authority))
	if err != nil {
		return domain.AuthResult{}, err
	}
	release, err := d.polling.claim(flow.DeviceCode)
	if err != nil {
		return domain.AuthResult{}, err
	}
	defer release()
	interval := domain.ClampDevicePollInterval(flow.Interval)
	// A flow kept in a session may have been edited: it is polled for no longer than
	// any flow could live, whatever its ExpiresOn says.
	expires := flow.ExpiresOn
	if limit := d.e.clock.Now().Add(domain.MaxDeviceFlowLifetime); expires.After(limit) {
		expires = limit
	}
	for polls := 0; ; polls++ {
		now := d.e.clock.Now()
		if !now.Add(interval).Before(expires) {
			// The code dies before the next poll may be sent: wait out its life (the
			// user may still be typing, and a caller's deadline still wins), then stop.
			if err := d.wait(ctx, expires.Sub(now)); err != nil {
				return domain.AuthResult{}, err
			}
			return domain.AuthResult{}, &domain.Error{Class: domain.ErrDeviceCodeExpired, Op: opDevicePoll,
				Description: "the device code expired before the user completed the sign-in"}
		}
		if err := d.wait(ctx, interval); err != nil {
			return domain.AuthResult{}, err
		}
		res, err := d.e.redeem(ctx, redemption{
			op:        opDevicePoll,
			req:       domain.TokenRequest{Grant: domain.GrantDeviceCode, DeviceCode: flow.DeviceCode, CorrelationID: c.CorrelationID},
			authority: authority, scopes: flow.Scopes, exposeRefreshToken: true,
		})
		var de *domain.Error
		switch {
		case err == nil, !errors.As(err, &de) || de.Class != domain.ErrAuthorizationPending:
			if err != nil && ctx.Err() != nil && !errors.Is(err, domain.ErrCacheStore) {
				return res, userWaitEnded(ctx.Err())
			}
			return res, err
		case de.Code == "slow_down":
			// RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and
			// all subsequent requests"; bounded, so an endless slow_down cannot push the
			// next poll past any reasonable wait (the expiry still ends the flow).
			interval = min(interval+domain.DevicePollSlowDown, domain.MaxDevicePollInterval)
			d.e.log.DebugContext(ctx, "device flow: slow_down", "interval", interval, "polls", polls+1)
		}
	}
}

// wait waits d on the clock (ports.Sleeper) or a real timer; a context that ends first
// is the user not finishing in the time allowed.
func (d *DeviceCode) wait(ctx context.Context, dur time.Duration) error {
	if dur <= 0 {
		return nil
	}
	var err error
	if s, ok := d.e.clock.(ports.Sleeper); ok {
		err = s.Sleep(ctx, dur)
	} else {
		t := time.NewTimer(dur)
		defer t.Stop()
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
		}
	}
	if err != nil {
		return userWaitEnded(err)
	}
	return nil
}

// userWaitEnded is the error of a device flow whose context ended while the user had
// not finished: interaction required, wrapping the context's error.
func userWaitEnded(err error) error {
	return &domain.Error{Class: domain.ErrInteractionRequired, Op: opDevicePoll,
		Description: "the context ended before the user completed the device sign-in", Err: err}
}

// flowAuthority refuses a flow made for another client or authority: its device code
// would be sent to a token endpoint, or with a client id, it was not issued for.
func (d *DeviceCode) flowAuthority(flow domain.DeviceFlow, want domain.Authority) (domain.Authority, error) {
	if flow.ClientID != d.e.cfg.ClientID {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidFlow, "the device flow was made for another client")
	}
	authority, err := domain.ParseAuthority(flow.Authority, want.Kind)
	if err != nil {
		return domain.Authority{}, &domain.Error{Class: domain.ErrInvalidFlow, Description: "the device flow has an invalid authority", Err: err}
	}
	if authority.CanonicalURL() != want.CanonicalURL() {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidFlow, "the device flow names another authority than the one completing it (initiated with another authority: name it when completing)")
	}
	return authority, nil
}

// claim marks the device code as polled by this call until release.
func (p *pollSet) claim(code domain.Secret) (release func(), err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, busy := p.codes[string(code)]; busy {
		return nil, domain.Errorf(domain.ErrInvalidFlow, "the device flow is already being polled")
	}
	p.codes[string(code)] = struct{}{}
	return func() {
		p.mu.Lock()
		delete(p.codes, string(code))
		p.mu.Unlock()
	}, nil
}
