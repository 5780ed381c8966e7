package memory_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

func TestIdentityProvider_AuthorizationURL_query(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	maxAge := 90 * time.Second
	raw, err := p.AuthorizationURL(context.Background(), a, domain.AuthorizationRequest{
		ClientID: idpPublicID, RedirectURI: idpRedirectURI, Scopes: idpUserScopes(), State: "st", Nonce: "nn",
		CodeChallenge: "ch", Prompt: "select_account", LoginHint: idpUser, DomainHint: "contoso.example",
		Claims: `{"id_token":{}}`, MaxAge: &maxAge, ResponseMode: "query", Extra: url.Values{"x-extra": {"1"}},
	})
	if err != nil {
		t.Fatalf("AuthorizationURL = %v", err)
	}
	u, _ := url.Parse(raw)
	if got, want := u.Scheme+"://"+u.Host+u.Path, idpAuthorityURL+"/oauth2/v2.0/authorize"; got != want {
		t.Errorf("endpoint: got %q; want %q", got, want)
	}
	want := map[string]string{
		"response_type": "code", "client_id": idpPublicID, "redirect_uri": idpRedirectURI,
		"scope": strings.Join(idpUserScopes(), " "), "state": "st", "nonce": "nn", "code_challenge": "ch",
		"code_challenge_method": "S256", "prompt": "select_account", "login_hint": idpUser,
		"domain_hint": "contoso.example", "claims": `{"id_token":{}}`, "max_age": "90", "response_mode": "query", "x-extra": "1",
	}
	q := u.Query()
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s: got %q; want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("query has %d parameters; want %d", len(q), len(want))
	}
}

func TestIdentityProvider_AuthorizationURL_invalid(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	neg := -time.Second
	ok := domain.AuthorizationRequest{ClientID: idpPublicID, RedirectURI: idpRedirectURI, State: "st"}
	tests := []struct {
		name string
		mod  func(*domain.AuthorizationRequest)
	}{
		{"no client", func(r *domain.AuthorizationRequest) { r.ClientID = "" }},
		{"no state", func(r *domain.AuthorizationRequest) { r.State = "" }},
		{"negative max_age", func(r *domain.AuthorizationRequest) { r.MaxAge = &neg }},
		{"extra replaces state", func(r *domain.AuthorizationRequest) { r.Extra = url.Values{"state": {"x"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mod(&r)
			if _, err := p.AuthorizationURL(context.Background(), a, r); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("AuthorizationURL = %v; want ErrInvalidInput", err)
			}
		})
	}
}

func TestIdentityProvider_Authorize_success(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) { c.IssuerInResponse = true })
	a := idpAuthority(t, "https://login.microsoftonline.com/common")
	v, verifier, nonce := idpSignIn(t, p, a, strings.ToUpper(idpUser))
	if v.Get("code") == "" || v.Get("state") != "state-1" || v.Get("error") != "" {
		t.Fatalf("redirect: got %v; want code and state state-1", v)
	}
	meta, _ := p.Metadata(context.Background(), a)
	if v.Get("iss") != meta.Issuer {
		t.Errorf("iss: got %q; want %q", v.Get("iss"), meta.Issuer)
	}
	resp := idpToken(t, p, idpCodeRequest(a, v.Get("code"), verifier))
	c := idpClaims(t, p, a, idpPublicID, resp.IDToken)
	if c.Nonce != nonce {
		t.Errorf("nonce: got %q; want %q", c.Nonce, nonce)
	}
	if want := "https://login.microsoftonline.com/" + idpTenant + "/v2.0"; c.Issuer != want {
		t.Errorf("multi-tenant iss: got %q; want the user's tenant %q", c.Issuer, want)
	}
	if resp.RefreshToken == "" || resp.FamilyID != "1" {
		t.Errorf("got refresh token %v, family %q; want a token and family 1", resp.RefreshToken != "", resp.FamilyID)
	}
	if got := p.Calls(domain.GrantAuthorizationCode); got != 1 {
		t.Errorf("Calls(authorization_code): got %d; want 1", got)
	}
}

func TestIdentityProvider_Authorize_withAuthCodeFlow(t *testing.T) {
	p, clock := idpNew(t)
	a := idpAuthority(t, "https://accounts.example.org")
	pkce, _ := domain.NewPKCE(strings.NewReader(strings.Repeat("k", 64)))
	flow := domain.AuthCodeFlow{State: "s-42", Nonce: "n-42", CodeVerifier: pkce.Verifier, RedirectURI: idpRedirectURI,
		Scopes: idpUserScopes(), Authority: a.URL, CreatedAt: clock.Now()}
	var err error
	flow.AuthURI, err = p.AuthorizationURL(context.Background(), a, domain.AuthorizationRequest{ClientID: idpPublicID,
		RedirectURI: idpRedirectURI, Scopes: flow.Scopes, State: flow.State, Nonce: flow.Nonce, CodeChallenge: pkce.Challenge})
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.CheckIntegrity(clock.Now(), 0); err != nil {
		t.Fatalf("CheckIntegrity = %v; want nil", err)
	}
	v, err := p.Authorize(context.Background(), flow.AuthURI, idpUser)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := p.Metadata(context.Background(), a)
	r := domain.ParseAuthResponse(v)
	if err := flow.CheckAuthResponse(r, meta.Issuer, meta.IssuerInResponse); err != nil {
		t.Fatalf("CheckAuthResponse = %v; want nil", err)
	}
	resp := idpToken(t, p, idpCodeRequest(a, string(r.Code), flow.CodeVerifier))
	if c := idpClaims(t, p, a, idpPublicID, resp.IDToken); c.Issuer != a.URL || c.Nonce != flow.Nonce {
		t.Errorf("got iss %q nonce %q; want %q %q", c.Issuer, c.Nonce, a.URL, flow.Nonce)
	}
}

func TestIdentityProvider_Authorize_redirectedRefusals(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	base := domain.AuthorizationRequest{ClientID: idpPublicID, RedirectURI: idpRedirectURI, Scopes: idpUserScopes(),
		State: "st", Nonce: "nn", CodeChallenge: "challenge"}
	tests := []struct {
		name     string
		mod      func(*domain.AuthorizationRequest)
		user     string
		wantCode string
	}{
		{"consent denied", nil, idpNoConsent, "access_denied"},
		{"nobody signed in", nil, "", "login_required"},
		{"no PKCE challenge", func(r *domain.AuthorizationRequest) { r.CodeChallenge = "" }, idpUser, "invalid_request"},
		{"unknown scope", func(r *domain.AuthorizationRequest) { r.Scopes = []string{"https://other.example/x"} }, idpUser, "invalid_scope"},
		{"unknown response mode", func(r *domain.AuthorizationRequest) { r.ResponseMode = "web_message" }, idpUser, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			if tt.mod != nil {
				tt.mod(&r)
			}
			raw, err := p.AuthorizationURL(context.Background(), a, r)
			if err != nil {
				t.Fatal(err)
			}
			v, err := p.Authorize(context.Background(), raw, tt.user)
			if err != nil {
				t.Fatalf("Authorize = %v; want a redirected error", err)
			}
			if v.Get("error") != tt.wantCode || v.Get("error_description") == "" || v.Get("code") != "" || v.Get("state") != "st" {
				t.Errorf("redirect: got %v; want error %q with a description and state, no code", v, tt.wantCode)
			}
			e := domain.AuthCodeFlow{State: "st"}.CheckAuthResponse(domain.ParseAuthResponse(v), "", false)
			if tt.wantCode == "access_denied" && !errors.Is(e, domain.ErrAccessDenied) {
				t.Errorf("CheckAuthResponse = %v; want ErrAccessDenied", e)
			}
		})
	}
}

func TestIdentityProvider_Authorize_methodNotS256(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	raw, _ := p.AuthorizationURL(context.Background(), a, domain.AuthorizationRequest{ClientID: idpPublicID,
		RedirectURI: idpRedirectURI, Scopes: idpUserScopes(), State: "st", CodeChallenge: "verifier-in-clear"})
	raw = strings.Replace(raw, "code_challenge_method=S256", "code_challenge_method=plain", 1)
	v, err := p.Authorize(context.Background(), raw, idpUser)
	if err != nil || v.Get("error") != "invalid_request" {
		t.Errorf("Authorize(plain) = %v, %v; want error=invalid_request", v, err)
	}
}

func TestIdentityProvider_Authorize_notRedirected(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	build := func(clientID, redirectURI string) string {
		raw, err := p.AuthorizationURL(context.Background(), a, domain.AuthorizationRequest{ClientID: clientID,
			RedirectURI: redirectURI, Scopes: idpUserScopes(), State: "st", CodeChallenge: "c"})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name, url, user string
		class           domain.ErrorCode
	}{
		{"unknown client", build("no-such-app", idpRedirectURI), idpUser, domain.ErrInvalidClient},
		{"unregistered redirect URI", build(idpPublicID, "https://evil.example/cb"), idpUser, domain.ErrInvalidInput},
		{"unknown user", build(idpPublicID, idpRedirectURI), "mallory@contoso.example", domain.ErrInvalidInput},
		{"foreign endpoint", "https://elsewhere.example/authorize?client_id=" + idpPublicID, idpUser, domain.ErrInvalidInput},
		{"not a URL", "http://[::1", idpUser, domain.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := p.Authorize(context.Background(), tt.url, tt.user)
			if v != nil || !errors.Is(err, tt.class) {
				t.Errorf("Authorize = %v, %v; want nil, %s", v, err, tt.class)
			}
			if err != nil && !strings.Contains(err.Error(), "memory: authorize") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestIdentityProvider_Token_authorizationCodeRefused(t *testing.T) {
	p, clock := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	tests := []struct {
		name   string
		mod    func(*domain.TokenRequest)
		aadsts int
	}{
		{"PKCE mismatch", func(r *domain.TokenRequest) { r.CodeVerifier = domain.Secret(strings.Repeat("w", 43)) }, 501481},
		{"no verifier", func(r *domain.TokenRequest) { r.CodeVerifier = "" }, 501481},
		{"other redirect URI", func(r *domain.TokenRequest) { r.RedirectURI = "http://localhost:9999/cb" }, 50148},
		{"other client", func(r *domain.TokenRequest) { r.ClientID = idpFamilyID }, 70000},
		{"unknown code", func(r *domain.TokenRequest) { r.Code = "forged-code-value" }, 70000},
		{"expired code", func(*domain.TokenRequest) { clock.Advance(11 * time.Minute) }, 70008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, verifier, _ := idpSignIn(t, p, a, idpUser)
			req := idpCodeRequest(a, v.Get("code"), verifier)
			tt.mod(&req)
			e := idpRefusal(t, p, req)
			idpWantRefusal(t, e, domain.ErrInvalidGrant, "invalid_grant", http.StatusBadRequest, tt.aadsts)
			idpNoSecrets(t, e, v.Get("code"), string(verifier), string(req.CodeVerifier), string(req.Code))
		})
	}
}

func TestIdentityProvider_Token_codeReplay(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	v, verifier, _ := idpSignIn(t, p, a, idpUser)
	req := idpCodeRequest(a, v.Get("code"), verifier)
	idpToken(t, p, req)
	e := idpRefusal(t, p, req)
	idpWantRefusal(t, e, domain.ErrInvalidGrant, "invalid_grant", http.StatusBadRequest, 54005)
	idpNoSecrets(t, e, v.Get("code"), string(verifier))
	if got := p.Calls(domain.GrantAuthorizationCode); got != 2 {
		t.Errorf("Calls(authorization_code): got %d; want 2", got)
	}
}

func TestIdentityProvider_Token_failedRedemptionConsumesCode(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	v, verifier, _ := idpSignIn(t, p, a, idpUser)
	bad := idpCodeRequest(a, v.Get("code"), domain.Secret(strings.Repeat("x", 43)))
	idpRefusal(t, p, bad)
	e := idpRefusal(t, p, idpCodeRequest(a, v.Get("code"), verifier))
	idpWantRefusal(t, e, domain.ErrInvalidGrant, "invalid_grant", http.StatusBadRequest, 54005)
}
