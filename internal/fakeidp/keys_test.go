package fakeidp_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
	"github.com/hexauth/hexauth/internal/jose"
)

// jwksKey decodes the only key of a JWKS document into a public key, checking its kid
// and alg.
func jwksKey(t *testing.T, p *fakeidp.Provider) crypto.PublicKey {
	t.Helper()
	var doc struct{ Keys []fakeidp.JWK }
	if err := json.Unmarshal(p.JWKS(), &doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("JWKS = %s, %v; want one key", p.JWKS(), err)
	}
	k := doc.Keys[0]
	if k.Kid != p.KeyID() || k.Alg != p.SigningAlg() || k.Use != "sig" || k.Kid == "" {
		t.Fatalf("JWK: got kid %q alg %q use %q; want kid %q alg %q use sig", k.Kid, k.Alg, k.Use, p.KeyID(), p.SigningAlg())
	}
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK member %q is not base64url", s)
		}
		return new(big.Int).SetBytes(b)
	}
	switch k.Kty {
	case "EC":
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: num(k.X), Y: num(k.Y)}
	case "RSA":
		return &rsa.PublicKey{N: num(k.N), E: int(num(k.E).Int64())}
	}
	t.Fatalf("JWK kty %q; want EC or RSA", k.Kty)
	return nil
}

// verifyWith verifies a token's signature with pub, as a relying party reading the JWKS
// would.
func verifyWith(pub crypto.PublicKey, raw string) bool {
	parts := strings.Split(raw, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return len(sig) == 64 && ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
	}
	return false
}

func TestProvider_JWKS_verifiesIDTokens(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*fakeidp.Config)
	}{
		{"ES256", nil},
		{"RS256", func(c *fakeidp.Config) { c.SigningAlg, c.SigningKey = fakeidp.AlgRS256, rsaKey }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, nil, tt.mod)
			pub := jwksKey(t, p)
			if !p.PublicKey().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Error("the JWKS key is not PublicKey()")
			}
			resp, err := p.Token(passwordRequest(authority(t, "https://idp.example.org"), "pub"), fakeidp.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h, _, err := domain.ParseIDToken(string(resp.IDToken))
			if err != nil || h.Alg != tt.name || h.Kid != p.KeyID() {
				t.Fatalf("header = %+v, %v; want alg %s kid %s", h, err, tt.name, p.KeyID())
			}
			if !verifyWith(pub, string(resp.IDToken)) {
				t.Error("the JWKS key does not verify the ID token")
			}
			if err := p.VerifySignature(string(resp.IDToken)); err != nil {
				t.Errorf("VerifySignature = %v; want nil", err)
			}
		})
	}
}

func TestProvider_VerifySignature_otherKid(t *testing.T) {
	p := newProvider(t, nil, nil)
	resp, _ := p.Token(passwordRequest(authority(t, "https://idp.example.org"), "pub"), fakeidp.TokenOptions{})
	parts := strings.Split(string(resp.IDToken), ".")
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"someone-else"}`))
	if err := p.VerifySignature(h + "." + parts[1] + "." + parts[2]); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("VerifySignature(other kid) = %v; want ErrInvalidIDToken", err)
	}
}

func TestConfig_Validate_signingKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name string
		alg  string
		key  crypto.Signer
	}{
		{"P-384 for ES256", fakeidp.AlgES256, ec},
		{"RSA for ES256", "", small},
		{"short RSA", fakeidp.AlgRS256, small},
		{"HMAC alg", "HS256", nil},
		{"alg none", "none", nil},
		{"EC key for EdDSA", "EdDSA", ec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeidp.Config{Clock: fixedClock{testNow}, SigningAlg: tt.alg, SigningKey: tt.key}
			if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("Validate = %v; want ErrInvalidInput", err)
			}
		})
	}
}

func TestIDTokenFault_String(t *testing.T) {
	if got := fakeidp.IDTokenWrongNonce.String(); got != "wrong nonce" {
		t.Errorf("String: got %q; want %q", got, "wrong nonce")
	}
	if got := fakeidp.IDTokenFault(99).String(); got != "unknown fault" {
		t.Errorf("String(99): got %q; want %q", got, "unknown fault")
	}
}

// The fake signs with every algorithm internal/jose accepts, and its JWKS verifies the
// tokens through internal/jose, the path the HTTP adapter takes.
func TestProvider_signsWithEveryAlgorithm(t *testing.T) {
	for _, alg := range jose.Algorithms {
		t.Run(alg, func(t *testing.T) {
			p := newProvider(t, nil, func(c *fakeidp.Config) { c.SigningAlg = alg })
			resp, err := p.Token(passwordRequest(authority(t, "https://idp.example.org"), "pub"), fakeidp.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			raw := string(resp.IDToken)
			if err := p.VerifySignature(raw); err != nil {
				t.Fatalf("VerifySignature = %v; want nil", err)
			}
			ks, err := jose.ParseKeySet(p.JWKS())
			if err != nil {
				t.Fatal(err)
			}
			s, err := jose.Parse(raw, nil)
			if err != nil || s.Header.Alg != alg || s.Header.KeyID != p.KeyID() {
				t.Fatalf("Parse = %+v, %v; want alg %s, kid %s", s, err, alg, p.KeyID())
			}
			if _, err := s.Verify(ks.Candidates(s.Header.KeyID, alg)...); err != nil {
				t.Errorf("Verify(JWKS) = %v; want nil", err)
			}
		})
	}
}

func TestProvider_VerifySignature_critRefused(t *testing.T) {
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.SigningKey = signer })
	claims := []byte(`{"iss":"i","sub":"s","aud":"c","exp":4102444800}`)
	good, _ := jose.Sign(signer, p.SigningAlg(), claims, jose.SignOptions{KeyID: p.KeyID()})
	if err := p.VerifySignature(good); err != nil {
		t.Fatalf("VerifySignature(good) = %v; want nil", err)
	}
	raw, err := jose.Sign(signer, p.SigningAlg(), claims, jose.SignOptions{KeyID: p.KeyID(), Extra: map[string]any{"crit": []string{"x"}, "x": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifySignature(raw); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("VerifySignature(crit) = %v; want ErrInvalidIDToken", err)
	}
}

// A token signed with the fake's own key but naming another kid is refused: the kid
// must name the key that verifies.
func TestProvider_VerifySignature_ownKeyOtherKidRefused(t *testing.T) {
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.SigningKey = signer })
	claims := []byte(`{"iss":"i","sub":"s","aud":"c","exp":4102444800}`)
	raw, err := jose.Sign(signer, p.SigningAlg(), claims, jose.SignOptions{KeyID: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifySignature(raw); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("VerifySignature(own key, other kid) = %v; want ErrInvalidIDToken", err)
	}
}
