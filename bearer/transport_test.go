package bearer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/bearer"
	"github.com/hexauth/hexauth/domain"
)

// acquirer hands out tok-1, tok-2, ... and records the claims it was asked for.
type acquirer struct {
	mu     sync.Mutex
	claims []string
	fail   map[int]error // the n-th call (from 1) fails
	idOnly bool
}

func (a *acquirer) acquire(_ context.Context, claims string) (domain.AuthResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.claims = append(a.claims, claims)
	n := len(a.claims)
	if err := a.fail[n]; err != nil {
		return domain.AuthResult{}, err
	}
	res := domain.AuthResult{AccessToken: domain.Secret("tok-" + string(rune('0'+n))), TokenType: "Bearer", IDToken: "id-token"}
	if a.idOnly {
		res.For = domain.ForIDToken
	}
	return res, nil
}

func (a *acquirer) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.claims...)
}

// api records what each request carried and answers with the handler's status.
type api struct {
	mu    sync.Mutex
	auth  []string
	bodys []string
}

func (s *api) server(t *testing.T, answer func(n int, w http.ResponseWriter)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.bodys = append(s.bodys, string(b))
		n := len(s.auth)
		s.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ok(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func newClient(t *testing.T, a *acquirer, hosts ...string) *http.Client {
	t.Helper()
	c, err := bearer.NewClient(bearer.Config{Acquire: a.acquire, AllowedHosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewTransport_refusesAnOpenConfig(t *testing.T) {
	a := &acquirer{}
	for _, tc := range []struct {
		name string
		cfg  bearer.Config
	}{
		{"no allow-list", bearer.Config{Acquire: a.acquire}},
		{"a wildcard", bearer.Config{Acquire: a.acquire, AllowedHosts: []string{"*.example.com"}}},
		{"a URL", bearer.Config{Acquire: a.acquire, AllowedHosts: []string{"https://api.example.com/"}}},
		{"an empty host", bearer.Config{Acquire: a.acquire, AllowedHosts: []string{""}}},
		{"no acquirer", bearer.Config{AllowedHosts: []string{"api.example.com"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := bearer.NewTransport(tc.cfg); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("NewTransport = %v; want ErrInvalidInput", err)
			}
		})
	}
}

func TestTransport_addsTheTokenWithoutTouchingTheRequest(t *testing.T) {
	var s api
	srv := s.server(t, ok)
	a := &acquirer{}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := newClient(t, a, hostOf(t, srv.URL)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(s.auth) != 1 || s.auth[0] != "Bearer tok-1" {
		t.Fatalf("API saw Authorization %q; want [Bearer tok-1]", s.auth)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("the caller's request now has Authorization %q; a RoundTripper must not modify it", got)
	}
}

func TestTransport_sendsNoTokenOutsideTheAllowList(t *testing.T) {
	var s api
	srv := s.server(t, ok)
	a := &acquirer{}
	resp, err := newClient(t, a, "api.example.com", "127.0.0.1:1").Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.auth[0] != "" || len(a.calls()) != 0 {
		t.Fatalf("a host outside the allow-list saw %q (acquisitions %d); want no token, none acquired", s.auth[0], len(a.calls()))
	}
}

// A redirect from an allowed host to another one: http.Client follows it through the
// transport, which must not carry the token along.
func TestTransport_redirectToAnotherHostLosesTheToken(t *testing.T) {
	var other api
	elsewhere := other.server(t, ok)
	var s api
	srv := s.server(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", elsewhere.URL+"/landing")
		w.WriteHeader(http.StatusFound)
	})
	resp, err := newClient(t, &acquirer{}, hostOf(t, srv.URL)).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.auth[0] != "Bearer tok-1" {
		t.Fatalf("the allowed host saw %q; want the token", s.auth[0])
	}
	if len(other.auth) != 1 || other.auth[0] != "" {
		t.Fatalf("the redirect's target saw Authorization %q; want none", other.auth)
	}
}

type refuse struct{ t *testing.T }

func (r refuse) RoundTrip(*http.Request) (*http.Response, error) {
	r.t.Error("a request went out")
	return nil, errors.New("refused")
}

func TestTransport_neverSendsATokenOverPlainHTTP(t *testing.T) {
	tr, err := bearer.NewTransport(bearer.Config{Acquire: (&acquirer{}).acquire, AllowedHosts: []string{"api.example.com"}, Base: refuse{t}})
	if err != nil {
		t.Fatal(err)
	}
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, "http://api.example.com/orders", body)
	if _, err := tr.RoundTrip(req); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("RoundTrip over http = %v; want ErrInvalidInput", err)
	}
	if !body.closed {
		t.Error("the request body was not closed")
	}
}

func TestTransport_neverSendsAnIDToken(t *testing.T) {
	var s api
	srv := s.server(t, ok)
	_, err := newClient(t, &acquirer{idOnly: true}, hostOf(t, srv.URL)).Get(srv.URL)
	if !errors.Is(err, domain.ErrInvalidInput) || len(s.auth) != 0 {
		t.Fatalf("Get with an ID-token-only result = %v (requests %d); want ErrInvalidInput, none sent", err, len(s.auth))
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestTransport_acquisitionErrorClosesTheBody(t *testing.T) {
	var s api
	srv := s.server(t, ok)
	a := &acquirer{fail: map[int]error{1: domain.ErrNoTokens}}
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
	_, err := newClient(t, a, hostOf(t, srv.URL)).Do(req)
	if !errors.Is(err, domain.ErrNoTokens) || !body.closed {
		t.Fatalf("Do = %v, body closed %v; want ErrNoTokens through *url.Error and the body closed", err, body.closed)
	}
}

func challenge(first int, header string) func(int, http.ResponseWriter) {
	return func(n int, w http.ResponseWriter) {
		if n <= first {
			w.Header().Set("WWW-Authenticate", header)
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "claims required")
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func TestTransport_answersAClaimsChallengeOnce(t *testing.T) {
	var s api
	srv := s.server(t, challenge(1, entraChallenge))
	a := &acquirer{}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte(`{"order":1}`)))
	resp, err := newClient(t, a, hostOf(t, srv.URL)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; want 200 after the retry", resp.StatusCode)
	}
	if got := a.calls(); len(got) != 2 || got[0] != "" || got[1] != entraClaims {
		t.Fatalf("acquisitions with claims %q; want [\"\" %q]", got, entraClaims)
	}
	if len(s.auth) != 2 || s.auth[1] != "Bearer tok-2" || s.bodys[1] != `{"order":1}` {
		t.Fatalf("API saw %q with bodies %q; want the retry with tok-2 and the same body", s.auth, s.bodys)
	}
}

func TestTransport_retriesAtMostOnce(t *testing.T) {
	var s api
	srv := s.server(t, challenge(5, entraChallenge))
	resp, err := newClient(t, &acquirer{}, hostOf(t, srv.URL)).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(s.auth) != 2 {
		t.Fatalf("status %d after %d requests; want the second 401 returned, 2 requests", resp.StatusCode, len(s.auth))
	}
}

func TestTransport_noRetryWithoutAClaimsChallenge(t *testing.T) {
	var s api
	srv := s.server(t, challenge(1, `Bearer error="invalid_token", claims="eyJhIjoxfQ"`))
	a := &acquirer{}
	resp, err := newClient(t, a, hostOf(t, srv.URL)).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(s.auth) != 1 || len(a.calls()) != 1 {
		t.Fatalf("status %d, requests %d, acquisitions %d; want the 401 as is, 1, 1", resp.StatusCode, len(s.auth), len(a.calls()))
	}
}

// A body that cannot be replayed: the 401 comes back, its challenge readable, its body
// unread.
func TestTransport_unreplayableBodyReturnsTheChallenge(t *testing.T) {
	var s api
	srv := s.server(t, challenge(1, entraChallenge))
	a := &acquirer{}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("stream")))
	req.GetBody = nil
	resp, err := newClient(t, a, hostOf(t, srv.URL)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	claims, found := bearer.InsufficientClaims(resp.Header)
	if resp.StatusCode != http.StatusUnauthorized || !found || claims != entraClaims || string(b) != "claims required" {
		t.Fatalf("got %d, claims %q %v, body %q; want the 401 with its challenge and body", resp.StatusCode, claims, found, b)
	}
	if len(s.auth) != 1 || len(a.calls()) != 1 {
		t.Errorf("requests %d, acquisitions %d; want 1, 1", len(s.auth), len(a.calls()))
	}
}

func TestTransport_failedChallengeAnswerKeepsTheClass(t *testing.T) {
	var s api
	srv := s.server(t, challenge(1, entraChallenge))
	a := &acquirer{fail: map[int]error{2: domain.ErrInteractionRequired}}
	_, err := newClient(t, a, hostOf(t, srv.URL)).Get(srv.URL)
	var ce *bearer.ChallengeError
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &ce) || ce.Claims != entraClaims {
		t.Fatalf("Get = %v; want interaction required, a *ChallengeError with the claims", err)
	}
	if len(s.auth) != 1 {
		t.Errorf("requests %d; want 1", len(s.auth))
	}
}

func TestTransport_aHostEntryWithoutPortMatchesAnyPort(t *testing.T) {
	var s api
	srv := s.server(t, ok)
	resp, err := newClient(t, &acquirer{}, "api.example.com", "127.0.0.1").Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.auth[0] != "Bearer tok-1" {
		t.Fatalf("allow-list 127.0.0.1, request to %s: API saw %q; want the token", srv.URL, s.auth[0])
	}
}
