package httpidp_test

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

const (
	itUser     = "ada@example.com"
	itPassword = "pw-secret-value"
	itRedirect = "http://localhost/cb"
)

// newIDPTest starts an idptest server with one user, a public client, a client with a
// secret and one with a certificate, rotating refresh tokens.
func newIDPTest(t *testing.T) *idptest.Server {
	t.Helper()
	keys := testKeys()
	return idptest.NewTestServer(t, idptest.Config{
		Provider: idptest.ProviderConfig{
			Users: []idptest.User{{Username: itUser, Password: itPassword, Name: "Ada"}},
			Clients: []idptest.Client{
				{ID: "public-app"},
				{ID: "secret-app", Secret: "cs-secret-value"},
				{ID: "cert-app", Certificate: keys.rsaCert},
			},
			RotateRefreshTokens: true,
			ClientInfo:          true,
		},
		AutoApproveUser: itUser,
	})
}

// authorizationCode runs the authorization request in the role of the browser and
// returns the code of the redirect.
func authorizationCode(t *testing.T, p *httpidp.Provider, a domain.Authority, pkce domain.PKCE, state, nonce string) domain.Secret {
	t.Helper()
	raw, err := p.AuthorizationURL(t.Context(), a, domain.AuthorizationRequest{
		ClientID: "public-app", RedirectURI: itRedirect, Scopes: []string{"openid", "profile", "offline_access", "User.Read"},
		State: state, Nonce: nonce, CodeChallenge: pkce.Challenge,
	})
	if err != nil {
		t.Fatalf("AuthorizationURL() = %v", err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(raw)
	if err != nil {
		t.Fatalf("GET authorization URL: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorization answered %d %q; want a 302 to the redirect URI", resp.StatusCode, resp.Header.Get("Location"))
	}
	ar := domain.ParseAuthResponse(loc.Query())
	if ar.State != state || ar.Code == "" {
		t.Fatalf("got authorization response state %q, code set %v; want state %q and a code", ar.State, ar.Code != "", state)
	}
	return ar.Code
}

func TestIDPTest_allFourGrants(t *testing.T) {
	layouts := []struct {
		name      string
		authority func(s *idptest.Server) string
		kind      domain.AuthorityKind
	}{
		{"oidc", func(s *idptest.Server) string { return s.Issuer() }, domain.AuthorityOIDC},
		{"entra common", func(s *idptest.Server) string { return s.EntraAuthority("common") }, domain.AuthorityEntra},
		{"entra tenant id", func(s *idptest.Server) string { return s.EntraAuthority(tenantGUID) }, domain.AuthorityEntra},
		// Entra publishes a tenant given by name under its GUID; httpidp accepts only that.
		{"entra tenant name", func(s *idptest.Server) string { return s.EntraAuthority("contoso.onmicrosoft.com") }, domain.AuthorityEntra},
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			srv := newIDPTest(t)
			a, err := domain.ParseAuthority(l.authority(srv), l.kind)
			if err != nil {
				t.Fatalf("ParseAuthority() = %v", err)
			}
			p := newProvider(t, httpidp.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
			meta, err := p.Metadata(t.Context(), a)
			if err != nil {
				t.Fatalf("Metadata() = %v", err)
			}
			rt := runCodeAndRefresh(t, p, a, meta)
			runPasswordAndClientCredentials(t, p, a)
			counts := map[domain.GrantKind]int{domain.GrantAuthorizationCode: 1, domain.GrantRefreshToken: 2,
				domain.GrantPassword: 2, domain.GrantClientCredentials: 4}
			for g, want := range counts {
				if got := srv.Requests(g); got != want {
					t.Errorf("server saw %d %s requests; want %d", got, g, want)
				}
			}
			if rt == "" {
				t.Error("no refresh token was issued")
			}
		})
	}
}

// runCodeAndRefresh redeems an authorization code, checks its ID token, then redeems
// the (rotating) refresh token twice: the second redemption of the old token is refused.
func runCodeAndRefresh(t *testing.T, p *httpidp.Provider, a domain.Authority, meta domain.ProviderMetadata) domain.Secret {
	t.Helper()
	pkce, err := domain.NewPKCE(rand.Reader)
	if err != nil {
		t.Fatalf("NewPKCE() = %v", err)
	}
	code := authorizationCode(t, p, a, pkce, "state-1", "nonce-1")
	res, err := p.Token(t.Context(), domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantAuthorizationCode,
		Code: code, CodeVerifier: pkce.Verifier, RedirectURI: itRedirect, Scopes: []string{"openid", "profile", "offline_access", "User.Read"}})
	if err != nil {
		t.Fatalf("Token(authorization_code) = %v", err)
	}
	if res.AccessToken == "" || res.IDToken == "" || res.RefreshToken == "" {
		t.Fatalf("got access, ID, refresh tokens set %v %v %v; want all three", res.AccessToken != "", res.IDToken != "", res.RefreshToken != "")
	}
	if a.Kind == domain.AuthorityEntra && res.ClientInfo == "" {
		t.Errorf("got no client_info from the Entra layout; want it (client_info=1 sent)")
	}
	if err := p.VerifyIDTokenSignature(t.Context(), a, string(res.IDToken)); err != nil {
		t.Fatalf("VerifyIDTokenSignature() = %v", err)
	}
	_, claims, err := domain.ParseIDToken(string(res.IDToken))
	if err != nil {
		t.Fatalf("ParseIDToken() = %v", err)
	}
	if err := claims.Check(domain.IDTokenExpectations{Issuer: meta.Issuer, ClientID: "public-app", Nonce: "nonce-1", Now: time.Now()}); err != nil {
		t.Errorf("ID token claims: %v", err)
	}
	refresh := domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantRefreshToken,
		RefreshToken: res.RefreshToken, Scopes: []string{"openid", "offline_access", "User.Read"}}
	res2, err := p.Token(t.Context(), refresh)
	if err != nil {
		t.Fatalf("Token(refresh_token) = %v", err)
	}
	if res2.RefreshToken == "" || res2.RefreshToken == res.RefreshToken {
		t.Errorf("got no rotated refresh token; want a new one")
	}
	_, err = p.Token(t.Context(), refresh)
	wantClass(t, err, domain.ErrInteractionRequired)
	return res2.RefreshToken
}

// runPasswordAndClientCredentials redeems a password (right, then wrong) and client
// credentials with each client authentication method.
func runPasswordAndClientCredentials(t *testing.T, p *httpidp.Provider, a domain.Authority) {
	t.Helper()
	keys := testKeys()
	pw := domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantPassword,
		Username: itUser, Password: itPassword, Scopes: []string{"openid", "User.Read"}}
	if _, err := p.Token(t.Context(), pw); err != nil {
		t.Fatalf("Token(password) = %v", err)
	}
	pw.Password = "wrong-secret-value"
	_, err := p.Token(t.Context(), pw)
	wantClass(t, err, domain.ErrInvalidGrant)
	for _, cred := range []struct {
		client string
		c      domain.ClientCredential
	}{
		{"secret-app", domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: httpidp.AuthMethodClientSecretBasic}},
		{"secret-app", domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: httpidp.AuthMethodClientSecretPost}},
		{"cert-app", domain.ClientCredential{Key: keys.rsa, Certificates: []*x509.Certificate{keys.rsaCert}}},
		{"secret-app", domain.ClientCredential{Secret: "cs-secret-value"}},
	} {
		req := domain.TokenRequest{Authority: a, ClientID: cred.client, Grant: domain.GrantClientCredentials,
			Scopes: []string{"api://backend/.default"}, Credential: cred.c}
		if _, err := p.Token(t.Context(), req); err != nil {
			t.Errorf("Token(client_credentials, %s %s) = %v", cred.client, cred.c.AuthMethod, err)
		}
	}
}

func TestIDPTest_faults(t *testing.T) {
	srv := newIDPTest(t)
	other := newIDPTest(t)
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	a, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatalf("ParseAuthority() = %v", err)
	}
	cc := domain.TokenRequest{Authority: a, ClientID: "secret-app", Grant: domain.GrantClientCredentials,
		Scopes: []string{"api://backend/.default"}, Credential: domain.ClientCredential{Secret: "cs-secret-value"}}
	bodyFault := func(b idptest.BodyKind) idptest.Fault { return idptest.Fault{Body: b} }
	tests := []struct {
		name      string
		fault     idptest.Fault
		wantClass domain.ErrorCode // "" means success
		wantHits  int
	}{
		{"503 then success", idptest.Fault{Status: 503}, "", 2},
		{"500 every time", idptest.Fault{Status: 500, Times: -1}, domain.ErrUnavailable, 4},
		{"dropped connection then success", idptest.Fault{DropConnection: true}, "", 2},
		{"oversized body", bodyFault(idptest.BodyOversized), domain.ErrInvalidResponse, 1},
		{"gzip bomb", bodyFault(idptest.BodyGzipBomb), domain.ErrInvalidResponse, 1},
		{"html page", idptest.Fault{Status: 502, Body: idptest.BodyHTML, Times: -1}, domain.ErrUnavailable, 4},
		{"malformed json", bodyFault(idptest.BodyMalformedJSON), domain.ErrUnavailable, 1}, // not JSON: a provider fault (DESIGN §5)
		{"empty 403", idptest.Fault{Status: 403, Body: idptest.BodyEmpty}, domain.ErrAccessDenied, 1},
		{"redirect to another host", idptest.Fault{Redirect: other.URL() + "/token"}, domain.ErrInvalidResponse, 1},
		{"gzip response", idptest.Fault{Gzip: true}, "", 1},
		{"expires_in as string", idptest.Fault{ExpiresInAsString: true}, "", 1},
		{"entra error", idptest.Fault{Status: 400, Error: &idptest.ErrorResponse{Error: "invalid_grant", SubError: "basic_action",
			ErrorCodes: []int{50076}, Claims: `{"access_token":{}}`}}, domain.ErrInteractionRequired, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ClearFaults()
			srv.ResetCounts()
			srv.Script(tt.fault)
			req := cc
			req.Scopes = []string{"api://backend/.default", "s" + string(rune('a'+i))}
			_, err := p.Token(t.Context(), req)
			if tt.wantClass == "" && err != nil {
				t.Fatalf("Token() = %v; want success", err)
			}
			if tt.wantClass != "" {
				wantClass(t, err, tt.wantClass)
			}
			if got := srv.Requests(domain.GrantClientCredentials); got != tt.wantHits {
				t.Errorf("server saw %d requests; want %d", got, tt.wantHits)
			}
		})
	}
	if n := other.EndpointRequests(idptest.EndpointToken); n != 0 {
		t.Errorf("the other host saw %d token requests; want 0", n)
	}
}

func TestIDPTest_throttleAndSingleUse(t *testing.T) {
	srv := newIDPTest(t)
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	a, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatalf("ParseAuthority() = %v", err)
	}
	cc := domain.TokenRequest{Authority: a, ClientID: "secret-app", Grant: domain.GrantClientCredentials,
		Scopes: []string{"api://backend/.default"}, Credential: domain.ClientCredential{Secret: "cs-secret-value"}}
	srv.Script(idptest.Fault{Status: 429, RetryAfter: 5 * time.Minute})
	_, err = p.Token(t.Context(), cc)
	if de := wantClass(t, err, domain.ErrThrottled); de.RetryAfter != 5*time.Minute {
		t.Errorf("got RetryAfter %s; want 5m", de.RetryAfter)
	}
	_, err = p.Token(t.Context(), cc)
	wantClass(t, err, domain.ErrThrottled)
	if n := srv.Requests(domain.GrantClientCredentials); n != 1 {
		t.Errorf("server saw %d requests; want 1 (the second failed fast)", n)
	}
	clock.Advance(5*time.Minute + time.Second)
	if _, err := p.Token(t.Context(), cc); err != nil {
		t.Errorf("Token() after the window = %v; want success", err)
	}

	pkce, _ := domain.NewPKCE(rand.Reader)
	code := authorizationCode(t, p, a, pkce, "s", "n")
	srv.Script(idptest.Fault{Status: 503})
	_, err = p.Token(t.Context(), domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantAuthorizationCode,
		Code: code, CodeVerifier: pkce.Verifier, RedirectURI: itRedirect, Scopes: []string{"openid"}})
	wantClass(t, err, domain.ErrUnavailable)
	if n := srv.Requests(domain.GrantAuthorizationCode); n != 1 {
		t.Errorf("server saw %d code redemptions; want 1 (never resent)", n)
	}
}

func TestIDPTest_idTokenSignatureFaults(t *testing.T) {
	for _, fault := range []idptest.IDTokenFault{idptest.IDTokenWrongSignature, idptest.IDTokenAlgNone} {
		t.Run(fault.String(), func(t *testing.T) {
			srv := newIDPTest(t)
			p := newProvider(t, testConfig(newFakeClock()))
			a, _ := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
			srv.Script(idptest.Fault{IDToken: fault})
			res, err := p.Token(t.Context(), domain.TokenRequest{Authority: a, ClientID: "public-app", Grant: domain.GrantPassword,
				Username: itUser, Password: itPassword, Scopes: []string{"openid"}})
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			err = p.VerifyIDTokenSignature(t.Context(), a, string(res.IDToken))
			if !errors.Is(err, domain.ErrInvalidIDToken) {
				t.Errorf("VerifyIDTokenSignature() = %v; want ErrInvalidIDToken", err)
			}
		})
	}
}
