package httpidp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// The Op of discovery and key-set errors.
const (
	opMetadata = "httpidp: metadata"
	opJWKS     = "httpidp: jwks"
)

// fetchClasses are the classes a failed GET may have; a caller tells them apart.
var fetchClasses = []domain.ErrorCode{domain.ErrDiscovery, domain.ErrThrottled, domain.ErrUnavailable}

// documentFetch is one of the two GETs under test, on an idptest server.
type documentFetch struct {
	endpoint idptest.Endpoint
	op       string
}

var documentFetches = []documentFetch{{idptest.EndpointDiscovery, opMetadata}, {idptest.EndpointJWKS, opJWKS}}

// fetcher returns a call that makes p GET the endpoint's document from srv (the
// discovery document through Metadata, the key set through VerifyIDTokenSignature of an
// ID token srv issued) and srv's counts reset. The call's error is the GET's.
func (d documentFetch) fetcher(t *testing.T, p *httpidp.Provider, srv *idptest.Server) func() error {
	t.Helper()
	a, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatalf("ParseAuthority() = %v", err)
	}
	call := func() error {
		_, err := p.Metadata(testContext(t), a)
		return err
	}
	if d.endpoint == idptest.EndpointJWKS {
		res, err := p.Token(testContext(t), domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantPassword,
			Username: itUser, Password: itPassword, Scopes: []string{"openid", "User.Read"}})
		if err != nil || res.IDToken == "" {
			t.Fatalf("Token(password) = ID token set %v, %v; want an ID token", res.IDToken != "", err)
		}
		call = func() error { return p.VerifyIDTokenSignature(testContext(t), a, string(res.IDToken)) }
	}
	srv.ResetCounts()
	return call
}

// testContext bounds a call so that a failure cannot hang the test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantOnly fails unless err is a *domain.Error of class c and of none of the other
// fetch classes, so that "try again later" and "wrong authority" never overlap.
func wantOnly(t *testing.T, err error, c domain.ErrorCode) *domain.Error {
	t.Helper()
	de := wantClass(t, err, c)
	for _, other := range fetchClasses {
		if other != c && errors.Is(err, other) {
			t.Errorf("got %v; want it not to be %s", err, other)
		}
	}
	return de
}

// wantOpOnce fails unless err's message starts with the package and op and names op,
// and "hexauth:", once, with no part repeated ("discovery: discovery: ...").
func wantOpOnce(t *testing.T, err error, op string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "hexauth: "+op+": ") || strings.Count(msg, op) != 1 || strings.Count(msg, "hexauth:") != 1 {
		t.Errorf("got message %q; want it to start with %q and name that and the package once", msg, "hexauth: "+op+": ")
	}
	parts := strings.Split(msg, ": ")
	for i := 1; i < len(parts); i++ {
		if parts[i] == parts[i-1] {
			t.Errorf("got message %q; it repeats %q", msg, parts[i])
		}
	}
}

func TestProvider_documentGET_failureClasses(t *testing.T) {
	tests := []struct {
		name           string
		fault          idptest.Fault // Endpoint set per fetch
		wantClass      domain.ErrorCode
		wantStatus     int
		wantRetryAfter time.Duration
		wantRequests   int
	}{
		// Retry-After over the 2 s cap of testConfig: not waited out, not retried.
		{"429 with Retry-After", idptest.Fault{Status: 429, RetryAfter: 10 * time.Minute}, domain.ErrThrottled, 429, 10 * time.Minute, 1},
		{"503 with Retry-After", idptest.Fault{Status: 503, RetryAfter: time.Minute}, domain.ErrThrottled, 503, time.Minute, 1},
		{"503 on every retry", idptest.Fault{Status: 503, Times: -1}, domain.ErrUnavailable, 503, 0, 4},
		{"HTML 502 on every retry", idptest.Fault{Status: 502, Body: idptest.BodyHTML, Times: -1}, domain.ErrUnavailable, 502, 0, 4},
		{"404", idptest.Fault{Status: 404}, domain.ErrDiscovery, 404, 0, 1},
		{"403 HTML", idptest.Fault{Status: 403, Body: idptest.BodyHTML}, domain.ErrDiscovery, 403, 0, 1},
		{"200 HTML", idptest.Fault{Body: idptest.BodyHTML}, domain.ErrDiscovery, 200, 0, 1},
		{"200 wrong shape", idptest.Fault{Body: idptest.BodyRaw, RawBody: []byte(`{"issuer":42,"keys":{}}`)}, domain.ErrDiscovery, 200, 0, 1},
		{"oversized", idptest.Fault{Body: idptest.BodyOversized}, domain.ErrDiscovery, 200, 0, 1},
		{"redirect off loopback", idptest.Fault{Redirect: "http://idp.example.invalid/doc"}, domain.ErrDiscovery, 0, 0, 1},
	}
	for _, d := range documentFetches {
		for _, tt := range tests {
			t.Run(string(d.endpoint)+" "+tt.name, func(t *testing.T) {
				srv := newIDPTest(t)
				p := newProvider(t, testConfig(newFakeClock()))
				fetch := d.fetcher(t, p, srv)
				f := tt.fault
				f.Endpoint = d.endpoint
				srv.Script(f)
				err := fetch()
				de := wantOnly(t, err, tt.wantClass)
				if de.HTTPStatus != tt.wantStatus || de.RetryAfter != tt.wantRetryAfter {
					t.Errorf("got HTTP status %d, RetryAfter %s; want %d, %s", de.HTTPStatus, de.RetryAfter, tt.wantStatus, tt.wantRetryAfter)
				}
				if n := srv.EndpointRequests(d.endpoint); n != tt.wantRequests {
					t.Errorf("got %d %s requests; want %d", n, d.endpoint, tt.wantRequests)
				}
				wantOpOnce(t, err, d.op)
				if msg := err.Error(); strings.Contains(msg, "<") || strings.Contains(msg, "access_token") {
					t.Errorf("error %q quotes the body", msg)
				}
			})
		}
	}
}

func TestProvider_documentGET_503ThenServed(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv := newIDPTest(t)
			p := newProvider(t, testConfig(newFakeClock()))
			fetch := d.fetcher(t, p, srv)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 503})
			if err := fetch(); err != nil {
				t.Fatalf("got %v; want the 503 retried and the document served", err)
			}
			if n := srv.EndpointRequests(d.endpoint); n != 2 {
				t.Errorf("got %d %s requests; want 2 (the 503, then its retry)", n, d.endpoint)
			}
		})
	}
}

func TestProvider_documentGET_failsFastInsideRetryAfter(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv := newIDPTest(t)
			clock := newFakeClock()
			p := newProvider(t, testConfig(clock))
			fetch := d.fetcher(t, p, srv)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 429, RetryAfter: 10 * time.Minute})
			wantOnly(t, fetch(), domain.ErrThrottled)

			clock.Advance(4 * time.Minute)
			err := fetch()
			de := wantOnly(t, err, domain.ErrThrottled)
			if de.RetryAfter != 6*time.Minute {
				t.Errorf("got RetryAfter %s inside the window; want the 6m0s left", de.RetryAfter)
			}
			wantOpOnce(t, err, d.op)
			if n := srv.EndpointRequests(d.endpoint); n != 1 {
				t.Fatalf("got %d %s requests; want 1 (the second call refused without a request)", n, d.endpoint)
			}

			clock.Advance(6 * time.Minute)
			if err := fetch(); err != nil {
				t.Fatalf("got %v after the window; want the document fetched", err)
			}
			if n := srv.EndpointRequests(d.endpoint); n != 2 {
				t.Errorf("got %d %s requests; want 2", n, d.endpoint)
			}
		})
	}
}

func TestProvider_Metadata_windowIsPerURL(t *testing.T) {
	srv := newIDPTest(t)
	p := newProvider(t, testConfig(newFakeClock()))
	oidc, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	entra, err := domain.ParseAuthority(srv.EntraAuthority(tenantGUID), domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Status: 429, RetryAfter: time.Hour})
	if _, err := p.Metadata(testContext(t), oidc); !errors.Is(err, domain.ErrThrottled) {
		t.Fatalf("Metadata(oidc) = %v; want ErrThrottled", err)
	}
	if _, err := p.Metadata(testContext(t), entra); err != nil {
		t.Fatalf("Metadata(another authority on the host) = %v; want it fetched, outside the window", err)
	}
	// The token endpoint needs the metadata: it fails as throttled too, not as discovery.
	_, err = p.Token(testContext(t), domain.TokenRequest{Authority: oidc, ClientID: "public-app", Grant: domain.GrantPassword,
		Username: itUser, Password: itPassword, Scopes: []string{"openid"}})
	wantOnly(t, err, domain.ErrThrottled)
	wantOpOnce(t, err, opMetadata)
	if n := srv.EndpointRequests(idptest.EndpointDiscovery); n != 2 {
		t.Errorf("got %d discovery requests; want 2 (one per authority)", n)
	}
}

// closedURL returns an http URL on loopback where nothing listens any more.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestProvider_documentGET_connectionRefused(t *testing.T) {
	t.Run("discovery", func(t *testing.T) {
		p := newProvider(t, testConfig(newFakeClock()))
		a, err := domain.ParseAuthority(closedURL(t), domain.AuthorityOIDC)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Metadata(testContext(t), a)
		de := wantOnly(t, err, domain.ErrUnavailable)
		if de.HTTPStatus != 0 || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("got %v (HTTP status %d); want no status and the refused connection as its cause", err, de.HTTPStatus)
		}
		wantOpOnce(t, err, opMetadata)
	})
	t.Run("jwks", func(t *testing.T) {
		f := newFakeIdP(t)
		jwks := closedURL(t) + "/jwks"
		f.setDoc(func(_ *http.Request, doc map[string]any) { doc["jwks_uri"] = jwks })
		cfg := testConfig(newFakeClock())
		cfg.AllowedHosts = []string{strings.TrimPrefix(strings.TrimSuffix(jwks, "/jwks"), "http://")} // another origin
		p := newProvider(t, cfg)
		err := p.VerifyIDTokenSignature(testContext(t), f.authority("", domain.AuthorityOIDC), signJWT(t, "RS256", "k", testKeys().rsa, idClaims()))
		de := wantOnly(t, err, domain.ErrUnavailable)
		if de.HTTPStatus != 0 || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("got %v (HTTP status %d); want no status and the refused connection as its cause", err, de.HTTPStatus)
		}
		wantOpOnce(t, err, opJWKS)
	})
}

func TestProvider_Metadata_issuerMismatchIsDiscovery(t *testing.T) {
	srv := newIDPTest(t)
	p := newProvider(t, testConfig(newFakeClock()))
	a, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"issuer":"https://evil.example.com","authorization_endpoint":"` + srv.URL() + `/authorize",` +
		`"token_endpoint":"` + srv.URL() + `/token","jwks_uri":"` + srv.URL() + `/jwks"}`
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Body: idptest.BodyRaw, RawBody: []byte(doc), ContentType: "application/json"})
	_, err = p.Metadata(testContext(t), a)
	de := wantOnly(t, err, domain.ErrDiscovery)
	if !strings.Contains(de.Error(), `issuer "https://evil.example.com" is not the one expected`) {
		t.Errorf("got %q; want it to name the issuer refused", de)
	}
	wantOpOnce(t, err, opMetadata)
}
