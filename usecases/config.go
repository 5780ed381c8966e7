package usecases

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// DefaultExpiryBuffer is how long before expires_on a cached access token stops being
// served.
const DefaultExpiryBuffer = 5 * time.Minute

// Config is what every flow needs to know about the client. The zero values of the
// optional fields are documented beside them.
type Config struct {
	ClientID   string                  // required
	Authority  domain.Authority        // required (domain.ParseAuthority)
	Credential domain.ClientCredential // zero for a public client
	Partition  string                  // the cache partition; "" is the zero partition
	// ExpiryBuffer: a cached access token is served while now < expires_on − buffer.
	// Zero means DefaultExpiryBuffer.
	ExpiryBuffer time.Duration
	// FlowMaxAge bounds the life of an auth-code flow. Zero means
	// domain.DefaultFlowMaxAge.
	FlowMaxAge time.Duration
	// ClockSkew is the tolerance on ID-token expiry. Zero means domain.DefaultClockSkew.
	ClockSkew time.Duration
	// InsecureSkipSignatureCheck turns off ID-token signature verification. It MUST NOT
	// be set in production: anyone who can reach the redirect URI could then forge an
	// identity. Claims (iss, aud, exp, nonce) are still checked.
	InsecureSkipSignatureCheck bool
	// ClaimsCacheBytes bounds the memory (estimated) the silent flow keeps the parsed
	// claims of cached ID tokens in, shared by every partition of the client: a cache
	// hit then returns them without parsing the token again. Zero means
	// DefaultClaimsCacheBytes (64 MiB: about 27,000 Entra-sized ID tokens of 1.4 KB, at an
	// estimated 2.5 KB each); negative turns the cache off. An entry keeps the token and
	// the typed claims' strings, never the full set of claims (a caller's result decodes
	// its own), so the estimate bounds the heap whatever the token's shape; claims
	// estimated above the whole bound are not cached, and a hit on them parses the token
	// each time.
	ClaimsCacheBytes int
	// ClientCapabilities are the capabilities the client declares to the provider ("cp1":
	// it handles continuous access evaluation's claims challenges), sent as MSAL sends
	// them: merged as access_token.xms_cc into the claims parameter of every
	// authorization, device-authorization and token request (domain.MergeClientCapabilities).
	// They do not make a request skip the cache: only a caller's claims do. Nil declares
	// none.
	ClientCapabilities []string
	// Rand is the source of state, nonce and PKCE verifiers. Nil means crypto/rand.
	Rand io.Reader
	// Logger receives diagnostics without secrets. Nil discards them.
	Logger *slog.Logger
}

// Deps are the ports every flow uses.
type Deps struct {
	IdentityProvider ports.IdentityProvider // required
	Store            ports.CacheStore       // required
	Clock            ports.Clock            // required
	// Observer is told what the flows do, for traces and metrics. Nil means none, at
	// no cost to any flow.
	Observer ports.Observer
}

// engine is what the flows share: configuration, ports and the token redemption path.
type engine struct {
	cfg     Config
	idp     ports.IdentityProvider
	store   ports.CacheStore
	clock   ports.Clock
	obs     ports.Observer // nil: none (observe.go)
	log     *slog.Logger
	matcher domain.ScopeMatcher
	// tenantIDs maps an authority naming its tenant by domain to the tenant id its
	// tokens are cached under (see learnTenantID); shared by every partition.
	tenantIDs *tenantIDs
	// claims holds parsed ID token claims by raw token; shared by every partition.
	claims *claimsCache
	// envs is the client's authority host and its aliases, computed once: a read-only
	// slice (clipped, so an append copies it).
	envs []string
}

func newEngine(cfg Config, deps Deps) (*engine, error) {
	switch {
	case cfg.ClientID == "":
		return nil, domain.Errorf(domain.ErrInvalidInput, "usecases: a client id is required")
	case cfg.Authority.URL == "":
		return nil, domain.Errorf(domain.ErrInvalidInput, "usecases: an authority is required")
	case deps.IdentityProvider == nil || deps.Store == nil || deps.Clock == nil:
		return nil, domain.Errorf(domain.ErrInvalidInput, "usecases: identity provider, store and clock are required")
	case cfg.ExpiryBuffer < 0 || cfg.FlowMaxAge < 0 || cfg.ClockSkew < 0:
		return nil, domain.Errorf(domain.ErrInvalidInput, "usecases: durations must not be negative")
	}
	if err := domain.CheckClientCapabilities(cfg.ClientCapabilities); err != nil {
		return nil, err
	}
	cfg.ClientCapabilities = slices.Clone(cfg.ClientCapabilities)
	if cfg.ExpiryBuffer == 0 {
		cfg.ExpiryBuffer = DefaultExpiryBuffer
	}
	if cfg.FlowMaxAge == 0 {
		cfg.FlowMaxAge = domain.DefaultFlowMaxAge
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = domain.DefaultClockSkew
	}
	if cfg.ClaimsCacheBytes == 0 {
		cfg.ClaimsCacheBytes = DefaultClaimsCacheBytes
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	claims := newClaimsCache(cfg.ClaimsCacheBytes)
	_, claims.stable = deps.Store.(ports.StableSecrets)
	return &engine{
		cfg: cfg, idp: deps.IdentityProvider, store: deps.Store, clock: deps.Clock, obs: deps.Observer, log: log,
		matcher:   domain.ScopeMatcher{CaseInsensitive: cfg.Authority.CaseInsensitiveScopes()},
		tenantIDs: &tenantIDs{ids: map[string]string{}},
		claims:    claims,
		envs:      slices.Clip(cfg.Authority.Environments()),
	}, nil
}

// environments returns authority's host and its aliases; for the client's own
// authority, the slice computed once (callers must not modify it).
func (e *engine) environments(authority domain.Authority) []string {
	if authority.Host == e.cfg.Authority.Host {
		return e.envs
	}
	return authority.Environments()
}

// authority returns the authority of a call: the override when set, else the client's.
func (e *engine) authority(override *domain.Authority) domain.Authority {
	if override != nil && override.URL != "" {
		return *override
	}
	return e.cfg.Authority
}

// requestClaims is the claims parameter a request sends for the caller's claims: with the
// client's capabilities merged in, when it declares any.
func (e *engine) requestClaims(claims string) (string, error) {
	return domain.MergeClientCapabilities(claims, e.cfg.ClientCapabilities)
}

// correlationID returns id, or a new random UUID (version 4) when id is empty.
func (e *engine) correlationID(id string) string {
	if id != "" {
		return id
	}
	var b [16]byte
	if _, err := io.ReadFull(e.cfg.Rand, b[:]); err != nil {
		return ""
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// storeErr classifies a store failure as ErrCacheStore unless it already carries a
// class; a bare context error is ErrCacheStore wrapping it, as every store reports one
// (see inputs.go).
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return &domain.Error{Class: domain.ErrCacheStore, Op: op, Err: err}
}
