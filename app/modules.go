package app

import (
	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
	"go.uber.org/fx"
)

// Module is the core of the fx graph: from a Config, a ports.IdentityProvider and a
// ports.CacheStore it provides the *Engine, a *PublicClient and, when a Credential is
// supplied, a *ConfidentialClient. Add one store module (Memory, sqlitestore.Module,
// postgresstore.Module, their Provide options, or your own) and one identity-provider
// module (HTTPIdP, or InProcessIdP).
//
// Sealing and the clock are the Module's own, so every composition that includes it
// behaves as NewPublicClient does: Config.SealingKey seals whatever store the graph
// has (a key that cannot be used fails the start, never a silent clear-text store),
// and the clock is a ports.Clock in the graph if one is supplied, else Config.Clock,
// else the system clock.
var Module = fx.Module("hexauth",
	fx.Provide(
		newGraphEngine,
		newGraphPublicClient,
		newGraphConfidentialClient,
	),
)

// Memory provides the in-memory cache store (adapters/memory).
var Memory = fx.Module("hexauth.memory",
	fx.Provide(fx.Annotate(newMemoryStore, fx.As(new(ports.CacheStore)))),
)

// Options returns the whole graph NewPublicClient builds for cfg: Module (which seals
// and keeps the clock), the store (Config.CacheStore, or the one Config.Cache names,
// whose scheme must be registered: see RegisterCacheStore) and the identity provider
// (Config.IdentityProvider or HTTPIdP).
func Options(cfg Config) fx.Option {
	opts := []fx.Option{fx.Supply(cfg), Module, storeModule(cfg)}
	if d := storeDecorator(cfg); d != nil {
		opts = append(opts, d)
	}
	if cfg.IdentityProvider != nil {
		opts = append(opts, InProcessIdP(cfg.IdentityProvider))
	} else {
		opts = append(opts, HTTPIdP)
	}
	return fx.Options(opts...)
}

// InProcessIdP supplies an identity provider built outside the graph, such as the
// in-process fake of adapters/memory.
func InProcessIdP(idp ports.IdentityProvider) fx.Option {
	return fx.Supply(fx.Annotate(idp, fx.As(new(ports.IdentityProvider))))
}

// storeModule is the store of cfg: Config.CacheStore as given (the caller closes it),
// else the store Config.Cache names, opened by the graph and closed when it stops.
func storeModule(cfg Config) fx.Option {
	if cfg.CacheStore != nil {
		return fx.Supply(fx.Annotate(cfg.CacheStore, fx.As(new(ports.CacheStore))))
	}
	scheme, opener, _ := cacheOpener(cfg.Cache) // validated by Config.Validate
	if opener == nil {
		return Memory
	}
	return fx.Module("hexauth.cache."+scheme, fx.Provide(func(lc fx.Lifecycle, cfg Config) (ports.CacheStore, error) {
		return openRegistered(lc, opener, cfg)
	}))
}

type engineIn struct {
	fx.In
	Config           Config
	IdentityProvider ports.IdentityProvider
	Store            ports.CacheStore
	Clock            ports.Clock `optional:"true"`
}

func newGraphEngine(in engineIn) (*Engine, error) {
	return NewEngine(EngineParams{Config: in.Config, IdentityProvider: in.IdentityProvider, Store: in.Store, Clock: in.Clock})
}

func newGraphPublicClient(e *Engine) (*PublicClient, error) {
	c, err := newClient(e, "", Credential{}.c)
	if err != nil {
		return nil, err
	}
	return &PublicClient{c}, nil
}

func newGraphConfidentialClient(e *Engine, cred Credential) (*ConfidentialClient, error) {
	c, err := newClient(e, "", cred.c)
	if err != nil {
		return nil, err
	}
	return &ConfidentialClient{c}, nil
}

func newMemoryStore(lc fx.Lifecycle, cfg Config) (*memory.Store, error) {
	s, err := memory.NewStore(memory.StoreConfig{Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(s.Close))
	return s, nil
}

// storeDecorator wraps the graph's store, when cfg asks for it, in a near cache
// (cfg.NearCacheBytes, a store opened from a Cache URL other than memory:); nil
// otherwise. NewEngine seals on top
// of it (cfg.SealingKey), so the near entries hold sealed secrets, as the store does.
func storeDecorator(cfg Config) fx.Option {
	if cfg.NearCacheBytes <= 0 || cfg.CacheStore != nil || isMemoryCache(cfg.Cache) {
		return nil
	}
	return fx.Decorate(func(lc fx.Lifecycle, store ports.CacheStore, cfg Config) (ports.CacheStore, error) {
		return newNearCache(lc, store, cfg)
	})
}

// newNearCache wraps store in a near cache, closed (listener first, then the store)
// when the graph stops. It reads the system clock, not Config.Clock: its bounds are
// wall-clock intervals between processes, which a test clock standing still would
// stretch forever.
func newNearCache(lc fx.Lifecycle, store ports.CacheStore, cfg Config) (ports.CacheStore, error) {
	near, err := nearcache.New(store, nearcache.Config{MaxBytes: cfg.NearCacheBytes, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(near.Close))
	return near, nil
}

// sealStore wraps the graph's store so token secrets are sealed at rest.
func sealStore(store ports.CacheStore, cfg Config) (ports.CacheStore, error) {
	sealer, err := aesgcm.New(cfg.SealingKey)
	if err != nil {
		return nil, err
	}
	var opts []usecases.SealOption
	if cfg.RequireSealed {
		opts = append(opts, usecases.RequireSealed())
	}
	return usecases.SealedStore(store, sealer, cfg.Logger, opts...), nil
}
