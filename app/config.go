package app

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Config configures a client. ClientID and Authority are required; every other field
// has a documented zero value. A Config prints (fmt, any verb), logs (slog) and encodes
// (JSON, text) without its secrets: SealingKey shows as "set (32 bytes)" or "unset", a
// password in Cache as "xxxxx".
type Config struct {
	// ClientID is the application (client) id registered with the provider.
	ClientID string
	// Authority is the authority URL: https://login.microsoftonline.com/{tenant}, an
	// Entra B2C or ADFS URL, or any OpenID Connect issuer. HTTPS is required except on
	// loopback hosts.
	Authority string
	// AuthorityKind forces the kind of authority; empty detects it from the URL.
	AuthorityKind domain.AuthorityKind
	// Cache names the token cache store by URL: "memory:" (the default when empty) is
	// built in; any other scheme needs the package that registers it imported, once,
	// in package main (see RegisterCacheStore), so that a program links only the stores
	// it names. "sqlite:///path/to/file.db" and "sqlite::memory:" need app/sqlitestore;
	// "postgres://..." needs app/postgresstore, and may add hexauth's own parameters,
	// which are not sent to the server: "schema" (the schema of the cache tables,
	// default "hexauth") and "max_conns" (the connection cap, default 10), as in
	// postgres://app@db/tokens?sslmode=verify-full&schema=tenants_eu. An unregistered
	// scheme fails Validate with domain.ErrInvalidInput naming the package to import.
	Cache string
	// CacheStore, when set, is the cache store, opened by the caller (sqlite.Open,
	// postgres.Open, your own), who also closes it, after the client: the client never
	// does. No registry is involved, so it is the way for a library. Leave Cache empty
	// and NearCacheBytes zero with it (wrap the store in adapters/nearcache yourself).
	CacheStore ports.CacheStore
	// ExpiryBuffer: cached access tokens are served while now < expires_on − buffer.
	// Zero means 5 minutes.
	ExpiryBuffer time.Duration
	// FlowMaxAge bounds how long an auth-code flow may be completed. Zero means 15
	// minutes.
	FlowMaxAge time.Duration
	// ClaimsCacheBytes bounds the memory the client keeps the parsed claims of cached ID
	// tokens in, so that a silent cache hit does not parse its ID token again (shared
	// by every partition of the client). Zero means 64 MiB, about 15,000 Entra ID
	// tokens; negative turns the cache off.
	ClaimsCacheBytes int
	// NearCacheBytes, when positive, puts a near cache (adapters/nearcache) in front of
	// the store Cache names, when that is not memory: (SQLite, Postgres): silent cache hits are then served from this process's
	// memory, bounded to this many bytes (least recently used out first; about 4.7 KB
	// an account with Entra-sized tokens), and kept
	// coherent with the other processes sharing the store (within 1 ms on SQLite, as a
	// notification arrives on Postgres, and within 100 ms while Postgres's notification
	// session is down); see docs/operations.md for what it costs and when not to use it.
	// Zero (the default) means no near cache; negative is refused. The memory store
	// needs none and ignores it.
	NearCacheBytes int64
	// InsecureSkipSignatureCheck turns off ID-token signature verification. It MUST NOT
	// be set in production.
	InsecureSkipSignatureCheck bool
	// Logger receives diagnostics, never secrets. Nil discards them.
	Logger *slog.Logger
	// SealingKey, when set, must be 32 bytes: every token secret is then sealed with
	// AES-256-GCM (bound to its cache key) before it reaches the store, so a stolen
	// database leaks no usable token. Keep the key outside that database. Entries written
	// before the key was set are still read; entries sealed with another key read as
	// misses.
	SealingKey []byte
	// RequireSealed, with SealingKey, refuses secrets the key did not seal for their
	// partition (unsealed ones, from before sealing was turned on, and version-1 ones):
	// each is a cache miss, so a database writer without the key can neither plant a
	// token nor move one to another partition. Turn it on once every row was written
	// with sealing on (usecases.RequireSealed, docs/operations.md).
	RequireSealed bool

	// IdentityProvider replaces the HTTP identity-provider adapter, for example with the
	// in-process fake of package adapters/memory in tests. Nil means the HTTP adapter.
	IdentityProvider ports.IdentityProvider
	// Clock replaces the system clock (tests move time through it). Nil means the
	// system clock.
	Clock ports.Clock
	// Browser opens the sign-in page of AcquireTokenInteractive. Nil means the
	// operating system's browser, or printing the URL when there is none.
	Browser ports.Browser

	// HTTPClient sends every request to the provider (discovery, key sets, tokens):
	// set it for a proxy, otelhttp, custom CAs. The HTTP adapter uses a copy and never
	// modifies it; the copy still follows no redirect of a token request and no
	// cross-origin redirect of a discovery or key-set request, whatever the client's
	// CheckRedirect says (its own rules run after those). Set HTTPClient or Transport,
	// not both. Nil means the adapter's own pooled client.
	HTTPClient *http.Client
	// Transport is the round tripper under the adapter's own client, when a whole
	// client is not needed (otelhttp.NewTransport(base), say).
	Transport http.RoundTripper
	// AllowedHosts names hosts, besides the issuer's origin, that an OIDC, B2C or ADFS
	// discovery document may name endpoints on, and link-local hosts (169.254.0.0/16,
	// fe80::/10, where cloud metadata services answer) that may be used at all: each a
	// host name or IP literal, optionally with ":port". Nil allows no other host; see
	// docs/adr/0007-provider-redirects-and-origins.md.
	AllowedHosts []string
}

// Validate checks the configuration without touching the network.
func (c Config) Validate() error {
	if strings.TrimSpace(c.ClientID) == "" {
		return domain.Errorf(domain.ErrInvalidInput, "app: ClientID is required")
	}
	a, err := domain.ParseAuthority(c.Authority, c.AuthorityKind)
	if err != nil {
		return err
	}
	if err := validateProviderHTTP(c, a); err != nil {
		return err
	}
	if c.ExpiryBuffer < 0 || c.FlowMaxAge < 0 {
		return domain.Errorf(domain.ErrInvalidInput, "app: durations must not be negative")
	}
	if c.NearCacheBytes < 0 {
		return domain.Errorf(domain.ErrInvalidInput, "app: NearCacheBytes must not be negative")
	}
	if c.RequireSealed && c.SealingKey == nil {
		return domain.Errorf(domain.ErrInvalidInput, "app: RequireSealed needs a SealingKey")
	}
	if c.SealingKey != nil && len(c.SealingKey) != 32 {
		return domain.Errorf(domain.ErrInvalidInput, "app: SealingKey must be 32 bytes, got %d", len(c.SealingKey))
	}
	return c.checkCache()
}
