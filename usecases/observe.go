package usecases

import (
	"context"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// The flows report to the engine's ports.Observer through these methods. Each one does
// nothing, and allocates nothing, when there is no observer: the silent cache hit, the
// call a backend makes on every request, keeps its cost.

// observe runs one acquisition of flow against authority (nil: the client's) between
// StartAcquisition and EndAcquisition, with the context StartAcquisition returned. A nil
// ctx goes to acquire untouched, which refuses it (ErrInvalidInput), unobserved.
func (e *engine) observe(ctx context.Context, flow ports.Flow, authority *domain.Authority,
	acquire func(ctx context.Context) (domain.AuthResult, error)) (domain.AuthResult, error) {
	if e.obs == nil || ctx == nil {
		return acquire(ctx)
	}
	ctx = e.obs.StartAcquisition(ctx, ports.Acquisition{Flow: flow, Host: e.authority(authority).Host, Partition: e.cfg.Partition})
	res, err := acquire(ctx)
	e.obs.EndAcquisition(ctx, ports.AcquisitionOutcome{Flow: flow, Source: res.TokenSource, Err: err})
	return res, err
}

// cacheLookedUp reports whether a lookup found a token to serve as it is.
func (e *engine) cacheLookedUp(ctx context.Context, flow ports.Flow, hit bool) {
	if e.obs != nil {
		e.obs.CacheLookedUp(ctx, flow, hit)
	}
}

// refreshed reports one redemption of a cached refresh token.
func (e *engine) refreshed(ctx context.Context, flow ports.Flow, err error) {
	if e.obs != nil {
		e.obs.Refreshed(ctx, flow, err)
	}
}

// withRefreshLock runs fn under the store's refresh lock, reporting how long taking the
// lock took (the time until fn starts).
func (e *engine) withRefreshLock(ctx context.Context, flow ports.Flow, key domain.RefreshLockKey, fn func(ctx context.Context) error) error {
	if e.obs == nil {
		return e.store.WithRefreshLock(ctx, key, fn)
	}
	start, reported := e.clock.Now(), false
	return e.store.WithRefreshLock(ctx, key, func(ctx context.Context) error {
		if !reported { // a store that ran fn again would not have waited again
			reported = true
			e.obs.LockWaited(ctx, flow, e.clock.Now().Sub(start))
		}
		return fn(ctx)
	})
}

// flowOf names the flow of a redemption's operation for the observer.
func flowOf(op string) ports.Flow {
	switch op {
	case "silent":
		return ports.FlowSilent
	case "client credentials":
		return ports.FlowClientCredentials
	case "auth code":
		return ports.FlowAuthCode
	case "authorization code":
		return ports.FlowAuthorizationCode
	case "username/password":
		return ports.FlowUsernamePassword
	case "refresh token":
		return ports.FlowRefreshToken
	case "device code":
		return ports.FlowDeviceCode
	}
	return ports.Flow(op)
}
