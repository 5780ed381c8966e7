package httpidp

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Provider is the identity provider over HTTP. It is safe for concurrent use; one
// Provider is meant to be shared by every client of a process, so that discovery
// documents, key sets, connections and Retry-After windows are shared too.
type Provider struct {
	cfg        Config
	userAgent  string
	httpClient *http.Client
	metadata   *ttlCache[domain.ProviderMetadata]
	checked    checkedAuthorities
	keys       *keyCache
	throttle   *throttleWindows
	rand       io.Reader
}

var _ ports.IdentityProvider = (*Provider)(nil)

// New returns a Provider configured by cfg. It validates cfg and makes no network call.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p := &Provider{
		cfg:        cfg,
		userAgent:  "hexauth/" + cfg.Version,
		httpClient: newHTTPClient(cfg),
		metadata:   newTTLCache[domain.ProviderMetadata](cfg.MetadataTTL, discoveryStaleIfError),
		keys:       newKeyCache(cfg.JWKSTTL),
		throttle:   newThrottleWindows(),
		rand:       rand.Reader,
	}
	return p, nil
}

// CloseIdleConnections closes the transport's idle connections. The Provider stays
// usable.
func (p *Provider) CloseIdleConnections() { p.httpClient.CloseIdleConnections() }

// asDomainError returns err as a *domain.Error carrying op: a copy of a *domain.Error
// without an op, a transport error for a done context, or ErrUnavailable otherwise.
func asDomainError(ctx context.Context, op string, err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		if de.Op != "" {
			return de
		}
		c := *de
		c.Op = op
		return &c
	}
	te := transportError(ctx, err)
	te.Op = op
	return te
}
