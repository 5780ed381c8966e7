package idptest

import (
	"context"
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// Server is a fake OpenID provider listening on a loopback address. It is safe for
// concurrent use; its methods may be called while it serves requests.
type Server struct {
	cfg     Config
	idp     *fakeidp.Provider
	root    domain.Authority // the OIDC authority at the base URL
	http    *http.Server
	browser *http.Client // SignIn's client
	tls     *serverTLS   // nil without Config.TLS
	url     string
	stop    context.CancelFunc
	served  chan struct{}
	closing sync.Once

	mu             sync.Mutex
	faults         []*Fault
	endpointCounts map[Endpoint]int
	grantCounts    map[domain.GrantKind]int
	jtis           map[string]time.Time
	devicePolls    []time.Time
	endSessions    []EndSessionRequest
}

// NewServer starts a server on cfg.Addr (127.0.0.1 on a random port when empty). The
// caller must Close it. It returns an *domain.Error of class ErrInvalidInput for an
// invalid configuration.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Description: "idptest: listen on " + addr, Err: err}
	}
	s := &Server{
		cfg:            cfg,
		url:            "http://" + ln.Addr().String(),
		browser:        newBrowser(),
		served:         make(chan struct{}),
		endpointCounts: map[Endpoint]int{},
		grantCounts:    map[domain.GrantKind]int{},
		jtis:           map[string]time.Time{},
	}
	if cfg.TLS {
		if s.tls, err = newServerTLS(time.Now(), ln.Addr()); err != nil {
			_ = ln.Close()
			return nil, tlsError(err)
		}
		ln = tls.NewListener(ln, s.tls.config)
		s.url = "https://" + strings.TrimSuffix(ln.Addr().String(), ":443") // the origin as clients write it
		s.browser.Transport.(*http.Transport).TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.tls.pool()}
	}
	pc := cfg.Provider
	if pc.Clock == nil {
		pc.Clock = wallClock{}
	}
	if s.idp, err = fakeidp.New(pc); err != nil {
		_ = ln.Close()
		return nil, err
	}
	if s.root, err = domain.ParseAuthority(s.url, domain.AuthorityOIDC); err != nil {
		_ = ln.Close()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          log.New(discardWriter{}, "", 0),
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// NewTestServer starts a server for the test t and closes it when the test ends. It
// fails the test when the server cannot start.
func NewTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("idptest.NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// URL returns the server's base URL, "http://127.0.0.1:port" ("https://" with Config.TLS).
func (s *Server) URL() string { return s.url }

// Close stops the server: it stops accepting connections, ends scripted delays, closes
// open connections and waits for running handlers. It is safe to call more than once.
func (s *Server) Close() {
	s.closing.Do(func() {
		s.stop() // ends scripted delays: request contexts derive from the base context
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if s.http.Shutdown(ctx) != nil {
			_ = s.http.Close()
		}
		<-s.served
		s.browser.CloseIdleConnections()
	})
}

// routes maps both URL layouts onto the endpoints.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, e Endpoint, h handlerFunc) { mux.Handle(pattern, s.endpoint(e, h)) }
	handle("GET /.well-known/openid-configuration", EndpointDiscovery, s.serveDiscovery)
	handle("GET /{tenant}/v2.0/.well-known/openid-configuration", EndpointDiscovery, s.serveDiscovery)
	handle("GET /keys", EndpointJWKS, s.serveJWKS)
	handle("GET /{tenant}/discovery/v2.0/keys", EndpointJWKS, s.serveJWKS)
	handle("GET /authorize", EndpointAuthorize, s.serveAuthorize)
	handle("POST /authorize", EndpointAuthorize, s.serveAuthorize)
	handle("GET /{tenant}/oauth2/v2.0/authorize", EndpointAuthorize, s.serveAuthorize)
	handle("POST /{tenant}/oauth2/v2.0/authorize", EndpointAuthorize, s.serveAuthorize)
	handle("POST /token", EndpointToken, s.serveToken)
	handle("POST /{tenant}/oauth2/v2.0/token", EndpointToken, s.serveToken)
	handle("POST /device_authorization", EndpointDevice, s.serveDeviceAuthorization)
	handle("POST /{tenant}/oauth2/v2.0/devicecode", EndpointDevice, s.serveDeviceAuthorization)
	handle("GET /device", EndpointDevicePage, s.serveDevicePage)
	handle("POST /device", EndpointDevicePage, s.serveDevicePage)
	if s.cfg.EndSession {
		handle("GET /logout", EndpointEndSession, s.serveEndSession)
		handle("POST /logout", EndpointEndSession, s.serveEndSession)
	}
	return mux
}

// call is what the endpoint wrapper learnt of a request before its handler runs.
type call struct {
	// fault is the fault the request took (nil for none); the handler applies its
	// token-level effects.
	fault *Fault
	// formErr is why the request's form could not be parsed, if it could not.
	formErr error
}

// handlerFunc serves one endpoint.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c call)

// endpoint wraps h with request counting and fault injection.
func (s *Server) endpoint(e Endpoint, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c call
		grant := ""
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
			c.formErr = r.ParseForm()
			grant = r.PostForm.Get("grant_type")
		}
		s.count(e, grant)
		f := s.takeFault(e, grant)
		if f == nil {
			h(w, r, c)
			return
		}
		c.fault = f
		if f.Delay > 0 && !sleepCtx(r.Context(), f.Delay) {
			return
		}
		if f.DropConnection {
			dropConnection(w, r)
			return
		}
		fw := newFaultWriter(w, f)
		if f.Redirect != "" || f.replaces() {
			s.writeScripted(fw, r, f)
		} else {
			h(fw, r, c)
		}
		fw.finish()
	})
}

// now reads the configured clock.
func (s *Server) now() time.Time { return s.idp.Now() }

// closeTimeout bounds how long Close waits for running handlers before it closes their
// connections.
const closeTimeout = 5 * time.Second

// discardWriter drops the http.Server's error log (closed connections are expected).
type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
