package app_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// newIdPServer returns the HTTP fake provider with one confidential client and one user.
func newIdPServer(t *testing.T) *idptest.Server {
	t.Helper()
	return idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: "ada@example.com", Password: "pw"}},
		Clients: []idptest.Client{{ID: "daemon", Secret: "s3cret"}, {ID: "cli"}},
	}})
}

// countingTransport counts the requests it carries to http.DefaultTransport.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Two clients of one process share the HTTP provider: one discovery, one key set.
// Closing one leaves the other working, still on the shared caches.
func TestNewClients_shareOneHTTPProvider(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t)
	rt := &countingTransport{} // one value, so both configs name the same transport
	cfg := app.Config{ClientID: "cli", Authority: srv.Issuer(), Transport: rt}
	pc, err := app.NewPublicClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientID = "daemon"
	cc, err := app.NewConfidentialClient(ctx, cfg, app.ClientSecret("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "ada@example.com", "pw", []string{"api://x/read"}); err != nil {
		t.Fatalf("AcquireTokenByUsernamePassword() = %v", err)
	}
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://x/.default"}); err != nil {
		t.Fatalf("AcquireTokenForClient() = %v", err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://y/.default"}); err != nil {
		t.Fatalf("AcquireTokenForClient() after the other client closed = %v", err)
	}
	if n := srv.EndpointRequests(idptest.EndpointDiscovery); n != 1 {
		t.Errorf("got %d discovery requests from two clients; want 1 (one shared provider)", n)
	}
	if n := srv.EndpointRequests(idptest.EndpointJWKS); n > 1 {
		t.Errorf("got %d key-set requests from two clients; want at most 1", n)
	}
	if n := rt.calls(); n != srv.EndpointRequests(idptest.EndpointAny) || n < 4 {
		t.Errorf("the configured transport carried %d of %d requests; want all of them", n, srv.EndpointRequests(idptest.EndpointAny))
	}
}

// Clients whose provider-relevant configuration differs do not share a provider.
func TestNewClients_differentAllowedHostsDoNotShare(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t)
	rt := &countingTransport{}
	for _, hosts := range [][]string{nil, {"other.example.com"}} {
		cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "daemon", Authority: srv.Issuer(), Transport: rt, AllowedHosts: hosts}, app.ClientSecret("s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		if _, err := cc.AcquireTokenForClient(ctx, []string{"api://x/.default"}); err != nil {
			t.Fatalf("AcquireTokenForClient() = %v", err)
		}
	}
	if n := srv.EndpointRequests(idptest.EndpointDiscovery); n != 2 {
		t.Errorf("got %d discovery requests; want 2 (two providers)", n)
	}
}

// The caller's *http.Client carries every request and is not modified.
func TestConfig_HTTPClient_carriesEveryRequest(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t)
	rt := &countingTransport{}
	caller := &http.Client{Transport: rt}
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "daemon", Authority: srv.Issuer(), HTTPClient: caller}, app.ClientSecret("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://x/.default"}); err != nil {
		t.Fatalf("AcquireTokenForClient() = %v", err)
	}
	if n, all := rt.calls(), srv.EndpointRequests(idptest.EndpointAny); n != all || n == 0 {
		t.Errorf("the caller's client carried %d of %d requests; want all", n, all)
	}
	if caller.CheckRedirect != nil || caller.Timeout != 0 || caller.Transport != rt {
		t.Errorf("the caller's client was modified: %+v", caller)
	}
}

func TestConfig_Validate_providerHTTP(t *testing.T) {
	base := app.Config{ClientID: "c", Authority: "https://idp.example.com"}
	tests := []struct {
		name   string
		edit   func(*app.Config)
		wantOK bool
	}{
		{"client and transport", func(c *app.Config) { c.HTTPClient, c.Transport = &http.Client{}, http.DefaultTransport }, false},
		{"bad allowed host", func(c *app.Config) { c.AllowedHosts = []string{"https://x.example.com"} }, false},
		{"link-local authority", func(c *app.Config) { c.Authority = "https://169.254.169.254/latest" }, false},
		{"link-local authority allowed", func(c *app.Config) {
			c.Authority, c.AllowedHosts = "https://169.254.169.254/latest", []string{"169.254.169.254"}
		}, true},
		{"link-local v6 authority allowed with port", func(c *app.Config) {
			c.Authority, c.AllowedHosts = "https://[fe80::1]:8443/x", []string{"[fe80::1]:8443"}
		}, true},
		{"client only", func(c *app.Config) { c.HTTPClient = &http.Client{} }, true},
	}
	for _, tt := range tests {
		cfg := base
		tt.edit(&cfg)
		err := cfg.Validate()
		if tt.wantOK && err != nil || !tt.wantOK && !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: Validate() = %v; want ok %v (else ErrInvalidInput)", tt.name, err, tt.wantOK)
		}
	}
}
