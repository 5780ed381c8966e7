package httpidp

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultMaxRetries          = 3
	DefaultRetryWaitMin        = 200 * time.Millisecond
	DefaultRetryWaitMax        = 5 * time.Second
	DefaultRetryAfterCap       = 60 * time.Second
	DefaultAttemptTimeout      = 30 * time.Second
	DefaultMetadataTTL         = 24 * time.Hour
	DefaultJWKSTTL             = 24 * time.Hour
	DefaultJWKSRefetchInterval = time.Minute
	// DefaultThrottleWindow is how long identical requests fail fast after a 429
	// without Retry-After: MSAL's default, long enough for a throttled client to back
	// off rather than hammer a provider that already said "too many".
	DefaultThrottleWindow = 60 * time.Second
)

// MaxBodyBytes caps every response body the adapter reads, after decompression.
const MaxBodyBytes = 1 << 20

// modulePath is this module's path, used to find its version for the User-Agent.
const modulePath = "github.com/hexauth/hexauth"

// Config configures a Provider. Every field has a documented zero value; New applies
// the defaults after Validate.
type Config struct {
	// Logger receives diagnostics (go-retryablehttp's included, through an adapter of
	// its LeveledLogger interface). Bodies, form values and credentials are never
	// logged. Nil discards everything.
	Logger *slog.Logger
	// Transport sends the requests. Nil means a pooled transport from go-cleanhttp.
	// Set Transport or HTTPClient, not both.
	Transport http.RoundTripper
	// HTTPClient is the caller's client (a proxy, otelhttp, custom CAs). The adapter
	// sends every request through a copy of it, never modifying the caller's value: the
	// copy's CheckRedirect applies the adapter's redirect rules first, then the caller's
	// own, and its Timeout is the shorter of the caller's and AttemptTimeout. Nil means
	// a client over Transport.
	HTTPClient *http.Client
	// AllowedHosts lists hosts, besides the issuer's own origin, that an OIDC, B2C or
	// ADFS discovery document may name endpoints on (token, authorization, jwks_uri,
	// end_session), and link-local hosts (169.254.0.0/16, fe80::/10: cloud metadata
	// services) that may serve as authority or endpoint hosts. Each entry is a host
	// name or IP literal, optionally with ":port" (without one any port matches),
	// compared case-insensitively and never resolved. Nil allows no other host. It
	// never permits a redirect: discovery and key-set GETs follow same-origin redirects
	// only.
	AllowedHosts []string
	// MaxRetries bounds the retries after the first attempt. Zero means
	// DefaultMaxRetries (3); a negative value disables retries.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the jittered exponential backoff between
	// retries. Zero means DefaultRetryWaitMin (200ms) and DefaultRetryWaitMax (5s).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// RetryAfterCap is the longest Retry-After the adapter waits out before retrying;
	// a longer one fails at once with ErrThrottled carrying RetryAfter. Zero means
	// DefaultRetryAfterCap (60s).
	RetryAfterCap time.Duration
	// ThrottleWindow is how long an identical request fails fast with ErrThrottled
	// after a 429 that carried no Retry-After (such a 429 is never retried). Zero means
	// DefaultThrottleWindow (60s).
	ThrottleWindow time.Duration
	// AttemptTimeout bounds each attempt, reading the body included. Zero means
	// DefaultAttemptTimeout (30s).
	AttemptTimeout time.Duration
	// MetadataTTL is how long a discovery document is reused. Zero means
	// DefaultMetadataTTL (24h).
	MetadataTTL time.Duration
	// JWKSTTL is how long a key set is reused. Zero means DefaultJWKSTTL (24h).
	JWKSTTL time.Duration
	// JWKSRefetchInterval is the least time between two fetches of one key set caused
	// by an ID token signed with an unknown key id (an ordinary fetch, at start or when
	// the TTL ends, does not count). Zero means DefaultJWKSRefetchInterval (1 minute).
	JWKSRefetchInterval time.Duration
	// Clock tells the time for cache TTLs, Retry-After windows and client assertions.
	// Nil means the system clock.
	Clock ports.Clock
	// Version is sent in the User-Agent header as "hexauth/<Version>". Empty means the
	// version of this module in the binary's build information, else "dev".
	Version string
	// ClientAssertionAlg picks the signature of private_key_jwt client assertions made
	// with an RSA key: RS256 (the default when empty), RS384, RS512, PS256, PS384 or
	// PS512. ECDSA keys sign with their curve's ES256/384/512, Ed25519 keys with EdDSA.
	ClientAssertionAlg string
}

// Validate checks the configuration without touching the network.
func (c Config) Validate() error {
	switch {
	case c.RetryWaitMin < 0, c.RetryWaitMax < 0, c.RetryAfterCap < 0, c.AttemptTimeout < 0, c.ThrottleWindow < 0,
		c.MetadataTTL < 0, c.JWKSTTL < 0, c.JWKSRefetchInterval < 0:
		return domain.Errorf(domain.ErrInvalidInput, "httpidp: durations must not be negative")
	case c.RetryWaitMin > 0 && c.RetryWaitMax > 0 && c.RetryWaitMin > c.RetryWaitMax:
		return domain.Errorf(domain.ErrInvalidInput, "httpidp: RetryWaitMin %s exceeds RetryWaitMax %s", c.RetryWaitMin, c.RetryWaitMax)
	}
	if c.HTTPClient != nil && c.Transport != nil {
		return domain.Errorf(domain.ErrInvalidInput, "httpidp: set HTTPClient or Transport, not both")
	}
	for _, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/?#@* \t") {
			return domain.Errorf(domain.ErrInvalidInput, "httpidp: AllowedHosts entry %s is not a host[:port]", quote(h))
		}
	}
	switch c.ClientAssertionAlg {
	case "", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
	default:
		return domain.Errorf(domain.ErrInvalidInput, "httpidp: ClientAssertionAlg %q is not one of RS256/384/512 or PS256/384/512", c.ClientAssertionAlg)
	}
	return nil
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	def(&c.RetryWaitMin, DefaultRetryWaitMin)
	def(&c.RetryWaitMax, DefaultRetryWaitMax)
	if c.RetryWaitMax < c.RetryWaitMin {
		c.RetryWaitMax = c.RetryWaitMin
	}
	def(&c.RetryAfterCap, DefaultRetryAfterCap)
	def(&c.ThrottleWindow, DefaultThrottleWindow)
	def(&c.AttemptTimeout, DefaultAttemptTimeout)
	def(&c.MetadataTTL, DefaultMetadataTTL)
	def(&c.JWKSTTL, DefaultJWKSTTL)
	def(&c.JWKSRefetchInterval, DefaultJWKSRefetchInterval)
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = moduleVersion()
	}
	if c.ClientAssertionAlg == "" {
		c.ClientAssertionAlg = "RS256"
	}
	return c
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// moduleVersion returns this module's version from the build information, or "dev".
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Path == modulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath && d.Version != "" {
			return d.Version
		}
	}
	return "dev"
}
