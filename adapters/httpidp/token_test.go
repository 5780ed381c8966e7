package httpidp_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

func TestProvider_Token_grantForms(t *testing.T) {
	tests := []struct {
		name string
		req  func(a domain.Authority) domain.TokenRequest
		want url.Values
	}{
		{"authorization code", codeRequest, url.Values{
			"grant_type": {"authorization_code"}, "code": {"code-secret-value"}, "code_verifier": {"verifier-secret-value"},
			"redirect_uri": {"http://localhost/cb"}, "scope": {"openid User.Read"}, "client_id": {"client-1"}}},
		{"password", func(a domain.Authority) domain.TokenRequest {
			return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantPassword, Scopes: []string{"a", "b"},
				Username: "ann@example.com", Password: "pw-secret-value", Claims: `{"id_token":{"auth_time":null}}`}
		}, url.Values{"grant_type": {"password"}, "username": {"ann@example.com"}, "password": {"pw-secret-value"},
			"scope": {"a b"}, "client_id": {"client-1"}, "claims": {`{"id_token":{"auth_time":null}}`}}},
		{"refresh token", func(a domain.Authority) domain.TokenRequest {
			return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantRefreshToken, Scopes: []string{"x"},
				RefreshToken: "rt-secret-value"}
		}, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-secret-value"}, "scope": {"x"}, "client_id": {"client-1"}}},
		{"client credentials", func(a domain.Authority) domain.TokenRequest {
			r := clientCredentialsRequest(a)
			r.Credential.AuthMethod = httpidp.AuthMethodClientSecretPost
			return r
		}, url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}, "client_id": {"client-1"},
			"client_secret": {"cs-secret-value"}}},
	}
	for _, tt := range tests {
		for _, kind := range []domain.AuthorityKind{domain.AuthorityOIDC, domain.AuthorityEntra} {
			t.Run(tt.name+" "+string(kind), func(t *testing.T) {
				f := newFakeIdP(t)
				path := ""
				if kind == domain.AuthorityEntra {
					path = "/" + tenantGUID
					f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = f.srv.URL + "/" + tenantGUID + "/v2.0" })
				}
				p := newProvider(t, testConfig(newFakeClock()))
				res, err := p.Token(t.Context(), tt.req(f.authority(path, kind)))
				if err != nil {
					t.Fatalf("Token() = %v", err)
				}
				if res.AccessToken != "at-secret-value" || res.TokenType != "Bearer" || res.ExpiresIn != time.Hour {
					t.Errorf("got %+v; want the fake's token", res)
				}
				want := url.Values{}
				for k, v := range tt.want {
					want[k] = v
				}
				if kind == domain.AuthorityEntra {
					want.Set("client_info", "1")
				}
				got := f.lastToken().Form
				if got.Encode() != want.Encode() {
					t.Errorf("got form %q; want %q", got.Encode(), want.Encode())
				}
			})
		}
	}
}

func TestProvider_Token_clientSecretBasic(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
	req.ClientID = "client 1:x"
	req.Credential.Secret = "s3cr%t:with space+plus"
	if _, err := p.Token(t.Context(), req); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	seen := f.lastToken()
	r := &http.Request{Header: seen.Header}
	user, pass, ok := r.BasicAuth()
	if !ok {
		t.Fatalf("got no basic Authorization header; want one")
	}
	user, _ = url.QueryUnescape(user)
	pass, _ = url.QueryUnescape(pass)
	if user != req.ClientID || pass != string(req.Credential.Secret) {
		t.Errorf("got basic credentials %q/%q; want the client id and secret, form-urlencoded (RFC 6749 §2.3.1)", user, pass)
	}
	if seen.Form.Has("client_secret") || seen.Form.Has("client_id") {
		t.Errorf("got form %v; want no client_id or client_secret with basic authentication", seen.Form)
	}
}

func TestProvider_Token_authMethodFromMetadata(t *testing.T) {
	tests := []struct {
		supported []string
		wantBasic bool
	}{
		{nil, true},
		{[]string{"client_secret_basic", "client_secret_post"}, true},
		{[]string{"private_key_jwt", "client_secret_post"}, false},
	}
	for _, tt := range tests {
		f := newFakeIdP(t)
		f.setDoc(func(_ *http.Request, doc map[string]any) {
			if tt.supported != nil {
				doc["token_endpoint_auth_methods_supported"] = tt.supported
			}
		})
		p := newProvider(t, testConfig(newFakeClock()))
		if _, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))); err != nil {
			t.Fatalf("Token() = %v", err)
		}
		seen := f.lastToken()
		gotBasic := seen.Header.Get("Authorization") != ""
		if gotBasic != tt.wantBasic || gotBasic == seen.Form.Has("client_secret") {
			t.Errorf("supported %v: got basic %v, form %v; want basic %v", tt.supported, gotBasic, seen.Form, tt.wantBasic)
		}
	}
}

func TestProvider_Token_publicClient(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	if _, err := p.Token(t.Context(), codeRequest(f.authority("", domain.AuthorityOIDC))); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	seen := f.lastToken()
	if seen.Header.Get("Authorization") != "" || seen.Form.Get("client_id") != "client-1" ||
		seen.Form.Has("client_secret") || seen.Form.Has("client_assertion") {
		t.Errorf("got header %v form %v; want only client_id", seen.Header, seen.Form)
	}
}

func TestProvider_Token_privateKeyJWT(t *testing.T) {
	keys := testKeys()
	tests := []struct {
		name    string
		alg     string
		key     crypto.Signer
		cert    *x509.Certificate
		cfgAlg  string
		pubKeyT string
	}{
		{"RS256", "RS256", keys.rsa, keys.rsaCert, "", "rsa"},
		{"PS256", "PS256", keys.rsa, keys.rsaCert, "PS256", "rsa"},
		{"ES256", "ES256", keys.ec, keys.ecCert, "", "ec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			clock := newFakeClock()
			cfg := testConfig(clock)
			cfg.ClientAssertionAlg = tt.cfgAlg
			p := newProvider(t, cfg)
			req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
			req.Credential = domain.ClientCredential{Key: tt.key, Certificates: []*x509.Certificate{tt.cert}}
			if _, err := p.Token(t.Context(), req); err != nil {
				t.Fatalf("Token() = %v", err)
			}
			form := f.lastToken().Form
			if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || form.Get("client_id") != "client-1" {
				t.Fatalf("got form %v; want a jwt-bearer client assertion and client_id", form)
			}
			claims := verifyAssertion(t, form.Get("client_assertion"), tt.cert, tt.alg)
			now := clock.Now().Unix()
			if claims.Iss != "client-1" || claims.Sub != "client-1" || claims.Aud != f.srv.URL+"/token" || claims.Jti == "" ||
				claims.Iat != now || claims.Exp <= now || claims.Exp > now+600 {
				t.Errorf("got claims %+v; want iss = sub = client-1, aud = token endpoint, jti, iat = now, short exp", claims)
			}
		})
	}
}

func TestProvider_Token_privateKeyJWTFreshPerRetry(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setToken(sequence(status(503, nil), status(200, map[string]any{"access_token": "at", "expires_in": 60})))
	p := newProvider(t, testConfig(newFakeClock()))
	req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
	req.Credential = domain.ClientCredential{Key: keys.rsa, Certificates: []*x509.Certificate{keys.rsaCert}}
	if _, err := p.Token(t.Context(), req); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	seen := f.tokenRequests()
	if len(seen) != 2 {
		t.Fatalf("got %d token requests; want 2", len(seen))
	}
	a1 := verifyAssertion(t, seen[0].Form.Get("client_assertion"), keys.rsaCert, "RS256")
	a2 := verifyAssertion(t, seen[1].Form.Get("client_assertion"), keys.rsaCert, "RS256")
	if a1.Jti == a2.Jti {
		t.Errorf("got the same jti %q on the retry; want a fresh assertion per attempt", a1.Jti)
	}
}

func TestProvider_Token_credentialMisuse(t *testing.T) {
	keys := testKeys()
	tests := []struct {
		name string
		cred domain.ClientCredential
	}{
		{"secret and key", domain.ClientCredential{Secret: "cs-secret-value", Key: keys.rsa}},
		{"basic without secret", domain.ClientCredential{Key: keys.rsa, AuthMethod: "client_secret_basic"}},
		{"jwt without key", domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: "private_key_jwt"}},
		{"unknown method", domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: "tls_client_auth"}},
		{"certificate of another key", domain.ClientCredential{Key: keys.rsa2, Certificates: []*x509.Certificate{keys.rsaCert}}},
		{"none with a secret", domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			p := newProvider(t, testConfig(newFakeClock()))
			req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
			req.Credential = tt.cred
			_, err := p.Token(t.Context(), req)
			wantClass(t, err, domain.ErrInvalidInput)
			if strings.Contains(err.Error(), "cs-secret-value") {
				t.Errorf("error %q contains the secret", err)
			}
			if n := f.count("token"); n != 0 {
				t.Errorf("got %d token requests; want 0", n)
			}
		})
	}
}

func TestProvider_Token_invalidInput(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	mutate := []struct {
		name string
		edit func(r *domain.TokenRequest)
	}{
		{"no client id", func(r *domain.TokenRequest) { r.ClientID = "" }},
		{"no code", func(r *domain.TokenRequest) { r.Code = "" }},
		{"unknown grant", func(r *domain.TokenRequest) { r.Grant = "urn:ietf:params:oauth:grant-type:device_code" }},
		{"password without password", func(r *domain.TokenRequest) { r.Grant = domain.GrantPassword; r.Username = "u" }},
		{"refresh without token", func(r *domain.TokenRequest) { r.Grant = domain.GrantRefreshToken }},
		{"client credentials of a public client", func(r *domain.TokenRequest) { r.Grant = domain.GrantClientCredentials }},
	}
	for _, m := range mutate {
		req := codeRequest(a)
		m.edit(&req)
		if _, err := p.Token(t.Context(), req); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: Token() = %v; want ErrInvalidInput", m.name, err)
		}
	}
	if n := f.count("token") + f.count("discovery"); n != 0 {
		t.Errorf("got %d requests; want 0", n)
	}
}

func TestProvider_Token_headers(t *testing.T) {
	for _, kind := range []domain.AuthorityKind{domain.AuthorityEntra, domain.AuthorityOIDC} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFakeIdP(t)
			path := ""
			if kind == domain.AuthorityEntra {
				path = "/common"
				f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = f.srv.URL + "/{tenantid}/v2.0" })
			}
			f.setToken(func(w http.ResponseWriter, r *http.Request) {
				if id := r.Header.Get("client-request-id"); id != "" && r.Header.Get("return-client-request-id") == "true" {
					w.Header().Set("client-request-id", id)
				}
				writeJSON(w, 200, map[string]any{"access_token": "at", "expires_in": 60})
			})
			p := newProvider(t, testConfig(newFakeClock()))
			req := codeRequest(f.authority(path, kind))
			req.CorrelationID = "corr-42"
			res, err := p.Token(t.Context(), req)
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			h := f.lastToken().Header
			if ua := h.Get("User-Agent"); ua != "hexauth/test-1" {
				t.Errorf("got User-Agent %q; want hexauth/test-1", ua)
			}
			if ct := h.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("got Content-Type %q; want a form", ct)
			}
			wantID := ""
			if kind == domain.AuthorityEntra {
				wantID = "corr-42"
			}
			if got := h.Get("client-request-id"); got != wantID {
				t.Errorf("got client-request-id %q; want %q", got, wantID)
			}
			if res.CorrelationID != wantID {
				t.Errorf("got response correlation id %q; want %q (echoed by the provider)", res.CorrelationID, wantID)
			}
		})
	}
}

type assertionClaims struct {
	Iss, Sub, Aud, Jti string
	Iat, Nbf, Exp      int64
}

// verifyAssertion checks a client assertion the way a token endpoint would: alg,
// x5t#S256 of cert, and the signature with cert's key. It returns the claims.
func verifyAssertion(t *testing.T, raw string, cert *x509.Certificate, wantAlg string) assertionClaims {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("client assertion has %d parts; want 3", len(parts))
	}
	var h struct {
		Alg     string `json:"alg"`
		Typ     string `json:"typ"`
		X5TS256 string `json:"x5t#S256"`
	}
	decodePart(t, parts[0], &h)
	sum := sha256.Sum256(cert.Raw)
	if h.Alg != wantAlg || h.Typ != "JWT" || h.X5TS256 != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatalf("got header %+v; want alg %s, typ JWT and the certificate's x5t#S256", h, wantAlg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("signature is not base64url: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	var verr error
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if wantAlg == "PS256" {
			verr = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			verr = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
		}
	case *ecdsa.PublicKey:
		if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			verr = errors.New("bad ES256 signature")
		}
	}
	if verr != nil {
		t.Fatalf("client assertion signature does not verify: %v", verr)
	}
	var c assertionClaims
	decodePart(t, parts[1], &c)
	return c
}

func decodePart(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment is not base64url: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("segment is not JSON: %v", err)
	}
}
