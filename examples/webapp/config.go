package webapp

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Config configures a Server. Client, PublicURL, Tenants, CookieKey and APIURL are
// required; every other field has a documented zero value.
type Config struct {
	// Client signs users in and keeps their tokens; each tenant uses
	// Client.Partition(tenant). The Server does not close it.
	Client *app.ConfidentialClient
	// PublicURL is the application's external base URL, as the browser sees it
	// ("https://app.example.com", or "http://127.0.0.1:8080" on a laptop). The redirect
	// URI is PublicURL + "/callback"; register it with the provider. An https URL makes
	// every cookie Secure and "__Host-" prefixed.
	PublicURL string
	// Tenants are the tenants served, each at /t/{tenant}/ and in the cache partition of
	// that name: 1 to 32 characters of a-z, 0-9 and "-". Any other tenant is a 404.
	Tenants []string
	// CookieKey seals the flow and session cookies (AES-256-GCM): 32 random bytes. Every
	// instance behind one URL needs the same key; a new key signs everybody out.
	CookieKey []byte
	// Scopes are the scopes of the downstream API, asked for at sign-in and used to call
	// it ("api://orders/read"). Empty: a sign-in for an ID token only, and the API page
	// says there is nothing to call it with.
	Scopes []string
	// APIURL is the downstream API the API page calls with a GET. Only its host (and port,
	// when the URL names one) receives the bearer token: a redirect anywhere else is
	// followed without it. HTTPS, or HTTP on a loopback host.
	APIURL string
	// APITransport sends the requests to the API; nil means http.DefaultTransport.
	APITransport http.RoundTripper
	// FlowLifetime bounds how long a sign-in may take, from the redirect to the provider
	// to the callback, and a sign-out at the provider, from the redirect there to the
	// return to PostLogoutRedirectURI. Zero means 10 minutes. Keep it at most
	// app.Config.FlowMaxAge.
	FlowLifetime time.Duration
	// SessionLifetime is how long a session lasts, its cookie and its server-side entry
	// alike, unless signed out first. Zero means 8 hours.
	SessionLifetime time.Duration
	// Clock tells the time for cookie expiry; nil means the system clock.
	Clock ports.Clock
	// Logger receives one line per refused request, with the reason's class and never a
	// token, code, state or cookie. Nil discards them.
	Logger *slog.Logger
}

// tenantName is what a tenant (a path segment, a cookie-name suffix and a cache
// partition) may look like.
var tenantName = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Validate reports a configuration the Server cannot run safely with, as
// domain.ErrInvalidInput.
func (c Config) Validate() error {
	if c.Client == nil {
		return invalid("Client is required")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.TrimSuffix(u.Path, "/") != "" {
		return invalid("PublicURL must be an absolute http(s) origin without path, query or fragment")
	}
	if u.Scheme == "http" && !domain.IsLoopbackHost(u.Hostname()) {
		return invalid("PublicURL must be https unless its host is loopback: the cookies would travel in the clear")
	}
	if len(c.Tenants) == 0 {
		return invalid("Tenants is required")
	}
	for i, t := range c.Tenants {
		if !tenantName.MatchString(t) {
			return invalid("tenant %q must be 1 to 32 characters of a-z, 0-9 and -", t)
		}
		if slices.Contains(c.Tenants[:i], t) {
			return invalid("tenant %q is listed twice", t)
		}
	}
	if len(c.CookieKey) != aesgcm.KeySize {
		return invalid("CookieKey must be %d bytes, got %d", aesgcm.KeySize, len(c.CookieKey))
	}
	a, err := url.Parse(c.APIURL)
	if err != nil || a.Host == "" || (a.Scheme != "https" && a.Scheme != "http") {
		return invalid("APIURL must be an absolute http(s) URL")
	}
	if a.Scheme == "http" && !domain.IsLoopbackHost(a.Hostname()) {
		return invalid("APIURL must be https unless its host is loopback: the bearer token would travel in the clear")
	}
	if c.FlowLifetime < 0 || c.SessionLifetime < 0 {
		return invalid("lifetimes must not be negative")
	}
	return nil
}

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.ErrInvalidInput, "webapp: "+format, args...)
}
