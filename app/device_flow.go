package app

import (
	"context"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// DeviceFlow is an initiated device code flow: what to show the user, and what
// AcquireTokenByDeviceFlow polls with (see domain.DeviceFlow).
type DeviceFlow = domain.DeviceFlow

// DeviceFlowOption configures InitiateDeviceFlow: WithAuthority, WithTenantID,
// WithClaims, WithCorrelationID.
type DeviceFlowOption interface{ applyDeviceFlow(*deviceFlowCall) }

// DeviceOption configures AcquireTokenByDeviceFlow: WithAuthority and WithTenantID
// (naming the authority the flow was initiated with), WithCorrelationID.
type DeviceOption interface{ applyDevice(*deviceCall) }

type (
	deviceFlowCall struct {
		usecases.DeviceRequest
		authority authorityOverride
	}
	deviceCall struct {
		usecases.DeviceCompletion
		authority authorityOverride
	}
)

func (o AuthorityOption) applyDeviceFlow(r *deviceFlowCall)     { r.authority.url = o.url }
func (o AuthorityOption) applyDevice(r *deviceCall)             { r.authority.url = o.url }
func (o TenantIDOption) applyDeviceFlow(r *deviceFlowCall)      { r.authority.setTenant(o.tenant) }
func (o TenantIDOption) applyDevice(r *deviceCall)              { r.authority.setTenant(o.tenant) }
func (o ClaimsOption) applyDeviceFlow(r *deviceFlowCall)        { r.Claims = o.claims }
func (o CorrelationIDOption) applyDeviceFlow(r *deviceFlowCall) { r.CorrelationID = o.id }
func (o CorrelationIDOption) applyDevice(r *deviceCall)         { r.CorrelationID = o.id }

// InitiateDeviceFlow starts a device code flow (RFC 8628, MSAL's initiate_device_flow)
// for a user who signs in on another device: show them the flow's Message (or its
// VerificationURI and UserCode), then call AcquireTokenByDeviceFlow, in this request or
// a later one (keep the flow server-side with DeviceFlow.SessionJSON: its device code is
// a credential until it expires). The reserved scopes are added. A provider that offers
// no device flow is domain.ErrDiscovery.
func (c *PublicClient) InitiateDeviceFlow(ctx context.Context, scopes []string, opts ...DeviceFlowOption) (DeviceFlow, error) {
	if err := checkContext(ctx, "InitiateDeviceFlow"); err != nil {
		return DeviceFlow{}, err
	}
	call := deviceFlowCall{DeviceRequest: usecases.DeviceRequest{Scopes: scopes}}
	for _, o := range opts {
		o.applyDeviceFlow(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return DeviceFlow{}, err
	}
	return c.device.Initiate(ctx, call.DeviceRequest)
}

// AcquireTokenByDeviceFlow waits until the user completes the device flow and returns
// the tokens, cached like any user flow's (MSAL's acquire_token_by_device_flow). It
// polls at the provider's interval (5 s when it names none; 5 s more after each
// slow_down) and stops at the flow's expiry or when ctx ends. The user declining is
// domain.ErrAccessDenied; the code expiring, domain.ErrDeviceCodeExpired (also
// domain.ErrInteractionRequired); ctx ending first, domain.ErrInteractionRequired
// wrapping ctx.Err(). A flow made by another client or for another authority is
// domain.ErrInvalidFlow, as is a flow polled by another call in this process.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *PublicClient) AcquireTokenByDeviceFlow(ctx context.Context, flow DeviceFlow, opts ...DeviceOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenByDeviceFlow"); err != nil {
		return AuthResult{}, err
	}
	call := deviceCall{}
	for _, o := range opts {
		o.applyDevice(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.device.Acquire(ctx, flow, call.DeviceCompletion)
}
