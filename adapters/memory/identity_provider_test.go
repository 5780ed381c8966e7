package memory_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

// Fixtures of the identity provider tests. The secrets are distinctive so that a test
// can show they never reach an error string.
const (
	idpPublicID     = "11111111-aaaa-4bbb-8ccc-000000000001"
	idpFamilyID     = "11111111-aaaa-4bbb-8ccc-000000000002"
	idpDaemonID     = "11111111-aaaa-4bbb-8ccc-000000000003"
	idpSecret       = "client-secret-Zq8vN3"
	idpPassword     = "password-Kx7!fW2"
	idpRedirectURI  = "http://localhost:8400/callback"
	idpUser         = "alice@contoso.example"
	idpMFAUser      = "bob@contoso.example"
	idpNoConsent    = "carol@contoso.example"
	idpScope        = "https://graph.example/User.Read"
	idpOtherScope   = "https://graph.example/Mail.Read"
	idpDefaultScope = "https://graph.example/.default"
	idpTenant       = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	idpAuthorityURL = "https://login.microsoftonline.com/" + idpTenant
)

var idpStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// idpConfig returns the configuration of the tests' provider: three users (one who
// must use MFA, one who denies consent), a public client in family "1", another public
// client of the same family and a confidential daemon.
func idpConfig(clock *memory.Clock) memory.ProviderConfig {
	return memory.ProviderConfig{
		Clock: clock,
		Users: []memory.User{
			{Username: idpUser, Password: idpPassword, TenantID: idpTenant, Name: "Alice"},
			{Username: idpMFAUser, Password: idpPassword, TenantID: idpTenant, RequireMFA: true},
			{Username: idpNoConsent, Password: idpPassword, TenantID: idpTenant, DeniesConsent: true},
		},
		Clients: []memory.Client{
			{ID: idpPublicID, FamilyID: "1", RedirectURIs: []string{idpRedirectURI}},
			{ID: idpFamilyID, FamilyID: "1"},
			{ID: idpDaemonID, Secret: idpSecret},
		},
		Scopes: []string{idpScope, idpOtherScope},
	}
}

// idpNew returns a provider on idpConfig, changed by each of mods, with its clock.
func idpNew(t testing.TB, mods ...func(*memory.ProviderConfig)) (*memory.IdentityProvider, *memory.Clock) {
	t.Helper()
	clock := memory.NewClock(idpStart)
	cfg := idpConfig(clock)
	for _, m := range mods {
		m(&cfg)
	}
	p, err := memory.NewIdentityProvider(cfg)
	if err != nil {
		t.Fatalf("NewIdentityProvider = %v; want nil error", err)
	}
	return p, clock
}

// idpAuthority parses raw as an authority of any kind.
func idpAuthority(t testing.TB, raw string) domain.Authority {
	t.Helper()
	a, err := domain.ParseAuthority(raw, domain.AuthorityAuto)
	if err != nil {
		t.Fatalf("ParseAuthority(%q) = %v", raw, err)
	}
	return a
}

// idpUserScopes are the scopes of a user flow: a resource scope plus the reserved ones.
func idpUserScopes() []string { return domain.WithReservedScopes([]string{idpScope}) }

// idpPasswordRequest is a password grant for username at authority a.
func idpPasswordRequest(a domain.Authority, username, password string) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: idpPublicID, Grant: domain.GrantPassword,
		Scopes: idpUserScopes(), Username: username, Password: domain.Secret(password)}
}

// idpRefreshRequest is a refresh_token grant of rt by clientID at a.
func idpRefreshRequest(a domain.Authority, clientID string, rt domain.Secret) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: clientID, Grant: domain.GrantRefreshToken,
		Scopes: idpUserScopes(), RefreshToken: rt}
}

// idpToken redeems req and fails the test on an error.
func idpToken(t testing.TB, p *memory.IdentityProvider, req domain.TokenRequest) domain.TokenResponse {
	t.Helper()
	resp, err := p.Token(context.Background(), req)
	if err != nil {
		t.Fatalf("Token(%v) = %v; want a token", req, err)
	}
	if err := resp.Validate(); err != nil {
		t.Fatalf("Token(%v) response does not validate: %v", req, err)
	}
	return resp
}

// idpRefusal redeems req, which must fail, and returns the *domain.Error.
func idpRefusal(t testing.TB, p *memory.IdentityProvider, req domain.TokenRequest) *domain.Error {
	t.Helper()
	_, err := p.Token(context.Background(), req)
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("Token(%v) = %v; want a *domain.Error", req, err)
	}
	if !strings.HasPrefix(de.Error(), "hexauth: memory: token") {
		t.Errorf("error %q does not name the operation; want prefix %q", de, "hexauth: memory: token")
	}
	return de
}

// idpWantRefusal checks a refusal's class, code, HTTP status and Entra error code.
func idpWantRefusal(t testing.TB, e *domain.Error, class domain.ErrorCode, code string, status, aadsts int) {
	t.Helper()
	if !errors.Is(e, class) {
		t.Errorf("class: got %s (%v); want %s", e.Class, e, class)
	}
	if e.Code != code {
		t.Errorf("code: got %q; want %q", e.Code, code)
	}
	if e.HTTPStatus != status {
		t.Errorf("HTTP status: got %d; want %d", e.HTTPStatus, status)
	}
	if aadsts != 0 && !slices.Contains(e.ErrorCodes, aadsts) {
		t.Errorf("error codes: got %v; want %d among them", e.ErrorCodes, aadsts)
	}
	if aadsts != 0 && !strings.Contains(e.Description, "AADSTS") {
		t.Errorf("description %q is not Entra-style", e.Description)
	}
}

// idpNoSecrets fails when err's message holds one of secrets.
func idpNoSecrets(t testing.TB, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

// idpClaims parses and checks an ID token's claims for the client at authority a.
func idpClaims(t testing.TB, p *memory.IdentityProvider, a domain.Authority, clientID string, raw domain.Secret) domain.IDTokenClaims {
	t.Helper()
	if raw == "" {
		t.Fatal("response has no ID token; want one")
	}
	if err := p.VerifyIDTokenSignature(context.Background(), a, string(raw)); err != nil {
		t.Fatalf("VerifyIDTokenSignature = %v; want nil", err)
	}
	_, c, err := domain.ParseIDToken(string(raw))
	if err != nil {
		t.Fatalf("ParseIDToken = %v", err)
	}
	meta, err := p.Metadata(context.Background(), a)
	if err != nil {
		t.Fatalf("Metadata = %v", err)
	}
	if err := c.Check(domain.IDTokenExpectations{Issuer: meta.Issuer, ClientID: clientID, Now: idpStart}); err != nil {
		t.Fatalf("claims Check = %v; want nil", err)
	}
	return c
}

// idpSignIn runs the authorization request of a PKCE flow for username and returns the
// redirect's values, the code verifier and the nonce.
func idpSignIn(t testing.TB, p *memory.IdentityProvider, a domain.Authority, username string) (url.Values, domain.Secret, string) {
	t.Helper()
	pkce, err := domain.NewPKCE(strings.NewReader(strings.Repeat("v", 64)))
	if err != nil {
		t.Fatal(err)
	}
	nonce := "nonce-" + username
	authURL, err := p.AuthorizationURL(context.Background(), a, domain.AuthorizationRequest{
		ClientID: idpPublicID, RedirectURI: idpRedirectURI, Scopes: idpUserScopes(),
		State: "state-1", Nonce: nonce, CodeChallenge: pkce.Challenge,
	})
	if err != nil {
		t.Fatalf("AuthorizationURL = %v", err)
	}
	v, err := p.Authorize(context.Background(), authURL, username)
	if err != nil {
		t.Fatalf("Authorize(%q) = %v", username, err)
	}
	return v, pkce.Verifier, nonce
}

// idpCodeRequest is the authorization_code grant of code with verifier.
func idpCodeRequest(a domain.Authority, code string, verifier domain.Secret) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: idpPublicID, Grant: domain.GrantAuthorizationCode,
		Scopes: idpUserScopes(), Code: domain.Secret(code), CodeVerifier: verifier, RedirectURI: idpRedirectURI}
}

func TestNewIdentityProvider_invalidConfig(t *testing.T) {
	clock := memory.NewClock(idpStart)
	tests := []struct {
		name string
		mod  func(*memory.ProviderConfig)
	}{
		{"no clock", func(c *memory.ProviderConfig) { c.Clock = nil }},
		{"duplicate user", func(c *memory.ProviderConfig) {
			c.Users = append(c.Users, memory.User{Username: strings.ToUpper(idpUser), Password: idpPassword})
		}},
		{"user without name", func(c *memory.ProviderConfig) { c.Users = append(c.Users, memory.User{Password: idpPassword}) }},
		{"duplicate client", func(c *memory.ProviderConfig) {
			c.Clients = append(c.Clients, memory.Client{ID: idpDaemonID, Secret: idpSecret})
		}},
		{"client without id", func(c *memory.ProviderConfig) { c.Clients = append(c.Clients, memory.Client{Secret: idpSecret}) }},
		{"negative lifetime", func(c *memory.ProviderConfig) { c.TokenLifetime = -time.Second }},
		{"lifetime over a year", func(c *memory.ProviderConfig) { c.TokenLifetime = 366 * 24 * time.Hour }},
		{"refresh_in past lifetime", func(c *memory.ProviderConfig) { c.RefreshIn = 2 * time.Hour }},
		{"unknown algorithm", func(c *memory.ProviderConfig) { c.SigningAlg = "HS256" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := idpConfig(clock)
			tt.mod(&cfg)
			p, err := memory.NewIdentityProvider(cfg)
			if p != nil || !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("NewIdentityProvider = %v, %v; want nil, ErrInvalidInput", p, err)
			}
			if !strings.Contains(err.Error(), "memory: identity provider config") {
				t.Errorf("error %q does not name the package", err)
			}
			idpNoSecrets(t, err, idpPassword, idpSecret)
		})
	}
}

func TestIdentityProvider_Metadata_issuerAndEndpoints(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) { c.IssuerInResponse = true })
	tests := []struct {
		authority, issuer, token string
	}{
		{"https://login.microsoftonline.com/common", "https://login.microsoftonline.com/{tenantid}/v2.0",
			"https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{"https://login.microsoftonline.com/organizations", "https://login.microsoftonline.com/{tenantid}/v2.0",
			"https://login.microsoftonline.com/organizations/oauth2/v2.0/token"},
		{idpAuthorityURL, "https://login.microsoftonline.com/" + idpTenant + "/v2.0", idpAuthorityURL + "/oauth2/v2.0/token"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "https://contoso.b2clogin.com/contoso.onmicrosoft.com/v2.0",
			"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/token"},
		{"https://fs.contoso.example/adfs", "https://fs.contoso.example/adfs", "https://fs.contoso.example/adfs/oauth2/token"},
		{"https://accounts.example.org/realms/main", "https://accounts.example.org/realms/main", "https://accounts.example.org/realms/main/token"},
	}
	for _, tt := range tests {
		t.Run(tt.authority, func(t *testing.T) {
			a := idpAuthority(t, tt.authority)
			m, err := p.Metadata(context.Background(), a)
			if err != nil {
				t.Fatalf("Metadata = %v", err)
			}
			if m.Issuer != tt.issuer {
				t.Errorf("Issuer: got %q; want %q", m.Issuer, tt.issuer)
			}
			if m.TokenEndpoint != tt.token {
				t.Errorf("TokenEndpoint: got %q; want %q", m.TokenEndpoint, tt.token)
			}
			for _, e := range []string{m.AuthorizationEndpoint, m.JWKSURI} {
				if !strings.HasPrefix(e, a.URL+"/") {
					t.Errorf("endpoint %q is not under the authority %q", e, a.URL)
				}
			}
			if !m.IssuerInResponse || m.Authority != a {
				t.Errorf("got IssuerInResponse %v, Authority %+v; want true, %+v", m.IssuerInResponse, m.Authority, a)
			}
		})
	}
}

func TestIdentityProvider_Metadata_noAuthority(t *testing.T) {
	p, _ := idpNew(t)
	if _, err := p.Metadata(context.Background(), domain.Authority{}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Metadata(zero authority) = %v; want ErrInvalidInput", err)
	}
}

func TestIdentityProvider_canceledContext(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Token(ctx, idpPasswordRequest(a, idpUser, idpPassword))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Token(canceled) = %v; want context.Canceled classified ErrUnavailable", err)
	}
	if _, err := p.Metadata(ctx, a); !errors.Is(err, context.Canceled) {
		t.Errorf("Metadata(canceled) = %v; want context.Canceled", err)
	}
	if err := p.VerifyIDTokenSignature(ctx, a, "x.y.z"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyIDTokenSignature(canceled) = %v; want context.Canceled", err)
	}
	if got := p.Calls(domain.GrantPassword); got != 0 {
		t.Errorf("Calls after a canceled request: got %d; want 0", got)
	}
}
