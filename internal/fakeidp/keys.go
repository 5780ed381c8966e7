package fakeidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/hexauth/hexauth/domain"
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
	Crv string `json:"crv,omitempty"` // EC
	X   string `json:"x,omitempty"`   // EC
	Y   string `json:"y,omitempty"`   // EC
	N   string `json:"n,omitempty"`   // RSA
	E   string `json:"e,omitempty"`   // RSA
}

// newSigningKey returns key, or a new key for alg when key is nil, with its kid: the
// RFC 7638 thumbprint of its public JWK.
func newSigningKey(alg string, key crypto.Signer) (signingKey, error) {
	var err error
	if key == nil {
		switch alg {
		case AlgRS256:
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		default:
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return signingKey{}, &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: signing key", Description: "cannot generate the signing key", Err: err}
		}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	var jwk JWK
	var canonical string // RFC 7638 §3.2: required members in lexicographic order
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		x, y := make([]byte, 32), make([]byte, 32)
		pub, err := k.PublicKey.Bytes() // uncompressed point: 0x04 || X || Y
		if err != nil || len(pub) != 65 {
			return signingKey{}, configError("SigningKey is not a valid P-256 key")
		}
		copy(x, pub[1:33])
		copy(y, pub[33:65])
		jwk = JWK{Kty: "EC", Crv: "P-256", X: b64(x), Y: b64(y)}
		canonical = `{"crv":"P-256","kty":"EC","x":"` + jwk.X + `","y":"` + jwk.Y + `"}`
	case *rsa.PrivateKey:
		jwk = JWK{Kty: "RSA", N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}
		canonical = `{"e":"` + jwk.E + `","kty":"RSA","n":"` + jwk.N + `"}`
	}
	sum := sha256.Sum256([]byte(canonical))
	jwk.Use, jwk.Alg, jwk.Kid = "sig", alg, b64(sum[:])
	return signingKey{alg: alg, kid: jwk.Kid, signer: key, jwk: jwk}, nil
}

// KeyID returns the kid of the fake's signing key, set in every ID token's header.
func (p *Provider) KeyID() string { return p.key.kid }

// SigningAlg returns the algorithm of the fake's ID tokens (AlgES256 or AlgRS256).
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

// sign returns the compact JWS of claims (RFC 7515 §7.1) signed with the fake's key.
// With corrupt, the signature is valid in form but made over other bytes, so it does
// not verify.
func (p *Provider) sign(claims map[string]any, typ string, corrupt bool) (string, error) {
	header, _ := json.Marshal(domain.JWTHeader{Alg: p.key.alg, Kid: p.key.kid, Typ: typ})
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot encode the ID token claims", Err: err}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64(header) + "." + b64(payload)
	signed := input
	if corrupt {
		signed += ".tampered"
	}
	sig, err := p.signBytes([]byte(signed))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// signBytes signs the SHA-256 digest of data: RSASSA-PKCS1-v1_5 for RS256, and for
// ES256 the 64-byte R || S form of RFC 7518 §3.4.
func (p *Provider) signBytes(data []byte) ([]byte, error) {
	digest := sha256.Sum256(data)
	var sig []byte
	var err error
	switch k := p.key.signer.(type) {
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		if r, s, err = ecdsa.Sign(rand.Reader, k, digest[:]); err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		sig, err = p.key.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot sign the ID token", Err: err}
	}
	return sig, nil
}

// VerifySignature verifies the signature of a raw ID token against the fake's key. It
// returns ErrInvalidIDToken when the token is not a compact JWS, its alg is not the
// fake's (so "none" and HMAC algorithms are always refused), its kid names another key,
// or the signature does not verify. It checks no claims.
func (p *Provider) VerifySignature(rawIDToken string) error {
	parts := strings.Split(rawIDToken, ".")
	if len(parts) != 3 {
		return verifyError("the ID token is not a compact JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	var h domain.JWTHeader
	if err != nil || json.Unmarshal(hb, &h) != nil {
		return verifyError("the ID token header is not base64url JSON")
	}
	switch {
	case h.Alg == "" || strings.EqualFold(h.Alg, "none"):
		return verifyError("the ID token is unsigned (alg none)")
	case strings.HasPrefix(strings.ToUpper(h.Alg), "HS"):
		return verifyError("the ID token is signed with an HMAC (" + h.Alg + "), which a provider's public key cannot verify")
	case h.Alg != p.key.alg:
		return verifyError("the ID token's algorithm " + h.Alg + " is not the provider's " + p.key.alg)
	case h.Kid != "" && h.Kid != p.key.kid:
		return verifyError("the ID token's kid names no key of the provider")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return verifyError("the ID token's signature is not base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !verifyDigest(p.key.signer.Public(), digest[:], sig) {
		return verifyError("the ID token's signature does not verify")
	}
	return nil
}

// verifyDigest verifies sig over digest with pub (ES256 R || S, or RS256).
func verifyDigest(pub crypto.PublicKey, digest, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return false
		}
		return ecdsa.Verify(k, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	}
	return false
}

// verifyError is an ErrInvalidIDToken from VerifySignature.
func verifyError(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrInvalidIDToken, Op: "fakeidp: verify ID token", Description: desc}
}
