package fakeidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
)

// signingKey is the fake's ID token key and its JWK form.
type signingKey struct {
	alg    string
	kid    string
	signer crypto.Signer
	jwk    JWK
}

// JWK is a public JSON Web Key (RFC 7517 §4) of the fake's key set.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"` // EC, OKP
	X   string `json:"x,omitempty"`   // EC, OKP
	Y   string `json:"y,omitempty"`   // EC
	N   string `json:"n,omitempty"`   // RSA
	E   string `json:"e,omitempty"`   // RSA
}

// newSigningKey returns key, or a new key for alg when key is nil, with its kid: the
// RFC 7638 thumbprint of its public JWK (both from internal/jose, as verifiers see it).
func newSigningKey(alg string, key crypto.Signer) (signingKey, error) {
	var err error
	if key == nil {
		key, err = generateKey(alg)
		if err != nil {
			return signingKey{}, &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: signing key", Description: "cannot generate the signing key", Err: err}
		}
	}
	raw, kid, err := jose.PublicJWK(key.Public(), alg)
	var jwk JWK
	if err != nil || json.Unmarshal(raw, &jwk) != nil {
		return signingKey{}, configError("SigningKey has no public JWK form")
	}
	return signingKey{alg: alg, kid: kid, signer: key, jwk: jwk}, nil
}

// generateKey makes a key that signs with alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return rsa.GenerateKey(rand.Reader, 2048)
	case alg == "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case alg == "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case alg == "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// KeyID returns the kid of the fake's signing key, set in every ID token's header.
func (p *Provider) KeyID() string { return p.key.kid }

// SigningAlg returns the algorithm of the fake's ID tokens (Config.SigningAlg).
func (p *Provider) SigningAlg() string { return p.key.alg }

// PublicKey returns the public key that verifies the fake's ID tokens.
func (p *Provider) PublicKey() crypto.PublicKey { return p.key.signer.Public() }

// JWKS returns the fake's key set as a JWKS JSON document (RFC 7517 §5):
// {"keys":[{"kty":..., "use":"sig", "alg":..., "kid":..., ...}]}.
func (p *Provider) JWKS() []byte {
	b, _ := json.Marshal(struct {
		Keys []JWK `json:"keys"`
	}{[]JWK{p.key.jwk}}) // cannot fail: strings only
	return b
}

// sign returns the compact JWS of claims (RFC 7515 §7.1) signed with the fake's key
// through internal/jose. With corrupt, the signature is valid in form but made over
// other bytes, so it does not verify.
func (p *Provider) sign(claims map[string]any, typ string, corrupt bool) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot encode the ID token claims", Err: err}
	}
	opt := jose.SignOptions{KeyID: p.key.kid, Type: typ}
	raw, err := jose.Sign(p.key.signer, p.key.alg, payload, opt)
	if err == nil && corrupt {
		var other string
		if other, err = jose.Sign(p.key.signer, p.key.alg, append(payload, ' '), opt); err == nil {
			raw = raw[:strings.LastIndexByte(raw, '.')] + other[strings.LastIndexByte(other, '.'):]
		}
	}
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot sign the ID token", Err: err}
	}
	return raw, nil
}

// VerifySignature verifies the signature of a raw ID token against the fake's key,
// through internal/jose. It returns ErrInvalidIDToken when the token is not a compact
// JWS, its alg is not the fake's (so "none" and HMAC algorithms are always refused),
// it has a crit header, its kid names another key, or the signature does not verify.
// It checks no claims.
func (p *Provider) VerifySignature(rawIDToken string) error {
	s, err := jose.Parse(rawIDToken, []string{p.key.alg})
	switch {
	case err != nil:
		return verifyError("the ID token is refused: " + strings.TrimPrefix(err.Error(), "jose: "))
	case s.Header.KeyID != "" && s.Header.KeyID != p.key.kid:
		return verifyError("the ID token's kid names no key of the provider")
	}
	if _, err := s.Verify(p.key.signer.Public()); err != nil {
		return verifyError("the ID token's signature does not verify")
	}
	return nil
}

// verifyError is an ErrInvalidIDToken from VerifySignature.
func verifyError(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrInvalidIDToken, Op: "fakeidp: verify ID token", Description: desc}
}
