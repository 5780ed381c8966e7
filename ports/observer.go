package ports

import (
	"context"
	"time"

	"github.com/hexauth/hexauth/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=observer.go -destination=mocks/observer.go -package=mocks

// Observer is told what the token flows do, so that an adapter can turn it into traces
// and metrics (adapters/otelobserver does, on the OpenTelemetry API). The flows call it
// on the caller's goroutine, so its methods must be safe for concurrent use, must not
// block, and must not keep what they are passed beyond the call.
//
// Nothing an Observer is passed holds a token, password, code, verifier, client secret,
// username, scope or account. Acquisition.Partition is the one value that may name a
// customer: an adapter must not export it as it is (a keyed hash will do). An error is
// passed for its class (domain.ErrorCode, found with errors.As); its text may quote the
// provider's description, which may name a user, and is no attribute to export.
//
// A nil Observer (usecases.Deps) means none, and costs the flows nothing.
type Observer interface {
	// StartAcquisition is called as a flow starts acquiring tokens. The flow makes its
	// port calls with the context returned (so a span it carries parents the provider's
	// HTTP spans) and passes that context to EndAcquisition when it returns.
	StartAcquisition(ctx context.Context, a Acquisition) context.Context
	// EndAcquisition is called once for each StartAcquisition, with its context.
	EndAcquisition(ctx context.Context, o AcquisitionOutcome)
	// CacheLookedUp reports whether an acquisition that may be served from the cache
	// was: hit when a usable token was found that needs no refresh, miss when the
	// provider has to be asked (nothing usable, or a token due for refresh).
	CacheLookedUp(ctx context.Context, flow Flow, hit bool)
	// ProviderCalled reports one token request to the identity provider: how long it
	// took (from the Clock port) and its error, nil when the provider issued tokens.
	ProviderCalled(ctx context.Context, flow Flow, took time.Duration, err error)
	// Refreshed reports one redemption of a cached refresh token and its error.
	Refreshed(ctx context.Context, flow Flow, err error)
	// FlightMerged reports a caller that waited on an identical request already in
	// flight in this process instead of making its own (single flight).
	FlightMerged(ctx context.Context, flow Flow)
	// LockWaited reports how long a flow waited for the store's refresh lock (from the
	// Clock port).
	LockWaited(ctx context.Context, flow Flow, took time.Duration)
}

// Flow names a token flow in what an Observer is told. The values are stable: they are
// exported as the attribute hexauth.flow.
type Flow string

// The flows.
const (
	FlowSilent            Flow = "silent"
	FlowClientCredentials Flow = "client_credentials"
	FlowAuthCode          Flow = "auth_code"
	FlowAuthorizationCode Flow = "authorization_code" // a code redeemed without a flow
	FlowUsernamePassword  Flow = "username_password"
	FlowRefreshToken      Flow = "refresh_token" // a refresh token the caller holds
	FlowDeviceCode        Flow = "device_code"
)

// Acquisition is what an Observer is told of an acquisition as it starts.
type Acquisition struct {
	Flow Flow
	// Host is the host (and port, if the authority URL has one) of the authority the
	// flow talks to.
	Host string
	// Partition is the cache partition. It may name a customer: never export it as is.
	Partition string
}

// AcquisitionOutcome is what an Observer is told of an acquisition as it ends.
type AcquisitionOutcome struct {
	Flow Flow
	// Source says where the tokens came from; empty when none came back.
	Source domain.TokenSource
	// Err is the flow's error, nil on success. Tokens may come back with an error
	// (domain.ErrCacheStore): Source is then set too.
	Err error
}
