package webapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

const (
	defaultFlowLifetime    = 10 * time.Minute
	defaultSessionLifetime = 8 * time.Hour
)

// Server is the web application: an http.Handler. It is safe for concurrent use.
type Server struct {
	cfg         Config
	jar         cookieJar
	sessions    *sessionStore
	clock       ports.Clock
	log         *slog.Logger
	redirectURI string
	// postLogoutURI is where the provider sends the browser back after its sign-out.
	postLogoutURI string
	apiURL        *url.URL
	mux           *http.ServeMux
}

// New returns the application for cfg, or cfg.Validate's error.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sealer, err := aesgcm.New(cfg.CookieKey)
	if err != nil {
		return nil, err
	}
	if cfg.FlowLifetime == 0 {
		cfg.FlowLifetime = defaultFlowLifetime
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = defaultSessionLifetime
	}
	s := &Server{cfg: cfg, sessions: newSessionStore(maxSessions), clock: cfg.Clock, log: cfg.Logger}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	public, _ := url.Parse(cfg.PublicURL) // validated
	s.jar = cookieJar{sealer: sealer, secure: public.Scheme == "https"}
	s.redirectURI = strings.TrimSuffix(cfg.PublicURL, "/") + "/callback"
	s.postLogoutURI = strings.TrimSuffix(cfg.PublicURL, "/") + "/signed-out"
	s.apiURL, _ = url.Parse(cfg.APIURL) // validated
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No page may be framed or cached, or name one of our URLs (the callback's holds the
	// code) in a Referer to another origin; scripts are not used at all. Not
	// "no-referrer": with it, browsers send "Origin: null" on our own sign-out POST,
	// which the Origin check then refuses.
	h.Set("Content-Security-Policy", contentSecurityPolicy(""))
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy is every page's policy. Forms may post to this site only, and
// a form's redirect must stay there too (Chromium applies form-action to redirects):
// formOrigin, when not empty, is the one other origin allowed, the provider's
// end-session endpoint's, where the sign-out POST redirects.
func contentSecurityPolicy(formOrigin string) string {
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	return "default-src 'none'; style-src 'unsafe-inline'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// RedirectURI is the URI to register with the provider: PublicURL + "/callback".
func (s *Server) RedirectURI() string { return s.redirectURI }

// PostLogoutRedirectURI is the URI to register with the provider as the post-logout
// redirect URI (OpenID Connect RP-Initiated Logout 1.0 §3): PublicURL + "/signed-out".
// Sign-out sends it, exactly, when the provider has an end_session_endpoint.
func (s *Server) PostLogoutRedirectURI() string { return s.postLogoutURI }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /callback", s.callback)
	s.mux.HandleFunc("GET /signed-out", s.signedOut)
	s.mux.HandleFunc("GET /t/{tenant}/{$}", s.tenant(s.home))
	s.mux.HandleFunc("GET /t/{tenant}/login", s.tenant(s.login))
	s.mux.HandleFunc("GET /t/{tenant}/claims", s.tenant(s.claims))
	s.mux.HandleFunc("GET /t/{tenant}/api", s.tenant(s.callAPI))
	s.mux.HandleFunc("POST /t/{tenant}/logout", s.tenant(s.logout))
}

// tenantHandler serves a page of one tenant.
type tenantHandler func(w http.ResponseWriter, r *http.Request, tenant string)

// tenant resolves {tenant} to a configured tenant, or answers 404.
func (s *Server) tenant(h tenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := r.PathValue("tenant")
		if !slices.Contains(s.cfg.Tenants, t) {
			s.fail(w, r, http.StatusNotFound, "No such tenant.", nil)
			return
		}
		h(w, r, t)
	}
}

// client is the tenant's view of the cache.
func (s *Server) client(tenant string) *app.ConfidentialClient { return s.cfg.Client.Partition(tenant) }

// signedIn returns the account of the tenant's session, while the session lives and
// the cache still holds the account, with its ID-token claims. ok is false when nobody
// is signed in. A session that is over (signed out, from any copy of its cookie;
// expired; its account removed from the cache by a sign-out elsewhere, an admin, or a
// refresh the provider refused) has its cookie cleared, so that the browser stops
// presenting it. A cache that cannot answer now ends nothing.
func (s *Server) signedIn(ctx context.Context, w http.ResponseWriter, r *http.Request, tenant string) (acct app.Account, sess sessionCookie, claims domain.IDTokenClaims, ok bool) {
	now := s.clock.Now()
	sess, err := s.jar.readSession(r, tenant, now)
	if err != nil {
		return app.Account{}, sessionCookie{}, domain.IDTokenClaims{}, false
	}
	live, found := s.sessions.get(tenant, sess.SessionID, now)
	if !found {
		s.jar.clear(w, s.jar.sessionName(tenant))
		return app.Account{}, sessionCookie{}, domain.IDTokenClaims{}, false
	}
	// A sign-in for the ID token only: served from the cache (refreshed when it expired);
	// after sign-out the cache has nothing and the session is over.
	res, err := s.client(tenant).AcquireTokenSilent(ctx, nil, live.account)
	if err != nil {
		if errors.Is(err, domain.ErrInteractionRequired) {
			// The account's tokens are gone, for each of its sessions alike.
			s.sessions.endAccount(tenant, live.account)
			s.jar.clear(w, s.jar.sessionName(tenant))
		} else {
			s.log.WarnContext(ctx, "webapp: session lookup failed", "tenant", tenant, "error", err)
		}
		return app.Account{}, sessionCookie{}, domain.IDTokenClaims{}, false
	}
	if res.IDTokenClaims != nil {
		claims = *res.IDTokenClaims
	}
	return res.Account, sess, claims, true
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
