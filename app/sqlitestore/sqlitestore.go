// Package sqlitestore links the SQLite cache store (adapters/sqlite, on the pure-Go
// modernc.org/sqlite driver) into package app. Importing it registers the "sqlite"
// scheme of app.Config.Cache, as importing a database/sql driver registers its name:
//
//	import _ "github.com/hexauth/hexauth/app/sqlitestore" // Config.Cache "sqlite:///path"
//
// Import it in package main (or a test), where the program's stores are chosen: a
// library that takes a store should take an app.Config.CacheStore from its caller
// instead (sqlite.Open), so that only the programs that use SQLite link it.
//
// Cache URLs: "sqlite:///path/to/tokens.db" (an absolute path after the two slashes;
// "sqlite://tokens.db" is relative to the working directory) and "sqlite::memory:" (a
// private database in memory). fx users compose Module (reads Config.Cache) or
// Provide (reads a sqlite.Config) with app.Module.
package sqlitestore

import (
	"context"
	"strings"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// Scheme is the Config.Cache URL scheme this package registers.
const Scheme = "sqlite"

func init() { app.RegisterCacheStore(Scheme, opener{}) }

// Module provides the SQLite store at the path Config.Cache names, closed when the
// graph stops. A Cache URL of another scheme fails the graph with ErrInvalidInput.
var Module = app.CacheStoreModule(opener{}, Scheme)

// Provide provides the SQLite store c configures, closed when the graph stops;
// Config.Cache is not read.
func Provide(c sqlite.Config) fx.Option {
	return app.ProvideCacheStore(func(ctx context.Context) (ports.CacheStore, error) {
		return sqlite.Open(ctx, c)
	})
}

// opener opens "sqlite:" Cache URLs.
type opener struct{}

func (opener) CheckCacheURL(url string) error {
	_, err := pathOf(url)
	return err
}

func (opener) OpenCacheStore(ctx context.Context, url string, cfg app.Config) (ports.CacheStore, error) {
	path, err := pathOf(url)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, sqlite.Config{Path: path, Logger: cfg.Logger})
}

// pathOf returns the database path of a "sqlite:" Cache URL.
func pathOf(url string) (string, error) {
	if url == "sqlite::memory:" {
		return sqlite.MemoryPath, nil
	}
	if p, ok := strings.CutPrefix(url, "sqlite://"); ok && p != "" && p != "/" {
		return p, nil
	}
	return "", domain.Errorf(domain.ErrInvalidInput, "app/sqlitestore: a SQLite cache URL is sqlite:///path/to/file.db or sqlite::memory:")
}
