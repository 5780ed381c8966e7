package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// A program links only the cache stores it imports. The memory store is built in; a
// store that needs a driver (SQLite, Postgres) lives in a package of its own under app/
// that registers its URL scheme here from init, as a database/sql driver registers its
// name, so that importing app alone pulls in neither modernc.org/sqlite nor pgx. There
// are two ways to a store, as with database/sql:
//
//   - a value: open the store with its adapter (sqlite.Open, postgres.Open) and put it in
//     Config.CacheStore. No registry, no global state: the way for libraries;
//   - a URL: import the store package (import _ "github.com/hexauth/hexauth/app/sqlitestore")
//     in package main and name the store in Config.Cache ("sqlite:///path/tokens.db").

// openTimeout bounds opening a store (connecting and migrating) inside the fx graph,
// whose constructors get no context.
const openTimeout = 30 * time.Second

// A CacheStoreOpener opens the cache stores of one or more Config.Cache URL schemes.
// Store packages register one with RegisterCacheStore. Neither method may quote the URL
// in an error: a Postgres URL can carry a password.
type CacheStoreOpener interface {
	// CheckCacheURL checks url (of a scheme the opener was registered for) without
	// opening anything: Config.Validate calls it. Errors are domain.ErrInvalidInput.
	CheckCacheURL(url string) error
	// OpenCacheStore opens the store url names. cfg is the client's configuration
	// (Logger, say); ctx bounds connecting and migrating. The caller closes the store.
	OpenCacheStore(ctx context.Context, url string, cfg Config) (ports.CacheStore, error)
}

// memoryScheme is the built-in store's Config.Cache scheme ("memory:", also the empty
// URL).
const memoryScheme = "memory"

// storePackages names the packages of this module that register a scheme, for the
// error that tells a program which one it forgot to import.
var storePackages = map[string]string{
	"sqlite":     "github.com/hexauth/hexauth/app/sqlitestore",
	"postgres":   "github.com/hexauth/hexauth/app/postgresstore",
	"postgresql": "github.com/hexauth/hexauth/app/postgresstore",
}

// storeRegistry maps schemes to openers. The program has one, cacheStores; tests build
// their own.
type storeRegistry struct {
	mu      sync.RWMutex
	openers map[string]CacheStoreOpener
}

var cacheStores = &storeRegistry{openers: map[string]CacheStoreOpener{}}

// RegisterCacheStore makes opener open the Config.Cache URLs of scheme (lower case,
// without the colon: "sqlite"). Call it from init: registering is part of a program's
// start-up, and the registry is only read afterwards. It panics if opener is nil, if the
// scheme is not a lower-case URL scheme or is "memory", or if the scheme is already
// registered: each is a programming error, found at the first run.
func RegisterCacheStore(scheme string, opener CacheStoreOpener) {
	cacheStores.register(scheme, opener)
}

func (r *storeRegistry) register(scheme string, opener CacheStoreOpener) {
	if opener == nil {
		panic("app: RegisterCacheStore: the opener is nil")
	}
	if !validScheme(scheme) || scheme != strings.ToLower(scheme) {
		panic(fmt.Sprintf("app: RegisterCacheStore: %q is not a lower-case URL scheme", scheme))
	}
	if scheme == memoryScheme {
		panic("app: RegisterCacheStore: the memory scheme is built in")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.openers[scheme]; dup {
		panic(fmt.Sprintf("app: RegisterCacheStore called twice for scheme %q", scheme))
	}
	r.openers[scheme] = opener
}

// CacheStoreSchemes returns the Config.Cache schemes this program can open, sorted:
// "memory" and every registered one.
func CacheStoreSchemes() []string { return cacheStores.schemes() }

func (r *storeRegistry) schemes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []string{memoryScheme}
	for s := range r.openers {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// validScheme reports whether s has the syntax of a URL scheme (RFC 3986 §3.1): a
// letter, then letters, digits, "+", "-" and ".".
func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// isMemoryCache reports whether raw names the built-in memory store.
func isMemoryCache(raw string) bool {
	return raw == "" || raw == "memory:" || raw == "memory://"
}

// cacheOpener returns the scheme of raw and its opener; a nil opener (and nil error)
// means the memory store. Errors name the scheme, and the package that registers it
// when this module has one, never the URL.
func cacheOpener(raw string) (string, CacheStoreOpener, error) { return cacheStores.lookup(raw) }

func (r *storeRegistry) lookup(raw string) (string, CacheStoreOpener, error) {
	if isMemoryCache(raw) {
		return memoryScheme, nil, nil
	}
	scheme, _, ok := strings.Cut(raw, ":")
	if !ok || !validScheme(scheme) {
		return "", nil, domain.Errorf(domain.ErrInvalidInput, "app: the cache URL does not start with a scheme (memory:, sqlite:, postgres:, ...)")
	}
	if scheme == memoryScheme {
		return "", nil, domain.Errorf(domain.ErrInvalidInput, "app: a memory cache URL is just memory:")
	}
	r.mu.RLock()
	opener := r.openers[scheme]
	r.mu.RUnlock()
	if opener != nil {
		return scheme, opener, nil
	}
	if pkg, ok := storePackages[scheme]; ok {
		return "", nil, domain.Errorf(domain.ErrInvalidInput, "app: no cache store is registered for scheme %q: add import _ %q to package main", scheme, pkg)
	}
	return "", nil, domain.Errorf(domain.ErrInvalidInput, "app: no cache store is registered for scheme %q: import the package that registers it (this program has %s)", scheme, strings.Join(r.schemes(), ", "))
}

// checkCache checks the store fields of c: Cache names a store this program can open,
// or CacheStore is set alone.
func (c Config) checkCache() error {
	if c.CacheStore != nil {
		if c.Cache != "" {
			return domain.Errorf(domain.ErrInvalidInput, "app: set Cache or CacheStore, not both")
		}
		if c.NearCacheBytes > 0 {
			return domain.Errorf(domain.ErrInvalidInput, "app: NearCacheBytes applies to a store opened from Cache; wrap a CacheStore in adapters/nearcache yourself")
		}
		return nil
	}
	_, opener, err := cacheOpener(c.Cache)
	if err != nil || opener == nil {
		return err
	}
	return opener.CheckCacheURL(c.Cache)
}

// CacheStoreModule returns an fx module that provides the ports.CacheStore opener opens
// from Config.Cache, closed when the graph stops. It refuses a Cache URL of another
// scheme than those given. Store packages export theirs (sqlitestore.Module).
func CacheStoreModule(opener CacheStoreOpener, schemes ...string) fx.Option {
	name := "hexauth.cache"
	if len(schemes) > 0 {
		name += "." + schemes[0]
	}
	return fx.Module(name, fx.Provide(func(lc fx.Lifecycle, cfg Config) (ports.CacheStore, error) {
		scheme, _, _ := strings.Cut(cfg.Cache, ":")
		if isMemoryCache(cfg.Cache) || !slices.Contains(schemes, scheme) {
			return nil, domain.Errorf(domain.ErrInvalidInput, "app: module %s opens only %s: cache URLs", name, strings.Join(schemes, ": or "))
		}
		return openRegistered(lc, opener, cfg)
	}))
}

// openRegistered opens cfg.Cache with opener and hands its Close to the lifecycle.
func openRegistered(lc fx.Lifecycle, opener CacheStoreOpener, cfg Config) (ports.CacheStore, error) {
	if err := opener.CheckCacheURL(cfg.Cache); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	s, err := opener.OpenCacheStore(ctx, cfg.Cache, cfg)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(s.Close))
	return s, nil
}

// ProvideCacheStore returns an fx option that provides the ports.CacheStore open
// returns, opened when the graph is built (within a 30 s bound: fx constructors get no
// context) and closed when it stops. Config.Cache is not read: this is the explicit way
// in, for a store whose configuration the program holds (sqlitestore.Provide,
// postgresstore.Provide, or your own).
func ProvideCacheStore(open func(ctx context.Context) (ports.CacheStore, error)) fx.Option {
	return fx.Provide(func(lc fx.Lifecycle) (ports.CacheStore, error) {
		if open == nil {
			return nil, domain.Errorf(domain.ErrInvalidInput, "app: ProvideCacheStore needs an open function")
		}
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		s, err := open(ctx)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, domain.Errorf(domain.ErrInvalidInput, "app: the open function of ProvideCacheStore returned no store")
		}
		lc.Append(fx.StopHook(s.Close))
		return s, nil
	})
}
