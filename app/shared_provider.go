package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// One HTTP identity provider per process: the clients of a process share its discovery
// documents, key sets, connections and Retry-After and fail-fast windows (DESIGN §5).
// Clients whose Configs agree on everything the adapter is built from — HTTPClient,
// Transport, AllowedHosts, Logger and Clock — share one *httpidp.Provider; a client
// whose Config differs in any of them gets another. The registry counts the running
// clients of each provider: a provider is registered when the first of them starts and
// forgotten (its idle connections closed, unless they belong to the caller's transport)
// when the last one stops, so closing one client never breaks another and a process
// that creates and closes clients holds no provider it no longer uses. Set
// Config.IdentityProvider to give a client a provider of its own.

// providerKey is what an HTTP provider is built from. Clients with equal keys share one.
type providerKey struct {
	client    *http.Client
	transport http.RoundTripper
	logger    *slog.Logger
	clock     ports.Clock
	allowed   string // AllowedHosts, lower-cased, sorted, NUL-joined
}

// sharedProvider is a registered provider and the number of running clients using it.
type sharedProvider struct {
	p    *httpidp.Provider
	refs int
}

// providerRegistry maps provider keys to the providers running clients share.
type providerRegistry struct {
	mu sync.Mutex
	m  map[providerKey]*sharedProvider
}

// sharedProviders is the process's registry.
var sharedProviders = &providerRegistry{m: map[providerKey]*sharedProvider{}}

// keyOf returns cfg's provider key, and false when a field holds a value that cannot be
// a map key (a Transport or Clock of a non-comparable type): such a client keeps a
// provider of its own.
func keyOf(cfg Config) (providerKey, bool) {
	for _, v := range []any{cfg.Transport, cfg.Clock} {
		if v != nil && !reflect.ValueOf(v).Comparable() {
			return providerKey{}, false
		}
	}
	hosts := make([]string, len(cfg.AllowedHosts))
	for i, h := range cfg.AllowedHosts {
		hosts[i] = strings.ToLower(h)
	}
	slices.Sort(hosts)
	return providerKey{client: cfg.HTTPClient, transport: cfg.Transport, logger: cfg.Logger, clock: cfg.Clock,
		allowed: strings.Join(hosts, "\x00")}, true
}

// provider returns the registered provider for cfg, or a new one (registered only when
// a client using it starts: a graph that fails to build leaves nothing behind).
func (r *providerRegistry) provider(cfg Config) (*httpidp.Provider, error) {
	if key, ok := keyOf(cfg); ok {
		r.mu.Lock()
		e := r.m[key]
		r.mu.Unlock()
		if e != nil {
			return e.p, nil
		}
	}
	return httpidp.New(httpidpConfig(cfg))
}

// acquire counts a running client of p, registering p when its key has none.
func (r *providerRegistry) acquire(cfg Config, p *httpidp.Provider) {
	key, ok := keyOf(cfg)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := r.m[key]; {
	case e == nil:
		r.m[key] = &sharedProvider{p: p, refs: 1}
	case e.p == p:
		e.refs++
	} // else: another client registered its provider first; p stays this client's own
}

// release uncounts a client of p, forgetting p after its last client; it reports
// whether p is used by no running client any more.
func (r *providerRegistry) release(cfg Config, p *httpidp.Provider) bool {
	key, ok := keyOf(cfg)
	if !ok {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.m[key]
	if e == nil || e.p != p {
		return true
	}
	if e.refs--; e.refs > 0 {
		return false
	}
	delete(r.m, key)
	return true
}

// httpidpConfig is the adapter configuration of cfg.
func httpidpConfig(cfg Config) httpidp.Config {
	return httpidp.Config{Logger: cfg.Logger, Clock: cfg.Clock, HTTPClient: cfg.HTTPClient,
		Transport: cfg.Transport, AllowedHosts: slices.Clone(cfg.AllowedHosts)}
}

// newHTTPIdP provides the shared provider for cfg to the graph, counted as used from
// the graph's start to its stop.
func newHTTPIdP(lc fx.Lifecycle, cfg Config) (*httpidp.Provider, error) {
	p, err := sharedProviders.provider(cfg)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			sharedProviders.acquire(cfg, p)
			return nil
		},
		OnStop: func(context.Context) error {
			if sharedProviders.release(cfg, p) && cfg.HTTPClient == nil && cfg.Transport == nil {
				p.CloseIdleConnections() // the adapter's own pool; a caller's transport is theirs
			}
			return nil
		},
	})
	return p, nil
}

// validateProviderHTTP checks the HTTP fields of c and refuses an authority on a
// link-local host that AllowedHosts does not name, as the adapter would at the first
// call: a configuration error is better found when the client is made.
func validateProviderHTTP(c Config, a domain.Authority) error {
	if err := httpidpConfig(c).Validate(); err != nil {
		return err
	}
	host := hostOnlyOf(a.Host)
	if domain.IsLinkLocalHost(host) && !slices.ContainsFunc(c.AllowedHosts, func(h string) bool {
		return strings.EqualFold(strings.Trim(h, "[]"), host) || strings.EqualFold(h, a.Host)
	}) {
		return domain.Errorf(domain.ErrInvalidInput, "app: authority host %s is link-local (a cloud metadata service?); add it to AllowedHosts if it is meant", a.Host)
	}
	return nil
}

// hostOnlyOf returns hostport without its port and brackets.
func hostOnlyOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
