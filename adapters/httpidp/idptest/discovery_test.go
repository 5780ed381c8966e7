package idptest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// discovery is the part of a discovery document the tests read.
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	GrantTypes            []string `json:"grant_types_supported"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
	IssuerInResponse      bool     `json:"authorization_response_iss_parameter_supported"`
}

func fetchDiscovery(t *testing.T, u string) discovery {
	t.Helper()
	r := get(t, u)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d; want 200", u, r.status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	var d discovery
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatalf("discovery document: %v", err)
	}
	return d
}

func TestServer_Discovery_oidcLayout(t *testing.T) {
	f := newFixture(t, nil)
	base := f.srv.URL()
	d := fetchDiscovery(t, base+"/.well-known/openid-configuration")
	want := discovery{
		Issuer:                base,
		AuthorizationEndpoint: base + "/authorize",
		TokenEndpoint:         base + "/token",
		JWKSURI:               base + "/keys",
	}
	if d.Issuer != want.Issuer || d.AuthorizationEndpoint != want.AuthorizationEndpoint ||
		d.TokenEndpoint != want.TokenEndpoint || d.JWKSURI != want.JWKSURI {
		t.Errorf("endpoints = %+v; want %+v", d, want)
	}
	if f.srv.Issuer() != base {
		t.Errorf("Issuer() = %q; want %q", f.srv.Issuer(), base)
	}
	if !slices.Equal(d.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v; want [S256]", d.CodeChallengeMethods)
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post", "private_key_jwt"} {
		if !slices.Contains(d.TokenAuthMethods, m) {
			t.Errorf("token_endpoint_auth_methods_supported = %v; want it to contain %s", d.TokenAuthMethods, m)
		}
	}
	for _, g := range []string{"authorization_code", "password", "refresh_token", "client_credentials"} {
		if !slices.Contains(d.GrantTypes, g) {
			t.Errorf("grant_types_supported = %v; want it to contain %s", d.GrantTypes, g)
		}
	}
	if !d.IssuerInResponse {
		t.Errorf("authorization_response_iss_parameter_supported = false; want true (configured)")
	}
}

func TestServer_Discovery_entraLayout(t *testing.T) {
	f := newFixture(t, nil)
	base := f.srv.URL()
	const guid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		name, tenant, issuer string
	}{
		{"common", "common", base + "/{tenantid}/v2.0"},
		{"organizations", "organizations", base + "/{tenantid}/v2.0"},
		{"consumers", "consumers", base + "/{tenantid}/v2.0"},
		{"tenant id", guid, base + "/" + guid + "/v2.0"},
		{"tenant name", "contoso.onmicrosoft.com", base + "/" + idptest.DefaultTenantID + "/v2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fetchDiscovery(t, base+"/"+tt.tenant+"/v2.0/.well-known/openid-configuration")
			if d.Issuer != tt.issuer {
				t.Errorf("issuer = %q; want %q", d.Issuer, tt.issuer)
			}
			if got := f.srv.EntraIssuer(tt.tenant); got != tt.issuer {
				t.Errorf("EntraIssuer(%q) = %q; want %q", tt.tenant, got, tt.issuer)
			}
			prefix := f.srv.EntraAuthority(tt.tenant)
			if d.AuthorizationEndpoint != prefix+"/oauth2/v2.0/authorize" || d.TokenEndpoint != prefix+"/oauth2/v2.0/token" ||
				d.JWKSURI != prefix+"/discovery/v2.0/keys" {
				t.Errorf("endpoints = %s, %s, %s; want them under %s", d.AuthorizationEndpoint, d.TokenEndpoint, d.JWKSURI, prefix)
			}
			if r := get(t, d.JWKSURI); r.status != http.StatusOK {
				t.Errorf("GET jwks_uri: status %d; want 200", r.status)
			}
		})
	}
}

func TestServer_Discovery_entraTenantDomains(t *testing.T) {
	const contoso = "3c8d2e4f-1111-4222-8333-0000000c0550"
	f := newFixture(t, func(c *idptest.Config) {
		c.Provider.TenantDomains = map[string]string{"contoso.onmicrosoft.com": contoso}
	})
	base := f.srv.URL()
	tests := []struct{ tenant, issuer string }{
		{"contoso.onmicrosoft.com", base + "/" + contoso + "/v2.0"},
		{"Contoso.OnMicrosoft.com", base + "/" + contoso + "/v2.0"},
		{"fabrikam.example", base + "/" + idptest.DefaultTenantID + "/v2.0"},
	}
	for _, tt := range tests {
		d := fetchDiscovery(t, base+"/"+tt.tenant+"/v2.0/.well-known/openid-configuration")
		if d.Issuer != tt.issuer || f.srv.EntraIssuer(tt.tenant) != tt.issuer {
			t.Errorf("%s: issuer %q, EntraIssuer %q; want %q", tt.tenant, d.Issuer, f.srv.EntraIssuer(tt.tenant), tt.issuer)
		}
	}
}

func TestServer_Discovery_unknownPath(t *testing.T) {
	f := newFixture(t, nil)
	if r := get(t, f.srv.URL()+"/nope/.well-known/openid-configuration"); r.status != http.StatusNotFound {
		t.Errorf("status = %d; want 404", r.status)
	}
}

// jwk is a public EC key of a JWKS.
type jwk struct {
	Kty, Crv, X, Y, Kid, Alg, Use string
}

func TestServer_JWKS_verifiesIDTokens(t *testing.T) {
	f := newFixture(t, nil)
	d := fetchDiscovery(t, f.srv.URL()+"/.well-known/openid-configuration")
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(get(t, d.JWKSURI).body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS = %v, %d keys; want one key", err, len(set.Keys))
	}
	k := set.Keys[0]
	if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || k.Use != "sig" || k.Kid == "" {
		t.Fatalf("key = %+v; want an EC P-256 ES256 signing key with a kid", k)
	}
	if !slices.Equal(d.IDTokenAlgs, []string{"ES256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v; want [ES256]", d.IDTokenAlgs)
	}
	if string(f.srv.JWKS()) != string(get(t, d.JWKSURI).body) {
		t.Errorf("JWKS() differs from the served key set")
	}
	resp := postForm(t, d.TokenEndpoint, passwordForm()).json(t)
	raw, _ := resp["id_token"].(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts; want 3", len(parts))
	}
	var h struct{ Alg, Kid string }
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(hb, &h); err != nil || h.Kid != k.Kid || h.Alg != "ES256" {
		t.Fatalf("id_token header = %s; want alg ES256 and kid %s", hb, k.Kid)
	}
	x, _ := base64.RawURLEncoding.DecodeString(k.X)
	y, _ := base64.RawURLEncoding.DecodeString(k.Y)
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Errorf("the ID token's signature does not verify with the JWKS key")
	}
}

func TestServer_JWKS_rs256(t *testing.T) {
	f := newFixture(t, func(c *idptest.Config) { c.Provider.SigningAlg = "RS256" })
	var set struct {
		Keys []struct{ Kty, Alg, N, E string }
	}
	if err := json.Unmarshal(get(t, f.srv.URL()+"/keys").body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS = %v; want one key", err)
	}
	if k := set.Keys[0]; k.Kty != "RSA" || k.Alg != "RS256" || k.N == "" || k.E == "" {
		t.Errorf("key = %+v; want an RS256 RSA key", k)
	}
}
