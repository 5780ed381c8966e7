package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

func TestIdentityProvider_Token_passwordSuccess(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	req := idpPasswordRequest(a, idpUser, idpPassword)
	req.CorrelationID = "corr-1"
	resp := idpToken(t, p, req)
	if resp.TokenType != "Bearer" || resp.ExpiresIn != time.Hour {
		t.Errorf("got token type %q, expires in %v; want Bearer, 1h", resp.TokenType, resp.ExpiresIn)
	}
	if resp.RefreshToken == "" || resp.IDToken == "" {
		t.Fatalf("got refresh token %v, ID token %v; want both", resp.RefreshToken != "", resp.IDToken != "")
	}
	if want := idpUserScopes(); !slices.Equal(resp.Scope, want) {
		t.Errorf("Scope: got %v; want %v", resp.Scope, want)
	}
	if resp.FamilyID != "1" || resp.CorrelationID != "corr-1" {
		t.Errorf("got family %q, correlation id %q; want 1, corr-1", resp.FamilyID, resp.CorrelationID)
	}
	if resp.ClientInfo != "" || resp.RefreshIn != 0 {
		t.Errorf("got client_info %q, refresh_in %v; want neither", resp.ClientInfo, resp.RefreshIn)
	}
	c := idpClaims(t, p, a, idpPublicID, resp.IDToken)
	u, _ := p.User(idpUser)
	if c.Subject != u.Subject || c.ObjectID != u.ObjectID || c.TenantID != idpTenant || c.PreferredUsername != idpUser || c.Name != "Alice" {
		t.Errorf("claims: got sub %q oid %q tid %q username %q name %q; want %q %q %q %q Alice",
			c.Subject, c.ObjectID, c.TenantID, c.PreferredUsername, c.Name, u.Subject, u.ObjectID, idpTenant, idpUser)
	}
	if !c.Expiry.Equal(idpStart.Add(time.Hour)) || !c.IssuedAt.Equal(idpStart) || c.Nonce != "" {
		t.Errorf("got exp %v iat %v nonce %q; want %v %v and no nonce", c.Expiry, c.IssuedAt, c.Nonce, idpStart.Add(time.Hour), idpStart)
	}
	if got := p.Calls(domain.GrantPassword); got != 1 {
		t.Errorf("Calls(password): got %d; want 1", got)
	}
}

func TestIdentityProvider_Token_passwordRefused(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	tests := []struct {
		name     string
		req      domain.TokenRequest
		class    domain.ErrorCode
		code     string
		aadsts   int
		subError string
	}{
		{"wrong password", idpPasswordRequest(a, idpUser, "not-"+idpPassword), domain.ErrInvalidGrant, "invalid_grant", 50126, ""},
		{"unknown user", idpPasswordRequest(a, "nobody@contoso.example", idpPassword), domain.ErrInvalidGrant, "invalid_grant", 50126, ""},
		{"MFA required", idpPasswordRequest(a, idpMFAUser, idpPassword), domain.ErrInteractionRequired, "invalid_grant", 50076, "basic_action"},
		{"consent denied", idpPasswordRequest(a, idpNoConsent, idpPassword), domain.ErrInteractionRequired, "invalid_grant", 65001, "consent_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := idpRefusal(t, p, tt.req)
			idpWantRefusal(t, e, tt.class, tt.code, http.StatusBadRequest, tt.aadsts)
			if e.SubError != tt.subError {
				t.Errorf("suberror: got %q; want %q", e.SubError, tt.subError)
			}
			idpNoSecrets(t, e, idpPassword, string(tt.req.Password))
		})
	}
	t.Run("MFA claims challenge", func(t *testing.T) {
		e := idpRefusal(t, p, idpPasswordRequest(a, idpMFAUser, idpPassword))
		if !json.Valid([]byte(e.Claims)) || e.Claims == "" {
			t.Errorf("Claims: got %q; want a JSON claims challenge", e.Claims)
		}
	})
	t.Run("unknown scope", func(t *testing.T) {
		req := idpPasswordRequest(a, idpUser, idpPassword)
		req.Scopes = append(req.Scopes, "https://graph.example/Files.ReadWrite")
		idpWantRefusal(t, idpRefusal(t, p, req), domain.ErrInvalidScope, "invalid_scope", http.StatusBadRequest, 70011)
	})
	if got := p.Calls(domain.GrantPassword); got != len(tests)+2 {
		t.Errorf("Calls(password): got %d; want %d", got, len(tests)+2)
	}
}

func TestIdentityProvider_Token_clientCredentials(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	req := domain.TokenRequest{Authority: a, ClientID: idpDaemonID, Grant: domain.GrantClientCredentials,
		Scopes: []string{idpDefaultScope}, Credential: domain.ClientCredential{Secret: idpSecret}}
	resp := idpToken(t, p, req)
	if resp.RefreshToken != "" || resp.IDToken != "" || resp.ClientInfo != "" {
		t.Errorf("got refresh token %v, ID token %v, client_info %q; want none", resp.RefreshToken != "", resp.IDToken != "", resp.ClientInfo)
	}
	if !slices.Equal(resp.Scope, []string{idpDefaultScope}) {
		t.Errorf("Scope: got %v; want [%s]", resp.Scope, idpDefaultScope)
	}

	tests := []struct {
		name   string
		mod    func(*domain.TokenRequest)
		class  domain.ErrorCode
		code   string
		status int
		aadsts int
	}{
		{"wrong secret", func(r *domain.TokenRequest) { r.Credential.Secret = "wrong-" + idpSecret },
			domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 7000215},
		{"missing secret", func(r *domain.TokenRequest) { r.Credential = domain.ClientCredential{} },
			domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 7000218},
		{"public client", func(r *domain.TokenRequest) { r.ClientID, r.Credential = idpPublicID, domain.ClientCredential{} },
			domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 7000218},
		{"unknown client", func(r *domain.TokenRequest) { r.ClientID = "no-such-app" },
			domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 700016},
		{"reserved scope", func(r *domain.TokenRequest) { r.Scopes = []string{domain.ScopeOpenID, idpDefaultScope} },
			domain.ErrInvalidScope, "invalid_scope", http.StatusBadRequest, 1002012},
		{"no scope", func(r *domain.TokenRequest) { r.Scopes = nil },
			domain.ErrInvalidScope, "invalid_scope", http.StatusBadRequest, 1002012},
		{"unknown resource", func(r *domain.TokenRequest) { r.Scopes = []string{"https://vault.example/.default"} },
			domain.ErrInvalidScope, "invalid_scope", http.StatusBadRequest, 70011},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req
			tt.mod(&r)
			e := idpRefusal(t, p, r)
			idpWantRefusal(t, e, tt.class, tt.code, tt.status, tt.aadsts)
			idpNoSecrets(t, e, idpSecret)
		})
	}
}

func TestIdentityProvider_Token_clientSecretOnEveryGrant(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) {
		c.Clients = append(c.Clients, memory.Client{ID: "web-app", Secret: idpSecret})
	})
	a := idpAuthority(t, idpAuthorityURL)
	req := idpPasswordRequest(a, idpUser, idpPassword)
	req.ClientID = "web-app"
	e := idpRefusal(t, p, req)
	idpWantRefusal(t, e, domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 7000218)

	req.Credential.Secret = idpSecret
	rt := idpToken(t, p, req).RefreshToken
	refresh := idpRefreshRequest(a, "web-app", rt)
	e = idpRefusal(t, p, refresh)
	idpWantRefusal(t, e, domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 7000218)
	idpNoSecrets(t, e, string(rt), idpSecret, idpPassword)
	refresh.Credential.Secret = idpSecret
	idpToken(t, p, refresh)

	pub := idpPasswordRequest(a, idpUser, idpPassword)
	pub.Credential.Secret = idpSecret
	e = idpRefusal(t, p, pub)
	idpWantRefusal(t, e, domain.ErrInvalidClient, "invalid_client", http.StatusUnauthorized, 700025)
	idpNoSecrets(t, e, idpSecret, idpPassword)
}

func TestIdentityProvider_Token_refreshToken(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	rt := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).RefreshToken

	resp := idpToken(t, p, idpRefreshRequest(a, idpPublicID, rt))
	if resp.RefreshToken != rt {
		t.Errorf("without rotation the refresh token changed; want the redeemed one back")
	}
	c := idpClaims(t, p, a, idpPublicID, resp.IDToken)
	if u, _ := p.User(idpUser); c.Subject != u.Subject {
		t.Errorf("sub: got %q; want %q", c.Subject, u.Subject)
	}
	idpToken(t, p, idpRefreshRequest(a, idpPublicID, rt)) // still valid

	t.Run("family member redeems", func(t *testing.T) {
		r := idpToken(t, p, idpRefreshRequest(a, idpFamilyID, rt))
		idpClaims(t, p, a, idpFamilyID, r.IDToken)
	})
	t.Run("other client refused", func(t *testing.T) {
		req := idpRefreshRequest(a, idpDaemonID, rt)
		req.Credential.Secret = idpSecret
		idpWantRefusal(t, idpRefusal(t, p, req), domain.ErrInteractionRequired, "invalid_grant", http.StatusBadRequest, 70000)
	})
	t.Run("unknown token", func(t *testing.T) {
		e := idpRefusal(t, p, idpRefreshRequest(a, idpPublicID, "not-a-refresh-token-123"))
		idpWantRefusal(t, e, domain.ErrInteractionRequired, "invalid_grant", http.StatusBadRequest, 70008)
		idpNoSecrets(t, e, "not-a-refresh-token-123")
	})
	t.Run("revoked", func(t *testing.T) {
		p.RevokeRefreshTokens(idpUser)
		e := idpRefusal(t, p, idpRefreshRequest(a, idpPublicID, rt))
		idpWantRefusal(t, e, domain.ErrInteractionRequired, "invalid_grant", http.StatusBadRequest, 70008)
	})
	if got := p.Calls(domain.GrantRefreshToken); got != 6 {
		t.Errorf("Calls(refresh_token): got %d; want 6", got)
	}
}

func TestIdentityProvider_Token_refreshTokenRotation(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) { c.RotateRefreshTokens = true })
	a := idpAuthority(t, idpAuthorityURL)
	old := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).RefreshToken
	next := idpToken(t, p, idpRefreshRequest(a, idpPublicID, old)).RefreshToken
	if next == "" || next == old {
		t.Fatalf("rotation: got a new refresh token %v; want a new one", next != "" && next != old)
	}
	e := idpRefusal(t, p, idpRefreshRequest(a, idpPublicID, old))
	idpWantRefusal(t, e, domain.ErrInteractionRequired, "invalid_grant", http.StatusBadRequest, 70008)
	idpToken(t, p, idpRefreshRequest(a, idpPublicID, next))
}

func TestIdentityProvider_Token_refreshTokenScopes(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	rt := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).RefreshToken
	req := idpRefreshRequest(a, idpPublicID, rt)
	req.Scopes = domain.WithReservedScopes([]string{idpOtherScope})
	if got := idpToken(t, p, req).Scope; !slices.Contains(got, idpOtherScope) || slices.Contains(got, idpScope) {
		t.Errorf("Scope: got %v; want the requested %s only", got, idpOtherScope)
	}
	req.Scopes = nil
	if got := idpToken(t, p, req).Scope; !slices.Contains(got, idpScope) {
		t.Errorf("Scope without a requested scope: got %v; want the original grant's %s", got, idpScope)
	}
	req.Scopes = []string{"https://graph.example/Unknown"}
	idpWantRefusal(t, idpRefusal(t, p, req), domain.ErrInvalidScope, "invalid_scope", http.StatusBadRequest, 70011)
}

func TestIdentityProvider_Token_responseOptions(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) {
		c.ClientInfo, c.OmitScopeInResponse = true, true
		c.TokenLifetime, c.RefreshIn = 2*time.Hour, 30*time.Minute
	})
	a := idpAuthority(t, idpAuthorityURL)
	resp := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	if resp.Scope != nil || resp.ExpiresIn != 2*time.Hour || resp.RefreshIn != 30*time.Minute {
		t.Errorf("got scope %v, expires in %v, refresh in %v; want nil, 2h, 30m", resp.Scope, resp.ExpiresIn, resp.RefreshIn)
	}
	_, claims, err := domain.ParseIDToken(string(resp.IDToken))
	if err != nil {
		t.Fatal(err)
	}
	home, err := domain.HomeAccountID(resp.ClientInfo, &claims)
	if want := claims.ObjectID + "." + idpTenant; err != nil || home != want {
		t.Errorf("HomeAccountID = %q, %v; want %q (uid.utid)", home, err, want)
	}
}

func TestIdentityProvider_Token_homeAccountIsSubWithoutClientInfo(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	resp := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	_, claims, _ := domain.ParseIDToken(string(resp.IDToken))
	if home, err := domain.HomeAccountID(resp.ClientInfo, &claims); err != nil || home != claims.Subject {
		t.Errorf("HomeAccountID = %q, %v; want sub %q", home, err, claims.Subject)
	}
}

func TestIdentityProvider_Token_noReservedScopes(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	req := idpPasswordRequest(a, idpUser, idpPassword)
	req.Scopes = []string{idpScope}
	resp := idpToken(t, p, req)
	if resp.RefreshToken != "" || resp.IDToken != "" {
		t.Errorf("without offline_access and openid: got refresh token %v, ID token %v; want neither",
			resp.RefreshToken != "", resp.IDToken != "")
	}
}

func TestIdentityProvider_Token_badRequests(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	if _, err := p.Token(context.Background(), domain.TokenRequest{ClientID: idpPublicID, Grant: domain.GrantPassword}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Token without authority = %v; want ErrInvalidInput", err)
	}
	req := idpPasswordRequest(a, idpUser, idpPassword)
	req.Grant = "urn:ietf:params:oauth:grant-type:jwt-bearer" // RFC 7523: not offered by the fake
	if e := idpRefusal(t, p, req); e.Code != "unsupported_grant_type" || e.HTTPStatus != http.StatusBadRequest {
		t.Errorf("unsupported grant: got %q [%d]; want unsupported_grant_type [400]", e.Code, e.HTTPStatus)
	}
	req = idpPasswordRequest(a, idpUser, "")
	if e := idpRefusal(t, p, req); e.Code != "invalid_request" {
		t.Errorf("password grant without password: got %q; want invalid_request", e.Code)
	}
}

// A device code is redeemed only by the client and at the issuer it was issued to.
func TestIdentityProvider_DeviceCode_boundToClientAndIssuer(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	d, err := p.DeviceAuthorization(context.Background(), domain.DeviceAuthorizationRequest{Authority: a, ClientID: idpPublicID, Scopes: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ApproveDevice(d.UserCode, idpUser); err != nil {
		t.Fatal(err)
	}
	other := idpAuthority(t, "https://other.example/realms/x")
	for _, req := range []domain.TokenRequest{
		{Authority: other, ClientID: idpPublicID, Grant: domain.GrantDeviceCode, DeviceCode: d.DeviceCode},
	} {
		if e := idpRefusal(t, p, req); e.Code != "invalid_grant" {
			t.Errorf("device code at another issuer: got %q; want invalid_grant", e.Code)
		}
	}
	// The foreign poll spent nothing: the right client at the right issuer gets tokens.
	if _, err := p.Token(context.Background(), domain.TokenRequest{Authority: a, ClientID: idpPublicID,
		Grant: domain.GrantDeviceCode, DeviceCode: d.DeviceCode, Scopes: []string{"openid"}}); err != nil {
		t.Fatalf("the device code after a foreign poll = %v; want tokens", err)
	}
}
