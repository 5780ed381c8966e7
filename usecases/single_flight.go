package usecases

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"golang.org/x/sync/singleflight"
)

// flight names a shared call for its errors, logs and observer.
type flight struct {
	op   string
	flow ports.Flow
	e    *engine // its logger and observer
}

// flightResult is what one shared call hands to its waiters.
type flightResult struct {
	res domain.AuthResult
	// expired: the call ran out of the time of the caller that started it, whose
	// deadline it was, so its error says nothing about a waiter with a later deadline.
	expired  bool
	deadline time.Time
}

// shared runs fn once per key at a time in this process and hands its result to every
// caller waiting on that key. fn runs detached from the first caller's cancellation
// (keeping its deadline), so that one caller giving up does not fail the others; each
// caller still stops waiting when its own ctx is done. When the shared call fails
// because the first caller's deadline passed, a waiter with time left tries again under
// its own deadline. A panic in fn (a port adapter's bug) becomes an error for every
// waiter instead of crashing the process from a goroutine no caller can recover in.
//
// A caller whose fn did not run waited on another caller's call: the observer is told
// of the merge.
func shared(ctx context.Context, g *singleflight.Group, key string, fl flight, fn func(ctx context.Context) (domain.AuthResult, error)) (domain.AuthResult, error) {
	for {
		var ran atomic.Bool // fn runs on DoChan's goroutine
		ch := g.DoChan(key, func() (v any, err error) {
			ran.Store(true)
			work := context.WithoutCancel(ctx)
			dl, hasDeadline := ctx.Deadline()
			if hasDeadline {
				var cancel context.CancelFunc
				work, cancel = context.WithDeadline(work, dl)
				defer cancel()
			}
			defer func() {
				if p := recover(); p != nil {
					// The panic value may hold anything, secrets included: keep only its type,
					// and log where it happened.
					fl.e.log.ErrorContext(ctx, "a port adapter panicked during a shared token request",
						"op", fl.op, "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
					v, err = flightResult{}, &domain.Error{Class: domain.ErrUnavailable, Op: fl.op,
						Description: "a port adapter panicked", Err: fmt.Errorf("panic with a %T value", p)}
				}
			}()
			res, err := fn(work)
			return flightResult{res: res, expired: err != nil && work.Err() != nil, deadline: dl}, err
		})
		select {
		case r := <-ch:
			fl.merged(ctx, &ran)
			fr, _ := r.Val.(flightResult)
			if r.Err == nil {
				return ownResult(fr.res), nil
			}
			if fr.expired && fr.res.AccessToken == "" && ctx.Err() == nil && laterDeadline(ctx, fr.deadline) {
				continue // a retry with tokens in hand would redeem a spent refresh token
			}
			return withTokens(ownResult(fr.res), r.Err)
		case <-ctx.Done():
			return domain.AuthResult{}, ctx.Err()
		}
	}
}

// ownResult returns a copy of a shared call's result that shares nothing a caller could
// modify with the copies the call's other waiters get: every waiter receives the one
// value, and a caller that edits its claims, scopes or account (a handler normalising a
// name, a middleware filtering scopes) must not change another request's, as a cache
// hit already hands each caller its own claims (claims_cache.go). The raw claims inside
// IDTokenClaims are only ever handed out in copies (IDTokenClaims.Clone).
func ownResult(res domain.AuthResult) domain.AuthResult {
	res.Scopes = slices.Clone(res.Scopes)
	if res.IDTokenClaims != nil {
		res.IDTokenClaims = res.IDTokenClaims.Clone()
	}
	if res.Account.Extra != nil {
		extra := make(map[string]json.RawMessage, len(res.Account.Extra))
		for k, v := range res.Account.Extra {
			extra[k] = slices.Clone(v)
		}
		res.Account.Extra = extra
	}
	return res
}

// merged tells the observer that the caller got the result of another's call, when its
// own fn did not run. (A caller that gives up first is not counted: it cannot tell
// whether its own fn had yet to start.)
func (fl flight) merged(ctx context.Context, ran *atomic.Bool) {
	if fl.e.obs != nil && !ran.Load() {
		fl.e.obs.FlightMerged(ctx, fl.flow)
	}
}

// laterDeadline reports whether ctx allows more time than a call that ran until
// deadline (no deadline is later than any).
func laterDeadline(ctx context.Context, deadline time.Time) bool {
	dl, ok := ctx.Deadline()
	return !ok || dl.After(deadline)
}
