package httpidp_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
)

// joseKeySet returns a JWKS of the public keys of signers, each with its alg, and the
// kid (RFC 7638 thumbprint) of each.
func joseKeySet(t *testing.T, signers map[string]crypto.Signer) ([]byte, map[string]string) {
	t.Helper()
	var keys []json.RawMessage
	kids := map[string]string{}
	for alg, s := range signers {
		j, kid, err := jose.PublicJWK(s.Public(), alg)
		if err != nil {
			t.Fatal(err)
		}
		keys, kids[alg] = append(keys, j), kid
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b, kids
}

// Tokens signed through internal/jose with every accepted algorithm verify, each key
// picked by kid from one key set holding them all.
func TestProvider_VerifyIDTokenSignature_everyAlgorithm(t *testing.T) {
	keys := testKeys()
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	signers := map[string]crypto.Signer{
		"RS256": keys.rsa, "RS384": keys.rsa2, "RS512": keys.rsa, "PS256": keys.rsa2, "PS384": keys.rsa, "PS512": keys.rsa2,
		"ES256": keys.ec, "ES384": ec384, "ES512": ec521, "EdDSA": ed,
	}
	jwks, kids := joseKeySet(t, signers)
	f := newFakeIdP(t)
	f.setJWKS(jwks)
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	claims, _ := json.Marshal(idClaims())
	for _, alg := range jose.Algorithms {
		raw, err := jose.Sign(signers[alg], alg, claims, jose.SignOptions{KeyID: kids[alg], Type: "JWT"})
		if err != nil {
			t.Fatalf("Sign(%s) = %v", alg, err)
		}
		if err := p.VerifyIDTokenSignature(t.Context(), a, raw); err != nil {
			t.Errorf("%s: VerifyIDTokenSignature() = %v; want nil", alg, err)
		}
		// The same token under another key's kid fails: the kid picks the key.
		other := kids["ES256"]
		if alg == "ES256" {
			other = kids["ES384"]
		}
		wrong, _ := jose.Sign(signers[alg], alg, claims, jose.SignOptions{KeyID: other})
		wantClass(t, p.VerifyIDTokenSignature(t.Context(), a, wrong), domain.ErrInvalidIDToken)
	}
}

// A crit header, an overlong kid, an HMAC or an unknown alg is refused before the key
// set is fetched; the kid is never logged or quoted raw.
func TestProvider_VerifyIDTokenSignature_refusedBeforeKeySetFetch(t *testing.T) {
	keys := testKeys()
	longKid := strings.Repeat("K", domain.MaxKeyIDLength+1)
	claims, _ := json.Marshal(idClaims())
	crit, err := jose.Sign(keys.rsa, "RS256", claims, jose.SignOptions{Extra: map[string]any{"crit": []string{"exp"}, "exp": 1}})
	if err != nil {
		t.Fatal(err)
	}
	long, _ := jose.Sign(keys.rsa, "RS256", claims, jose.SignOptions{KeyID: longKid})
	for name, raw := range map[string]string{
		"crit":     crit,
		"long kid": long,
		"HS256":    signJWT(t, "HS256", "k", []byte("secret"), idClaims()),
		"ES256K":   strings.Replace(signJWT(t, "ES256", "k", keys.ec, idClaims()), b64.EncodeToString([]byte(`{"alg":"ES256"`)), b64.EncodeToString([]byte(`{"alg":"ES256K"`)), 1),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setJWKS(jwksJSON(jwk{kid: "k", pub: &keys.rsa.PublicKey}))
			p := newProvider(t, testConfig(newFakeClock()))
			err := p.VerifyIDTokenSignature(t.Context(), f.authority("", domain.AuthorityOIDC), raw)
			wantClass(t, err, domain.ErrInvalidIDToken)
			if n := f.count("jwks"); n != 0 {
				t.Errorf("got %d JWKS requests; want 0 (refused from the header alone)", n)
			}
			if strings.Contains(err.Error(), longKid[:64]) {
				t.Errorf("error %q quotes the kid", err)
			}
		})
	}
}

// An unknown kid is logged (when it forces a refetch) as a hash, never raw.
func TestProvider_VerifyIDTokenSignature_kidNeverLoggedRaw(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setJWKS(jwksJSON(jwk{kid: "k", pub: &keys.rsa.PublicKey}))
	logger, buf := captureLogs()
	clock := newFakeClock()
	cfg := testConfig(clock)
	cfg.Logger = logger
	p := newProvider(t, cfg)
	a := f.authority("", domain.AuthorityOIDC)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "k", keys.rsa, idClaims())); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * cfg.JWKSRefetchInterval)
	if cfg.JWKSRefetchInterval == 0 {
		clock.Advance(2 * time.Minute)
	}
	kid := "attacker-chosen\x1b[31m-kid"
	err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", kid, keys.rsa, idClaims()))
	wantClass(t, err, domain.ErrInvalidIDToken)
	if !strings.Contains(buf.String(), "kid_sha256=") {
		t.Fatalf("logs %q; want the refetch logged with the kid's hash", buf.String())
	}
	if strings.Contains(buf.String(), "attacker-chosen") || strings.Contains(err.Error(), "attacker-chosen") {
		t.Errorf("kid echoed raw: logs %q, error %q", buf.String(), err)
	}
}

// Client assertions are signed through internal/jose with the key's algorithm (RSA:
// Config.ClientAssertionAlg) and verify with go-jose.
func TestProvider_Token_privateKeyJWTEveryKeyType(t *testing.T) {
	keys := testKeys()
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, tt := range []struct {
		cfgAlg, want string
		key          crypto.Signer
	}{
		{"RS384", "RS384", keys.rsa}, {"RS512", "RS512", keys.rsa}, {"PS384", "PS384", keys.rsa}, {"PS512", "PS512", keys.rsa},
		{"", "ES256", keys.ec}, {"", "ES384", ec384}, {"PS256", "ES512", ec521}, {"", "EdDSA", ed},
	} {
		t.Run(tt.want, func(t *testing.T) {
			f := newFakeIdP(t)
			cfg := testConfig(newFakeClock())
			cfg.ClientAssertionAlg = tt.cfgAlg
			p := newProvider(t, cfg)
			req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
			req.Credential = domain.ClientCredential{Key: tt.key}
			if _, err := p.Token(t.Context(), req); err != nil {
				t.Fatalf("Token() = %v", err)
			}
			s, err := jose.Parse(f.lastToken().Form.Get("client_assertion"), nil)
			if err != nil || s.Header.Alg != tt.want || s.Header.Type != "JWT" {
				t.Fatalf("assertion header = %+v, %v; want alg %s, typ JWT", s, err, tt.want)
			}
			if _, err := s.Verify(tt.key.Public()); err != nil {
				t.Errorf("assertion Verify() = %v; want nil", err)
			}
		})
	}
}

func TestProvider_Token_privateKeyJWTRefusesUnusableKeys(t *testing.T) {
	ec224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
	req.Credential = domain.ClientCredential{Key: ec224}
	_, err := p.Token(t.Context(), req)
	wantClass(t, err, domain.ErrInvalidInput)
	if n := f.count("token"); n != 0 {
		t.Errorf("got %d token requests; want 0", n)
	}
}

// The algorithms are narrowed to the discovery document's
// id_token_signing_alg_values_supported (OIDC Discovery §3), before any key is fetched.
func TestProvider_VerifyIDTokenSignature_discoveryAlgorithms(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["id_token_signing_alg_values_supported"] = []string{"RS256"}
	})
	f.setJWKS(jwksJSON(jwk{kid: "rsa-1", pub: &keys.rsa.PublicKey}, jwk{kid: "ec-1", pub: &keys.ec.PublicKey}))
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "ES256", "ec-1", keys.ec, idClaims()))
	wantClass(t, err, domain.ErrInvalidIDToken)
	if n := f.count("jwks"); n != 0 {
		t.Errorf("got %d JWKS requests; want 0 (refused from the header and the metadata)", n)
	}
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "rsa-1", keys.rsa, idClaims())); err != nil {
		t.Errorf("VerifyIDTokenSignature(RS256, listed) = %v; want nil", err)
	}
}
