package app

import (
	"context"
	"time"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// openTimeout bounds opening a store (connecting and migrating) inside the fx graph,
// whose constructors get no context.
const openTimeout = 30 * time.Second

// SQLite provides the SQLite cache store (adapters/sqlite) at the path Config.Cache
// names ("sqlite:///path" or "sqlite::memory:").
var SQLite = fx.Module("hexauth.sqlite",
	fx.Provide(fx.Annotate(newSQLiteStore, fx.As(new(ports.CacheStore)))),
)

// Postgres provides the Postgres cache store (adapters/postgres) at the DSN
// Config.Cache holds, in schema "hexauth" unless the URL's "schema" parameter names
// another.
var Postgres = fx.Module("hexauth.postgres",
	fx.Provide(fx.Annotate(newPostgresStore, fx.As(new(ports.CacheStore)))),
)

// HTTPIdP provides the identity provider over HTTP (adapters/httpidp), shared with every
// other running client of the process whose Config has the same HTTPClient, Transport,
// AllowedHosts, Logger and Clock: its discovery documents, key sets, connections and
// throttle windows serve them all (see shared_provider.go).
var HTTPIdP = fx.Module("hexauth.httpidp",
	fx.Provide(fx.Annotate(newHTTPIdP, fx.As(new(ports.IdentityProvider)))),
)

func newSQLiteStore(lc fx.Lifecycle, cfg Config) (*sqlite.Store, error) {
	u, err := parseCacheURL(cfg.Cache)
	if err != nil {
		return nil, err
	}
	if u.kind != cacheSQLite {
		return nil, domain.Errorf(domain.ErrInvalidInput, "app: the SQLite store needs a sqlite:///path or sqlite::memory: cache URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: u.path, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(s.Close))
	return s, nil
}

func newPostgresStore(lc fx.Lifecycle, cfg Config) (*postgres.Store, error) {
	u, err := parseCacheURL(cfg.Cache)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if u.kind != cachePostgres {
		return nil, domain.Errorf(domain.ErrInvalidInput, "app: the Postgres store needs a postgres:// cache URL")
	}
	s, err := postgres.Open(ctx, postgres.Config{DSN: u.dsn, Schema: u.schema, MaxOpenConns: u.maxConns, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(s.Close))
	return s, nil
}
