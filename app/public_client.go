package app

import (
	"context"
	"errors"

	"github.com/hexauth/hexauth/domain"
	"go.uber.org/fx"
)

// PublicClient is a client that cannot keep a secret (a CLI, a desktop app, a device).
// It is safe for concurrent use.
type PublicClient struct{ *client }

// ConfidentialClient is a client that authenticates itself (a web app, a daemon). It is
// safe for concurrent use.
type ConfidentialClient struct{ *client }

// NewPublicClient validates cfg, opens the cache store and returns a client. No network
// call happens before the first flow. Close it when done.
func NewPublicClient(ctx context.Context, cfg Config) (*PublicClient, error) {
	var pc *PublicClient
	stop, err := start(ctx, cfg, fx.Populate(&pc))
	if err != nil {
		return nil, err
	}
	pc.stop = stop
	return pc, nil
}

// NewConfidentialClient is NewPublicClient for a client with a credential
// (ClientSecret or ClientCertificate); it also has AcquireTokenForClient.
func NewConfidentialClient(ctx context.Context, cfg Config, cred Credential) (*ConfidentialClient, error) {
	if cred.c.IsZero() {
		return nil, domain.Errorf(domain.ErrInvalidInput, "app: a confidential client needs a secret or a certificate")
	}
	var cc *ConfidentialClient
	stop, err := start(ctx, cfg, fx.Supply(cred), fx.Populate(&cc))
	if err != nil {
		return nil, err
	}
	cc.stop = stop
	return cc, nil
}

// start builds and starts the same fx graph an fx user would (Options), returning its
// stop function.
func start(ctx context.Context, cfg Config, extra ...fx.Option) (func(context.Context) error, error) {
	if err := checkContext(ctx, "new client"); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := fx.New(append([]fx.Option{fx.NopLogger, Options(cfg)}, extra...)...)
	if err := a.Err(); err != nil {
		return nil, rootCause(err)
	}
	if err := a.Start(ctx); err != nil {
		return nil, startErr(err)
	}
	return a.Stop, nil
}

// startErr is the error of a graph that failed to start: ours when a constructor or
// hook returned one; a context that ended first (fx gives it bare) is a cache store
// error, since opening the store is what starting waits for, so that errors.Is and the
// CLI's exit code see a class and the message says what was being done.
func startErr(err error) error {
	err = rootCause(err)
	var de *domain.Error
	if !errors.As(err, &de) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return &domain.Error{Class: domain.ErrCacheStore, Op: "app: new client", Description: "the context ended while the cache store was opening", Err: err}
	}
	return err
}

// rootCause unwraps fx's graph errors down to ours, so callers can use errors.Is on
// what a constructor returned.
func rootCause(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return err
}

// Partition returns a client that shares every adapter with c but reads and writes only
// the named partition of the cache. It is cheap: make one per tenant or per request.
func (c *PublicClient) Partition(name string) *PublicClient {
	return &PublicClient{c.inPartition(name)}
}

// Partition returns a client that shares every adapter with c but reads and writes only
// the named partition of the cache.
func (c *ConfidentialClient) Partition(name string) *ConfidentialClient {
	return &ConfidentialClient{c.inPartition(name)}
}

// AcquireTokenForClient acquires an app token with the client credentials grant; app
// tokens are cached per client and tenant, with no account.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its access token.
func (c *ConfidentialClient) AcquireTokenForClient(ctx context.Context, scopes []string, opts ...ClientOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenForClient"); err != nil {
		return AuthResult{}, err
	}
	call := clientCall{}
	call.Scopes = scopes
	for _, o := range opts {
		o.applyClient(&call)
	}
	var err error
	if call.Authority, err = c.resolve(call.authority); err != nil {
		return AuthResult{}, err
	}
	return c.client.client.Acquire(ctx, call.ClientRequest)
}
