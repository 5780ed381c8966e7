package bearer

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Acquirer returns a token to send: with claims empty, the usual (cached) token; with
// claims, a new one whose request carried them (a claims challenge's answer). It must be
// safe for concurrent use. ctx is the request's.
type Acquirer func(ctx context.Context, claims string) (domain.AuthResult, error)

// Config configures a Transport.
type Config struct {
	// Acquire gets the tokens; required.
	Acquire Acquirer
	// AllowedHosts are the hosts that may receive the token; required: there is no
	// "every host". An entry is a host name or IP ("api.example.com", matched
	// case-insensitively on any port) or host:port to pin one port; no scheme, path or
	// wildcard. Requests to any other host (a redirect's target too), or whose Host
	// header (req.Host) names one, are sent on without a token.
	AllowedHosts []string
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// Validate reports a configuration that could send a token where nobody meant it to.
func (c Config) Validate() error {
	if c.Acquire == nil {
		return domain.Errorf(domain.ErrInvalidInput, "bearer: Config.Acquire is required")
	}
	if len(c.AllowedHosts) == 0 {
		return domain.Errorf(domain.ErrInvalidInput, "bearer: Config.AllowedHosts is required (there is no default: name every host that may receive the token)")
	}
	for _, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/*?#@ ") {
			return domain.Errorf(domain.ErrInvalidInput, "bearer: allowed host %q must be a host or host:port, without scheme, path or wildcard", h)
		}
	}
	return nil
}

// Transport is an http.RoundTripper that adds "Authorization: Bearer <token>" to
// requests for the allowed hosts (RFC 6750 §2.1): the URL's host, and the Host header
// when the request sets one of its own (req.Host), must both be allowed. The check runs
// on every call, so a redirect that http.Client follows to another host carries no
// token, nor does a request a proxy forwards with its client's Host header. A token is sent
// only over HTTPS, or plain HTTP to a loopback address; an allowed host reached over
// plain HTTP elsewhere is an error, never a token in clear.
//
// On a 401 whose WWW-Authenticate holds a Bearer insufficient_claims challenge, it
// acquires a new token with the decoded claims and re-sends the request once, when the
// request can be replayed (no body, or GetBody). Otherwise the 401 comes back as it
// came; InsufficientClaims(resp.Header) reads its challenge. When that new acquisition
// fails, the error is a *ChallengeError: errors.Is sees the hexauth class (interaction
// required, typically), errors.As the claims.
//
// It never modifies the caller's request, and is safe for concurrent use.
type Transport struct{ cfg Config }

// NewTransport validates cfg and returns its Transport.
func NewTransport(cfg Config) (*Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.AllowedHosts = append([]string(nil), cfg.AllowedHosts...)
	return &Transport{cfg: cfg}, nil
}

// NewClient returns an *http.Client whose Transport is NewTransport(cfg).
func NewClient(cfg Config) (*http.Client, error) {
	t, err := NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

// ChallengeError is a claims challenge the transport could not answer: acquiring a
// token with Claims failed with Err.
type ChallengeError struct {
	Claims string // the decoded claims the resource asked for
	Err    error
}

func (e *ChallengeError) Error() string {
	return "bearer: answering a claims challenge: " + e.Err.Error()
}

func (e *ChallengeError) Unwrap() error { return e.Err }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.allowedHost(req.URL) || !t.allowedHostHeader(req) {
		return t.base().RoundTrip(req)
	}
	if !secure(req.URL) {
		closeBody(req)
		return nil, domain.Errorf(domain.ErrInvalidInput, "bearer: refusing to send a bearer token to %s over %s (HTTPS only, loopback excepted)", req.URL.Host, req.URL.Scheme)
	}
	first, err := t.authorized(req, "", req.Body)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base().RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	claims, ok := InsufficientClaims(resp.Header)
	if !ok || !replayable(req) {
		return resp, nil
	}
	var body io.ReadCloser = http.NoBody
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		b, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		body = b
	}
	second, err := t.authorized(req, claims, body)
	if err != nil {
		body.Close()
		drain(resp)
		return nil, &ChallengeError{Claims: claims, Err: err}
	}
	drain(resp)
	return t.base().RoundTrip(second)
}

// authorized clones req with body and the bearer token.
func (t *Transport) authorized(req *http.Request, claims string, body io.ReadCloser) (*http.Request, error) {
	res, err := t.cfg.Acquire(req.Context(), claims)
	if err != nil {
		return nil, err
	}
	tok, err := res.BearerToken()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	if body == http.NoBody {
		r.ContentLength = 0
	}
	r.Header.Set("Authorization", "Bearer "+string(tok))
	return r, nil
}

func (t *Transport) base() http.RoundTripper {
	if t.cfg.Base != nil {
		return t.cfg.Base
	}
	return http.DefaultTransport
}

func (t *Transport) allowedHost(u *url.URL) bool {
	for _, h := range t.cfg.AllowedHosts {
		if hostMatches(h, u) {
			return true
		}
	}
	return false
}

// allowedHostHeader reports whether the host the request names to the server — its
// Host header, req.Host, when set and not the URL's — is allowed too. A server behind a
// shared front (a CDN, an ingress, a PaaS load balancer) is chosen by that header, not by
// the address dialled, and req.Host is often the choice of someone other than the
// caller: httputil.NewSingleHostReverseProxy keeps its own client's Host header on the
// request it forwards, so a gateway adding its token upstream would hand the token to
// whichever virtual host its client named.
func (t *Transport) allowedHostHeader(req *http.Request) bool {
	if req.Host == "" || req.Host == req.URL.Host {
		return true
	}
	return t.allowedHost(&url.URL{Host: req.Host})
}

// hostMatches: a host:port entry matches that authority exactly; an entry without a
// port (an IPv6 address in brackets or not) matches the host on any port.
func hostMatches(entry string, u *url.URL) bool {
	return strings.EqualFold(entry, u.Host) || strings.EqualFold(strings.Trim(entry, "[]"), u.Hostname())
}

// secure: HTTPS, or HTTP to a loopback address (a local test server, a sidecar).
func secure(u *url.URL) bool {
	if strings.EqualFold(u.Scheme, "https") {
		return true
	}
	if !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// drain reads a little of a response we discard so its connection can be reused, and
// closes it.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}
