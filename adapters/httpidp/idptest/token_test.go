package idptest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

func TestServer_Token_authorizationCode(t *testing.T) {
	f := newFixture(t, autoApprove)
	code, verifier := authCode(t, f.srv.URL()+"/authorize", publicID, "nonce-1")
	r := postForm(t, f.srv.URL()+"/token", codeForm(code, verifier))
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; want 200: %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store (RFC 6749 §5.1)", cc)
	}
	m := r.json(t)
	if m["access_token"] == "" || m["refresh_token"] == nil || m["token_type"] != "Bearer" {
		t.Errorf("response = %v; want an access token, a refresh token and token_type Bearer", keysOf(m))
	}
	if _, ok := m["expires_in"].(float64); !ok {
		t.Errorf("expires_in = %#v; want a JSON number", m["expires_in"])
	}
	c := idClaims(t, m)
	if c.Nonce != "nonce-1" || c.Issuer != f.srv.Issuer() || !slices.Contains(c.Audience, publicID) {
		t.Errorf("ID token nonce %q iss %q aud %v; want nonce-1, %s, [%s]", c.Nonce, c.Issuer, c.Audience, f.srv.Issuer(), publicID)
	}
	if err := c.Check(domain.IDTokenExpectations{Issuer: f.srv.Issuer(), ClientID: publicID, Nonce: "nonce-1", Now: f.clock.Now()}); err != nil {
		t.Errorf("ID token check: %v", err)
	}
}

func TestServer_Token_codeRefusals(t *testing.T) {
	f := newFixture(t, autoApprove)
	tests := []struct {
		name     string
		edit     func(form url.Values)
		wantCode int // AADSTS number
	}{
		{"PKCE mismatch", func(v url.Values) { v.Set("code_verifier", strings.Repeat("x", 43)) }, 501481},
		{"no verifier", func(v url.Values) { v.Del("code_verifier") }, 501481},
		{"other redirect URI", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9/other") }, 50148},
		{"unknown code", func(v url.Values) { v.Set("code", "not-a-code") }, 70000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := authCode(t, f.srv.URL()+"/authorize", publicID, "n")
			form := codeForm(code, verifier)
			tt.edit(form)
			r := postForm(t, f.srv.URL()+"/token", form)
			m := r.json(t)
			if r.status != http.StatusBadRequest || m["error"] != "invalid_grant" || !slices.Contains(errorCodes(m), tt.wantCode) {
				t.Errorf("status %d, error %v, codes %v; want 400 invalid_grant [%d]", r.status, m["error"], errorCodes(m), tt.wantCode)
			}
		})
	}
}

func TestServer_Token_codeReplayRefused(t *testing.T) {
	f := newFixture(t, autoApprove)
	code, verifier := authCode(t, f.srv.URL()+"/authorize", publicID, "n")
	if r := postForm(t, f.srv.URL()+"/token", codeForm(code, verifier)); r.status != http.StatusOK {
		t.Fatalf("first redemption: status %d; want 200", r.status)
	}
	r := postForm(t, f.srv.URL()+"/token", codeForm(code, verifier))
	m := r.json(t)
	if r.status != http.StatusBadRequest || m["error"] != "invalid_grant" || !slices.Contains(errorCodes(m), 54005) {
		t.Errorf("replay: status %d, error %v, codes %v; want 400 invalid_grant [54005]", r.status, m["error"], errorCodes(m))
	}
}

func TestServer_Token_password(t *testing.T) {
	f := newFixture(t, nil)
	r := postForm(t, f.srv.URL()+"/token", passwordForm(apiScope))
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; want 200: %s", r.status, r.body)
	}
	m := r.json(t)
	if scope, _ := m["scope"].(string); !strings.Contains(scope, apiScope) {
		t.Errorf("scope = %v; want it to contain %s", m["scope"], apiScope)
	}
	if c := idClaims(t, m); c.PreferredUsername != userName || c.Name != "Ada Lovelace" {
		t.Errorf("ID token user %q name %q; want %s, Ada Lovelace", c.PreferredUsername, c.Name, userName)
	}

	bad := passwordForm()
	bad.Set("password", "wrong")
	r = postForm(t, f.srv.URL()+"/token", bad)
	m = r.json(t)
	if r.status != http.StatusBadRequest || m["error"] != "invalid_grant" || !slices.Contains(errorCodes(m), 50126) {
		t.Errorf("wrong password: status %d, error %v, codes %v; want 400 invalid_grant [50126]", r.status, m["error"], errorCodes(m))
	}
	if strings.Contains(string(r.body), "wrong") {
		t.Errorf("the error repeats the password: %s", r.body)
	}
}

func TestServer_Token_refreshToken(t *testing.T) {
	f := newFixture(t, nil)
	rt := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)["refresh_token"].(string)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}, "scope": {"openid"}}
	r := postForm(t, f.srv.URL()+"/token", form)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; want 200: %s", r.status, r.body)
	}
	m := r.json(t)
	if m["refresh_token"] != rt {
		t.Errorf("without rotation the refresh token changed")
	}
	if c := idClaims(t, m); c.PreferredUsername != userName {
		t.Errorf("ID token user = %q; want %s", c.PreferredUsername, userName)
	}
	if r := postForm(t, f.srv.URL()+"/token", form); r.status != http.StatusOK {
		t.Errorf("second redemption without rotation: status %d; want 200", r.status)
	}
}

func TestServer_Token_refreshTokenRotation(t *testing.T) {
	f := newFixture(t, func(c *idptest.Config) { c.Provider.RotateRefreshTokens = true })
	old := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)["refresh_token"].(string)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {old}}
	r := postForm(t, f.srv.URL()+"/token", form)
	next, _ := r.json(t)["refresh_token"].(string)
	if r.status != http.StatusOK || next == "" || next == old {
		t.Fatalf("status %d; want 200 with a new refresh token", r.status)
	}
	r = postForm(t, f.srv.URL()+"/token", form)
	if m := r.json(t); r.status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("redeeming the rotated token: status %d error %v; want 400 invalid_grant", r.status, m["error"])
	}
	form.Set("refresh_token", next)
	if r := postForm(t, f.srv.URL()+"/token", form); r.status != http.StatusOK {
		t.Errorf("redeeming the new token: status %d; want 200", r.status)
	}
}

func TestServer_RevokeRefreshTokens(t *testing.T) {
	f := newFixture(t, nil)
	rt := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)["refresh_token"].(string)
	f.srv.RevokeRefreshTokens(userName)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}}
	if m := postForm(t, f.srv.URL()+"/token", form).json(t); m["error"] != "invalid_grant" {
		t.Errorf("error = %v; want invalid_grant", m["error"])
	}
}

func TestServer_Token_clientCredentials(t *testing.T) {
	f := newFixture(t, nil)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://demo/.default"}}
	r := postForm(t, f.srv.URL()+"/token", form, webID+":"+webSecret)
	m := r.json(t)
	if r.status != http.StatusOK || m["access_token"] == nil || m["refresh_token"] != nil || m["id_token"] != nil {
		t.Errorf("status %d, fields %v; want 200 with an access token only", r.status, keysOf(m))
	}
	form.Set("client_id", publicID)
	r = postForm(t, f.srv.URL()+"/token", form)
	if m := r.json(t); r.status != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Errorf("public client: status %d error %v; want 401 invalid_client", r.status, m["error"])
	}
}

func TestServer_Token_entraLayout(t *testing.T) {
	f := newFixture(t, autoApprove)
	authority := f.srv.EntraAuthority("organizations")
	code, verifier := authCode(t, authority+"/oauth2/v2.0/authorize", publicID, "n-e")
	form := codeForm(code, verifier)
	form.Set("client_info", "1")
	req, _ := http.NewRequest(http.MethodPost, authority+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("client-request-id", "corr-42")
	resp, err := noRedirect.Do(req)
	r := read(t, resp, err)
	if r.status != http.StatusOK {
		t.Fatalf("status %d; want 200: %s", r.status, r.body)
	}
	m := r.json(t)
	c := idClaims(t, m)
	wantIss := strings.ReplaceAll(f.srv.EntraIssuer("organizations"), "{tenantid}", idptest.DefaultTenantID)
	if c.Issuer != wantIss || c.TenantID != idptest.DefaultTenantID {
		t.Errorf("ID token iss %q tid %q; want %q, %s", c.Issuer, c.TenantID, wantIss, idptest.DefaultTenantID)
	}
	ci, _ := m["client_info"].(string)
	b, _ := base64.RawURLEncoding.DecodeString(ci)
	var info struct{ UID, UTID string }
	if json.Unmarshal(b, &info) != nil || info.UTID != idptest.DefaultTenantID || info.UID == "" {
		t.Errorf("client_info = %q; want uid and utid %s", b, idptest.DefaultTenantID)
	}
	if got := r.header.Get("client-request-id"); got != "corr-42" {
		t.Errorf("client-request-id header = %q; want it echoed", got)
	}
}

func TestServer_Token_entraTenantName(t *testing.T) {
	f := newFixture(t, autoApprove)
	authority := f.srv.EntraAuthority("contoso.onmicrosoft.com")
	issuer := fetchDiscovery(t, authority+"/v2.0/.well-known/openid-configuration").Issuer
	if want := f.srv.URL() + "/" + idptest.DefaultTenantID + "/v2.0"; issuer != want {
		t.Fatalf("discovery issuer = %q; want %q (the tenant's id)", issuer, want)
	}
	code, verifier := authCode(t, authority+"/oauth2/v2.0/authorize", publicID, "n-d")
	for name, form := range map[string]url.Values{"authorization_code": codeForm(code, verifier), "password": passwordForm()} {
		r := postForm(t, authority+"/oauth2/v2.0/token", form)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d; want 200: %s", name, r.status, r.body)
		}
		c := idClaims(t, r.json(t))
		err := c.Check(domain.IDTokenExpectations{Issuer: issuer, ClientID: publicID, Now: f.clock.Now()})
		if err != nil || c.Issuer != issuer {
			t.Errorf("%s: ID token iss %q checked against discovery: %v; want %q", name, c.Issuer, err, issuer)
		}
	}
}

func TestServer_Token_expiresInAsString(t *testing.T) {
	f := newFixture(t, func(c *idptest.Config) {
		c.ExpiresInAsString = true
		c.Provider.RefreshIn = 1800e9
	})
	m := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)
	if m["expires_in"] != "3600" || m["refresh_in"] != "1800" {
		t.Errorf("expires_in %#v refresh_in %#v; want \"3600\", \"1800\"", m["expires_in"], m["refresh_in"])
	}
}

func TestServer_Token_badRequests(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		errCode     string
	}{
		{"JSON body", "application/json", `{"grant_type":"password"}`, 400, "invalid_request"},
		{"repeated parameter", "application/x-www-form-urlencoded", "grant_type=password&grant_type=password&client_id=" + publicID, 400, "invalid_request"},
		{"no client", "application/x-www-form-urlencoded", "grant_type=password", 400, "invalid_request"},
		{"unknown client", "application/x-www-form-urlencoded", "grant_type=password&client_id=ghost", 401, "invalid_client"},
		{"unknown grant", "application/x-www-form-urlencoded", "grant_type=urn:magic&client_id=" + publicID, 400, "unsupported_grant_type"},
		{"no grant", "application/x-www-form-urlencoded", "client_id=" + publicID, 400, "invalid_request"},
		{"missing code", "application/x-www-form-urlencoded", "grant_type=authorization_code&client_id=" + publicID, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirect.Post(f.srv.URL()+"/token", tt.contentType, strings.NewReader(tt.body))
			r := read(t, resp, err)
			m := r.json(t)
			if r.status != tt.status || m["error"] != tt.errCode {
				t.Errorf("status %d error %v; want %d %s", r.status, m["error"], tt.status, tt.errCode)
			}
			for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
				if s, _ := m[k].(string); s == "" {
					t.Errorf("error response lacks %s", k)
				}
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
