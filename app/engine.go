package app

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/otelobserver"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// Engine is what every client of one configuration shares: the validated Config and
// the adapters behind the ports. The fx graph provides it; clients and their partitions
// are cheap views over it.
type Engine struct {
	cfg       Config
	authority domain.Authority
	deps      usecases.Deps
	browser   ports.Browser
}

// EngineParams are the Engine's dependencies in the fx graph.
type EngineParams struct {
	Config           Config
	IdentityProvider ports.IdentityProvider
	// Store is the store as opened: NewEngine seals it when Config.SealingKey is set.
	Store ports.CacheStore
	// Clock: nil means Config.Clock, and the system clock when that is nil too.
	Clock ports.Clock
}

// NewEngine validates the configuration and assembles the engine: it seals the store
// with Config.SealingKey when one is set, so no way of building a client stores tokens
// in clear against the configuration. It makes no network call.
func NewEngine(p EngineParams) (*Engine, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	a, err := domain.ParseAuthority(p.Config.Authority, p.Config.AuthorityKind)
	if err != nil {
		return nil, err
	}
	if p.IdentityProvider == nil || p.Store == nil {
		return nil, domain.Errorf(domain.ErrInvalidInput, "app: an identity provider and a cache store are required")
	}
	clock := p.Clock
	if clock == nil {
		clock = p.Config.Clock
	}
	if clock == nil {
		clock = systemClock{}
	}
	store := p.Store
	if p.Config.SealingKey != nil {
		if store, err = sealStore(store, p.Config); err != nil {
			return nil, err
		}
	}
	obs, err := newObserver(p.Config)
	if err != nil {
		return nil, err
	}
	return &Engine{
		cfg: p.Config, authority: a, browser: p.Config.Browser,
		deps: usecases.Deps{IdentityProvider: p.IdentityProvider, Store: store, Clock: clock, Observer: obs},
	}, nil
}

// newObserver returns the OpenTelemetry observer of cfg's providers, or nil when both
// are the API's no-op providers (nothing to record, nothing to pay on a cache hit).
func newObserver(cfg Config) (ports.Observer, error) {
	kind := cacheScheme(cfg.Cache)
	if cfg.CacheStore != nil {
		kind = "" // a store the caller opened: its kind is unknown here, and Cache (empty: "memory") says nothing of it
	}
	ocfg := otelobserver.Config{TracerProvider: cfg.TracerProvider, MeterProvider: cfg.MeterProvider, StoreKind: kind}
	if ocfg.RecordsNothing() {
		return nil, nil
	}
	obs, err := otelobserver.New(ocfg)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return obs, nil
}

// cacheScheme names the store of a Cache URL for metric attributes: its scheme
// ("memory" when empty), or "" when the scheme is not one a metric may carry.
func cacheScheme(cache string) string {
	scheme, _, ok := strings.Cut(cache, ":")
	switch {
	case cache == "":
		return "memory"
	case !ok:
		return ""
	case scheme == "postgresql":
		return "postgres"
	}
	if (otelobserver.Config{StoreKind: scheme}).Validate() != nil {
		return ""
	}
	return scheme
}

func (e *Engine) useCaseConfig(partition string, cred domain.ClientCredential) usecases.Config {
	return usecases.Config{
		ClientID: e.cfg.ClientID, Authority: e.authority, Credential: cred, Partition: partition,
		ExpiryBuffer: e.cfg.ExpiryBuffer, FlowMaxAge: e.cfg.FlowMaxAge, ClaimsCacheBytes: e.cfg.ClaimsCacheBytes,
		InsecureSkipSignatureCheck: e.cfg.InsecureSkipSignatureCheck, Logger: e.cfg.Logger,
		ClientCapabilities: e.cfg.ClientCapabilities,
	}
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Credential authenticates a confidential client.
type Credential struct{ c domain.ClientCredential }

// ClientSecret authenticates with a client secret (client_secret_basic, or
// client_secret_post where the provider supports only that; ClientSecretPost forces
// client_secret_post).
func ClientSecret(secret string) Credential {
	return Credential{domain.ClientCredential{Secret: domain.Secret(secret)}}
}

// ClientSecretPost authenticates with a client secret sent in the request body
// (client_secret_post, RFC 6749 §2.3.1), for a client registered with that method
// (RFC 7591 token_endpoint_auth_method): a provider that holds clients to their
// registered method refuses client_secret_basic from it with invalid_client, whatever
// its discovery document lists, and ClientSecret sends basic whenever it is listed.
func ClientSecretPost(secret string) Credential {
	return Credential{domain.ClientCredential{Secret: domain.Secret(secret), AuthMethod: "client_secret_post"}}
}

// ClientCertificate authenticates with a signed assertion (private_key_jwt, RFC 7523)
// made with key, whose certificate is certs[0].
func ClientCertificate(certs []*x509.Certificate, key crypto.Signer) Credential {
	return Credential{domain.ClientCredential{Key: key, Certificates: certs}}
}

// String redacts the credential.
func (c Credential) String() string { return c.c.String() }

// GoString implements fmt.GoStringer with the redacted credential.
func (c Credential) GoString() string { return "app.Credential(" + c.c.String() + ")" }

// Format implements fmt.Formatter: every verb prints the redacted credential. Without
// it fmt prints the unexported field raw, the secret or the private key included.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), c.String())
}

// LogValue implements slog.LogValuer with the redacted credential.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON implements json.Marshaler with the redacted credential.
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// MarshalText implements encoding.TextMarshaler with the redacted credential.
func (c Credential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
