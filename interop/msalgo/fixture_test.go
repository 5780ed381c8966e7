package msalgo_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// The fixture: one user of an Entra-shaped tenant on the fake, one public client.
const (
	tenantID = "7f3c2a10-5b6d-4e8f-9a01-23456789abcd"
	clientID = "0a1b2c3d-4e5f-4061-8172-93a4b5c6d7e8"
	username = "ada@contoso.example"
	password = "correct horse"
	// Three resource scopes: hexauth signs in for A, MSAL refreshes for B, hexauth for C.
	scopeA = "api://interop/A"
	scopeB = "api://interop/B"
	scopeC = "api://interop/C"
)

// newProvider starts the fake over TLS on loopback, Entra-shaped (client_info, so the
// home account id is uid.utid as MSAL expects of an AAD authority), rotating refresh
// tokens and revoking a token's whole chain when a spent one comes back (RFC 9700
// §4.14.2): a client that presents a rotated-away token loses the session, so a
// round trip that resurrects one fails loudly.
func newProvider(t *testing.T) *idptest.Server {
	t.Helper()
	srv, err := idptest.NewServer(providerConfig(""))
	if err != nil {
		t.Fatalf("idptest.NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// providerConfig is the fixture's provider on addr ("": a random port of 127.0.0.1).
func providerConfig(addr string) idptest.Config {
	return idptest.Config{
		Addr: addr,
		TLS:  true,
		Provider: idptest.ProviderConfig{
			Users:                   []idptest.User{{Username: username, Password: domain.Secret(password), TenantID: tenantID, Name: "Ada"}},
			Clients:                 []idptest.Client{{ID: clientID}},
			RotateRefreshTokens:     true,
			DetectRefreshTokenReuse: true,
			ClientInfo:              true,
		},
	}
}

// tokenRequest is what one client sent to the token endpoint.
type tokenRequest struct {
	grant        string
	refreshToken string
	scope        string
}

// recorder is an http.RoundTripper that notes every request a client sends (so a test
// can assert that a silent hit touched no network at all) and the grant and refresh
// token of every token request (so it can assert which refresh token was presented).
type recorder struct {
	base http.RoundTripper

	mu       sync.Mutex
	requests []string
	tokens   []tokenRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	entry := req.Method + " " + req.URL.Path
	var tr *tokenRequest
	if req.Method == http.MethodPost && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("grant_type") != "" {
			tr = &tokenRequest{grant: form.Get("grant_type"), refreshToken: form.Get("refresh_token"), scope: form.Get("scope")}
		}
	}
	r.mu.Lock()
	r.requests = append(r.requests, entry)
	if tr != nil {
		r.tokens = append(r.tokens, *tr)
	}
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// mark returns how many requests and token requests were sent so far.
func (r *recorder) mark() (requests, tokens int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests), len(r.tokens)
}

// since returns the requests and token requests sent after mark's counts.
func (r *recorder) since(requests, tokens int) ([]string, []tokenRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests[requests:]...), append([]tokenRequest(nil), r.tokens[tokens:]...)
}

// client returns an HTTP client for srv that trusts its certificate and records through r.
func (r *recorder) client(srv *idptest.Server) *http.Client {
	c := srv.Client()
	r.base = c.Transport
	c.Transport = r
	return c
}

// newHexauth returns a hexauth public client of the fixture's client on srv's Entra
// authority, with a memory cache, sending through rec.
func newHexauth(t *testing.T, srv *idptest.Server, rec *recorder) *app.PublicClient {
	t.Helper()
	pc, err := app.NewPublicClient(context.Background(), app.Config{
		ClientID:      clientID,
		Authority:     srv.EntraAuthority(tenantID),
		AuthorityKind: domain.AuthorityEntra,
		Cache:         "memory:",
		HTTPClient:    rec.client(srv),
	})
	if err != nil {
		t.Fatalf("app.NewPublicClient: %v", err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// signIn signs the fixture's user in with hexauth (ROPC) for scope A and returns the
// result, which carries the refresh token the provider issued.
func signIn(t *testing.T, pc *app.PublicClient) app.AuthResult {
	t.Helper()
	res, err := pc.AcquireTokenByUsernamePassword(context.Background(), username, password, []string{scopeA})
	if err != nil {
		t.Fatalf("hexauth sign-in: %v", err)
	}
	if res.RefreshToken == "" {
		t.Fatal("hexauth sign-in: the provider issued no refresh token")
	}
	return res
}

// export returns hexauth's cache as an MSAL document.
func export(t *testing.T, pc *app.PublicClient) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pc.ExportCache(context.Background(), &buf); err != nil {
		t.Fatalf("hexauth ExportCache: %v", err)
	}
	return buf.Bytes()
}

// finishInHexauth imports an MSAL client's cache document back into pc (whose store
// still holds the refresh token MSAL rotated away), then asserts that hexauth serves the
// access token MSAL cached for scope B with no request, and that a refresh for scope C
// presents rotated (MSAL's new refresh token, not the revoked one) and succeeds.
func finishInHexauth(t *testing.T, pc *app.PublicClient, rec *recorder, doc []byte, spent, rotated, msalTokenB string) {
	t.Helper()
	ctx := context.Background()
	report, err := pc.ImportCache(ctx, bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("hexauth ImportCache(MSAL's document): %v", err)
	}
	if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionReplaced {
		t.Errorf("import report conflicts = %+v; want one refresh token, replaced", report.Conflicts)
	}
	accounts, err := pc.Accounts(ctx)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("hexauth Accounts after the import = %v, %v; want one account", accounts, err)
	}

	n, m := rec.mark()
	hit, err := pc.AcquireTokenSilent(ctx, []string{scopeB}, accounts[0])
	if err != nil {
		t.Fatalf("hexauth silent for scope B (MSAL's access token): %v", err)
	}
	if string(hit.AccessToken) != msalTokenB || hit.TokenSource != domain.SourceCache {
		t.Errorf("hexauth silent for scope B: source %v, MSAL's token %v; want MSAL's cached token", hit.TokenSource, string(hit.AccessToken) == msalTokenB)
	}
	if reqs, _ := rec.since(n, m); len(reqs) != 0 {
		t.Errorf("hexauth's silent hit on MSAL's access token sent %v; want no request", reqs)
	}

	n, m = rec.mark()
	res, err := pc.AcquireTokenSilent(ctx, []string{scopeC}, accounts[0])
	if err != nil {
		t.Fatalf("hexauth refresh after the import: %v (the provider refuses a rotated-away token and revokes its chain)", err)
	}
	if res.TokenSource != domain.SourceIdentityProvider {
		t.Errorf("hexauth silent for scope C: source %v; want the provider", res.TokenSource)
	}
	_, tokens := rec.since(n, m)
	if len(tokens) != 1 || tokens[0].grant != "refresh_token" {
		t.Fatalf("hexauth sent %d token requests %+v; want one refresh_token grant", len(tokens), grants(tokens))
	}
	switch tokens[0].refreshToken {
	case rotated:
	case spent:
		t.Fatal("hexauth presented the refresh token MSAL had rotated away (revoked), not MSAL's new one")
	default:
		t.Fatal("hexauth presented a refresh token that is neither MSAL's rotated one nor the spent one")
	}
	// A last refresh proves the session is still alive: had any client presented a
	// spent token, reuse detection would have revoked the chain.
	if _, err := pc.AcquireTokenSilent(ctx, []string{scopeA}, accounts[0], app.WithForceRefresh()); err != nil {
		t.Fatalf("hexauth forced refresh at the end: %v (the session was revoked)", err)
	}
}

// grants lists the grant types of tokens, never their secrets.
func grants(tokens []tokenRequest) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.grant
	}
	return out
}

// hasScope reports whether the space-separated scope list s holds scope.
func hasScope(s, scope string) bool {
	for _, f := range strings.Fields(s) {
		if f == scope {
			return true
		}
	}
	return false
}
