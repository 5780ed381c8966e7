package httpidp_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

const wellKnown = "/.well-known/openid-configuration"

// fakeClock is a ports.Clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seenRequest is what the fake server recorded of a token request.
type seenRequest struct {
	Form   url.Values
	Header http.Header
}

// fakeIdP is a scriptable identity provider on a loopback httptest server: discovery
// for any path, a token endpoint and a JWKS endpoint, each counted.
type fakeIdP struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	hits  map[string]int
	seen  []seenRequest
	doc   func(r *http.Request, doc map[string]any) // edits the discovery document
	token http.HandlerFunc                          // nil: a successful token response
	jwks  []byte
	raw   http.HandlerFunc            // when set, answers every request (after counting)
	paths map[string]http.HandlerFunc // further endpoints by path (the device endpoint)
}

func newFakeIdP(t testing.TB) *fakeIdP {
	t.Helper()
	f := &fakeIdP{t: t, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	f.mu.Lock()
	switch {
	case strings.HasSuffix(path, wellKnown):
		f.hits["discovery"]++
	case path == "/token":
		f.hits["token"]++
		_ = r.ParseForm()
		f.seen = append(f.seen, seenRequest{Form: r.PostForm, Header: r.Header.Clone()})
	case path == "/jwks":
		f.hits["jwks"]++
	}
	docEdit, token, jwks, raw, extra := f.doc, f.token, f.jwks, f.raw, f.paths[path]
	f.mu.Unlock()
	switch {
	case extra != nil:
		f.mu.Lock()
		f.hits[path]++
		f.mu.Unlock()
		extra(w, r)
	case raw != nil:
		raw(w, r)
	case strings.HasSuffix(path, wellKnown):
		doc := map[string]any{
			"issuer":                 f.srv.URL + strings.TrimSuffix(path, wellKnown),
			"authorization_endpoint": f.srv.URL + "/authorize",
			"token_endpoint":         f.srv.URL + "/token",
			"jwks_uri":               f.srv.URL + "/jwks",
		}
		if docEdit != nil {
			docEdit(r, doc)
		}
		writeJSON(w, http.StatusOK, doc)
	case path == "/token" && token != nil:
		token(w, r)
	case path == "/token":
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "at-secret-value", "token_type": "bearer", "expires_in": 3600})
	case path == "/jwks":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeIdP) setToken(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = h
}

func (f *fakeIdP) setRaw(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw = h
}

func (f *fakeIdP) setDoc(edit func(r *http.Request, doc map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doc = edit
}

func (f *fakeIdP) setJWKS(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = b
}

func (f *fakeIdP) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[endpoint]
}

func (f *fakeIdP) lastToken() seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		f.t.Fatal("the token endpoint saw no request")
	}
	return f.seen[len(f.seen)-1]
}

func (f *fakeIdP) tokenRequests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// authority parses an authority on the fake server: path "" is an OIDC issuer at the
// server's root.
func (f *fakeIdP) authority(path string, kind domain.AuthorityKind) domain.Authority {
	f.t.Helper()
	a, err := domain.ParseAuthority(f.srv.URL+path, kind)
	if err != nil {
		f.t.Fatalf("ParseAuthority(%q) = %v", f.srv.URL+path, err)
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// status returns a token handler that answers status with a JSON body (nil: empty) and
// optional headers (name, value pairs).
func status(code int, body any, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if body == nil {
			w.WriteHeader(code)
			return
		}
		if s, ok := body.(string); ok {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(s))
			return
		}
		writeJSON(w, code, body)
	}
}

// sequence returns a handler that uses hs in turn, repeating the last one.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(i, len(hs)-1)]
		i++
		mu.Unlock()
		h(w, r)
	}
}

// testConfig is a Config with tiny retry waits and a fake clock.
func testConfig(clock *fakeClock) httpidp.Config {
	return httpidp.Config{
		Clock:         clock,
		RetryWaitMin:  time.Millisecond,
		RetryWaitMax:  5 * time.Millisecond,
		RetryAfterCap: 2 * time.Second,
		Version:       "test-1",
	}
}

func newProvider(t *testing.T, cfg httpidp.Config) *httpidp.Provider {
	t.Helper()
	p, err := httpidp.New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(p.CloseIdleConnections)
	return p
}

// captureLogs returns a debug-level logger writing into the returned buffer.
func captureLogs() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wantClass fails unless err is a *domain.Error of class c.
func wantClass(t *testing.T, err error, c domain.ErrorCode) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %v (%T); want a *domain.Error of class %s", err, err, c)
	}
	if !errors.Is(err, c) {
		t.Fatalf("got error %v (class %s); want class %s", err, de.Class, c)
	}
	return de
}

// clientCredentialsRequest is a client-credentials request with a secret.
func clientCredentialsRequest(a domain.Authority) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantClientCredentials,
		Scopes: []string{"api://x/.default"}, Credential: domain.ClientCredential{Secret: "cs-secret-value"}}
}

// codeRequest is an authorization-code request of a public client.
func codeRequest(a domain.Authority) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantAuthorizationCode,
		Scopes: []string{"openid", "User.Read"}, Code: "code-secret-value", CodeVerifier: "verifier-secret-value",
		RedirectURI: "http://localhost/cb"}
}

var testKeys = sync.OnceValue(func() keyMaterial {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	rsaKey2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return keyMaterial{rsa: rsaKey, rsa2: rsaKey2, ec: ecKey,
		rsaCert: selfSigned(rsaKey, &rsaKey.PublicKey), ecCert: selfSigned(ecKey, &ecKey.PublicKey)}
})

type keyMaterial struct {
	rsa, rsa2       *rsa.PrivateKey
	ec              *ecdsa.PrivateKey
	rsaCert, ecCert *x509.Certificate
}

func selfSigned(priv any, pub any) *x509.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hexauth test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}

// countingTransport counts round trips; fail, when set, may fail a request with an
// error instead of passing it to next (nil next: http.DefaultTransport).
type countingTransport struct {
	mu   sync.Mutex
	n    int
	next http.RoundTripper
	fail func(r *http.Request) error
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	fail, next := c.fail, c.next
	c.mu.Unlock()
	if fail != nil {
		if err := fail(r); err != nil {
			return nil, err
		}
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

func (c *countingTransport) setFail(fail func(r *http.Request) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = fail
}

func (c *countingTransport) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
