package idptest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/hexauth/hexauth/internal/jose"
)

// assertion describes a client assertion to build; zero fields take correct values.
type assertion struct {
	alg     string
	key     crypto.Signer
	cert    *x509.Certificate // its x5t#S256 goes in the header
	sha1X5T bool              // name the certificate by SHA-1 x5t instead
	iss     string
	sub     string
	aud     any
	exp     time.Time
	jti     string
}

// sign builds the compact JWS of a.
func (a assertion) sign(t *testing.T) string {
	t.Helper()
	h := map[string]string{"alg": a.alg, "typ": "JWT"}
	if a.cert != nil {
		if a.sha1X5T {
			s := sha1.Sum(a.cert.Raw)
			h["x5t"] = base64.RawURLEncoding.EncodeToString(s[:])
		} else {
			s := sha256.Sum256(a.cert.Raw)
			h["x5t#S256"] = base64.RawURLEncoding.EncodeToString(s[:])
		}
	}
	claims := map[string]any{"iss": a.iss, "sub": a.sub, "aud": a.aud, "exp": a.exp.Unix(), "nbf": a.exp.Add(-10 * time.Minute).Unix()}
	if a.jti != "" {
		claims["jti"] = a.jti
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64(hb) + "." + b64(cb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch k := a.key.(type) {
	case *ecdsa.PrivateKey:
		var r, s interface{ FillBytes([]byte) []byte }
		r, s, err = ecdsa.Sign(rand.Reader, k, digest[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case *rsa.PrivateKey:
		if a.alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], nil)
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		}
	}
	if err != nil {
		t.Fatalf("sign assertion: %v", err)
	}
	if a.alg == "none" {
		sig = nil
	}
	return input + "." + b64(sig)
}

func TestServer_Token_clientAuthentication(t *testing.T) {
	f := newFixture(t, nil)
	tokenURL := f.srv.URL() + "/token"
	now := f.clock.Now()
	ec := func(edit func(*assertion)) assertion {
		a := assertion{alg: "ES256", key: f.keys.ecKey, cert: f.keys.ecCert, iss: ecID, sub: ecID, aud: tokenURL, exp: now.Add(5 * time.Minute)}
		if edit != nil {
			edit(&a)
		}
		return a
	}
	rs := func(alg string) assertion {
		return assertion{alg: alg, key: f.keys.rsaKey, cert: f.keys.rsaCert, iss: rsaID, sub: rsaID, aud: []string{"x", tokenURL}, exp: now.Add(time.Minute)}
	}
	tests := []struct {
		name      string
		client    string // client_id in the form ("" for none)
		basic     string // id:secret for HTTP Basic
		secret    string // client_secret in the form
		assertion *assertion
		status    int
		aadCode   int
	}{
		{name: "none, public client", client: publicID, status: 200},
		{name: "none, confidential client", client: webID, status: 401, aadCode: 7000218},
		{name: "secret from a public client", client: publicID, secret: "x", status: 401, aadCode: 700025},
		{name: "client_secret_basic", basic: webID + ":" + webSecret, status: 200},
		{name: "client_secret_basic, wrong secret", basic: webID + ":nope", status: 401, aadCode: 7000215},
		{name: "client_secret_post", client: webID, secret: webSecret, status: 200},
		{name: "client_secret_post, wrong secret", client: webID, secret: "nope", status: 401, aadCode: 7000215},
		{name: "basic and post together", basic: webID + ":" + webSecret, secret: webSecret, status: 400},
		{name: "private_key_jwt ES256", client: ecID, assertion: ptr(ec(nil)), status: 200},
		{name: "private_key_jwt without client_id", assertion: ptr(ec(nil)), status: 200},
		{name: "private_key_jwt SHA-1 x5t", client: ecID, assertion: ptr(ec(func(a *assertion) { a.sha1X5T = true })), status: 200},
		{name: "private_key_jwt without thumbprint", client: ecID, assertion: ptr(ec(func(a *assertion) { a.cert = nil })), status: 200},
		{name: "private_key_jwt RS256, array aud", client: rsaID, assertion: ptr(rs("RS256")), status: 200},
		{name: "private_key_jwt PS256", client: rsaID, assertion: ptr(rs("PS256")), status: 200},
		{name: "assertion signed by another key", client: ecID, assertion: ptr(ec(func(a *assertion) { a.key, a.alg, a.cert = f.keys.rsaKey, "RS256", nil })), status: 401, aadCode: 700027},
		{name: "assertion naming another certificate", client: ecID, assertion: ptr(ec(func(a *assertion) { a.cert = f.keys.rsaCert })), status: 401, aadCode: 700027},
		{name: "assertion for another audience", client: ecID, assertion: ptr(ec(func(a *assertion) { a.aud = f.srv.URL() + "/other" })), status: 401, aadCode: 700027},
		{name: "expired assertion", client: ecID, assertion: ptr(ec(func(a *assertion) { a.exp = now.Add(-10 * time.Minute) })), status: 401, aadCode: 700027},
		{name: "assertion iss is not the client", client: ecID, assertion: ptr(ec(func(a *assertion) { a.iss = "someone" })), status: 401, aadCode: 700027},
		{name: "unsigned assertion", client: ecID, assertion: ptr(ec(func(a *assertion) { a.alg = "none" })), status: 401, aadCode: 700027},
		{name: "assertion alg does not fit the key", client: ecID, assertion: ptr(ec(func(a *assertion) { a.alg = "RS256" })), status: 401, aadCode: 700027},
		{name: "assertion from a secret client", client: webID, assertion: ptr(ec(func(a *assertion) { a.iss, a.sub = webID, webID })), status: 401, aadCode: 700027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"password"}, "username": {userName}, "password": {userPassword}, "scope": {"openid"}}
			if tt.client != "" {
				form.Set("client_id", tt.client)
			}
			if tt.secret != "" {
				form.Set("client_secret", tt.secret)
			}
			if tt.assertion != nil {
				form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
				form.Set("client_assertion", tt.assertion.sign(t))
			}
			var r reply
			if tt.basic != "" {
				r = postForm(t, tokenURL, form, tt.basic)
			} else {
				r = postForm(t, tokenURL, form)
			}
			if r.status != tt.status {
				t.Fatalf("status = %d; want %d: %s", r.status, tt.status, r.body)
			}
			if tt.aadCode != 0 {
				m := r.json(t)
				if m["error"] != "invalid_client" || !slices.Contains(errorCodes(m), tt.aadCode) {
					t.Errorf("error %v codes %v; want invalid_client [%d]", m["error"], errorCodes(m), tt.aadCode)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("a 401 has no WWW-Authenticate header (RFC 6749 §5.2)")
				}
			}
		})
	}
}

func TestServer_Token_assertionReplayRefused(t *testing.T) {
	f := newFixture(t, nil)
	tokenURL := f.srv.URL() + "/token"
	a := assertion{alg: "ES256", key: f.keys.ecKey, cert: f.keys.ecCert, iss: ecID, sub: ecID, aud: tokenURL,
		exp: f.clock.Now().Add(5 * time.Minute), jti: "jti-1"}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://demo/.default"}, "client_id": {ecID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a.sign(t)}}
	if r := postForm(t, tokenURL, form); r.status != http.StatusOK {
		t.Fatalf("first use: status %d; want 200: %s", r.status, r.body)
	}
	if r := postForm(t, tokenURL, form); r.status != http.StatusUnauthorized {
		t.Errorf("replayed assertion: status %d; want 401", r.status)
	}
	a.jti = "jti-2"
	form.Set("client_assertion", a.sign(t))
	if r := postForm(t, tokenURL, form); r.status != http.StatusOK {
		t.Errorf("a new jti: status %d; want 200", r.status)
	}
}

func TestServer_Token_assertionAudienceIsTheEntraEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	entraToken := f.srv.EntraAuthority("common") + "/oauth2/v2.0/token"
	mk := func(aud string) url.Values {
		a := assertion{alg: "ES256", key: f.keys.ecKey, cert: f.keys.ecCert, iss: ecID, sub: ecID, aud: aud, exp: f.clock.Now().Add(time.Minute)}
		return url.Values{"grant_type": {"client_credentials"}, "scope": {"api://demo/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a.sign(t)}}
	}
	if r := postForm(t, entraToken, mk(entraToken)); r.status != http.StatusOK {
		t.Errorf("aud = the Entra token endpoint: status %d; want 200: %s", r.status, r.body)
	}
	if r := postForm(t, entraToken, mk(f.srv.URL()+"/token")); r.status != http.StatusUnauthorized {
		t.Errorf("aud = the root token endpoint: status %d; want 401", r.status)
	}
}

func ptr[T any](v T) *T { return &v }

// Client assertions are verified through internal/jose: every RSA algorithm verifies,
// and an HMAC keyed with the registered public key is refused.
func TestServer_Token_assertionAlgorithms(t *testing.T) {
	f := newFixture(t, nil)
	tokenURL := f.srv.URL() + "/token"
	claims, _ := json.Marshal(map[string]any{"iss": rsaID, "sub": rsaID, "aud": tokenURL, "exp": f.clock.Now().Add(time.Minute).Unix()})
	post := func(a string) reply {
		return postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"api://demo/.default"}, "client_id": {rsaID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}})
	}
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
		a, err := jose.Sign(f.keys.rsaKey, alg, claims, jose.SignOptions{Type: "JWT"})
		if err != nil {
			t.Fatal(err)
		}
		if r := post(a); r.status != http.StatusOK {
			t.Errorf("%s assertion: status %d; want 200: %s", alg, r.status, r.body)
		}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	pub, _ := x509.MarshalPKIXPublicKey(f.keys.rsaKey.Public())
	in := b64([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64(claims)
	m := hmac.New(sha256.New, pub)
	m.Write([]byte(in))
	if r := post(in + "." + b64(m.Sum(nil))); r.status != http.StatusUnauthorized {
		t.Errorf("HS256 assertion keyed with the public key: status %d; want 401", r.status)
	}
}
