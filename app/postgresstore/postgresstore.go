// Package postgresstore links the Postgres cache store (adapters/postgres, on pgx) into
// package app. Importing it registers the "postgres" and "postgresql" schemes of
// app.Config.Cache, as importing a database/sql driver registers its name:
//
//	import _ "github.com/hexauth/hexauth/app/postgresstore" // Config.Cache "postgres://..."
//
// Import it in package main (or a test), where the program's stores are chosen: a
// library that takes a store should take an app.Config.CacheStore from its caller
// instead (postgres.Open), so that only the programs that use Postgres link pgx.
//
// A Cache URL is a PostgreSQL connection URL, plus hexauth's own query parameters,
// which are taken out before the URL reaches the server (it would refuse them as unknown
// run-time parameters): "schema" (the schema of the cache tables, default "hexauth")
// and "max_conns" (the connection cap, default 10). fx users compose Module (reads
// Config.Cache) or Provide (reads a postgres.Config) with app.Module.
package postgresstore

import (
	"context"
	"net/url"
	"strconv"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// Scheme and AltScheme are the Config.Cache URL schemes this package registers.
const (
	Scheme    = "postgres"
	AltScheme = "postgresql"
)

func init() {
	app.RegisterCacheStore(Scheme, opener{})
	app.RegisterCacheStore(AltScheme, opener{})
}

// Module provides the Postgres store at the URL Config.Cache holds, closed when the
// graph stops. A Cache URL of another scheme fails the graph with ErrInvalidInput.
var Module = app.CacheStoreModule(opener{}, Scheme, AltScheme)

// Provide provides the Postgres store c configures, closed when the graph stops;
// Config.Cache is not read.
func Provide(c postgres.Config) fx.Option {
	return app.ProvideCacheStore(func(ctx context.Context) (ports.CacheStore, error) {
		return postgres.Open(ctx, c)
	})
}

// opener opens "postgres:" and "postgresql:" Cache URLs.
type opener struct{}

func (opener) CheckCacheURL(url string) error {
	c, err := configOf(url)
	if err != nil {
		return err
	}
	return c.Validate()
}

func (opener) OpenCacheStore(ctx context.Context, url string, cfg app.Config) (ports.CacheStore, error) {
	c, err := configOf(url)
	if err != nil {
		return nil, err
	}
	c.Logger = cfg.Logger
	return postgres.Open(ctx, c)
}

// configOf takes hexauth's own parameters (schema, max_conns) out of a Postgres Cache
// URL and leaves the rest to the driver. Errors never quote the URL: it may hold a
// password.
func configOf(raw string) (postgres.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return postgres.Config{}, domain.Errorf(domain.ErrInvalidInput, "app/postgresstore: the postgres cache URL does not parse")
	}
	c := postgres.Config{DSN: raw}
	q := u.Query()
	c.Schema = q.Get("schema")
	if v := q.Get("max_conns"); v != "" {
		if c.MaxOpenConns, err = strconv.Atoi(v); err != nil || c.MaxOpenConns < 1 {
			return postgres.Config{}, domain.Errorf(domain.ErrInvalidInput, "app/postgresstore: the postgres cache URL's max_conns must be a positive number")
		}
	}
	if q.Has("schema") || q.Has("max_conns") {
		q.Del("schema")
		q.Del("max_conns")
		u.RawQuery = q.Encode()
		c.DSN = u.String()
	}
	return c, nil
}
