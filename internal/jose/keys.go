package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/hexauth/hexauth/domain"
)

// MaxKeys bounds the keys kept from one key set: a provider rotates a handful, and a
// hostile one must not make every verification try thousands.
const MaxKeys = 100

// ErrKeySet is a key set document that is not a JWKS.
var ErrKeySet = errors.New("jose: not a JWKS document")

// Key is one public signing key of a key set.
type Key struct {
	KeyID  string
	Alg    string // the JWK's "alg"; empty when it did not say
	Public crypto.PublicKey
}

// KeySet is a parsed JSON Web Key Set (RFC 7517 §5) holding only usable signing keys.
type KeySet struct{ keys []Key }

// ParseKeySet parses a JWKS document with go-jose, keeping the public keys meant for
// signatures ("use" absent or "sig") that some accepted algorithm can use: RSA of
// MinRSABits or more, ECDSA P-256/384/521, Ed25519. Others (encryption, symmetric,
// private, malformed, or a kid over domain.MaxKeyIDLength bytes) are skipped, and at
// most MaxKeys kept.
func ParseKeySet(body []byte) (KeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Keys == nil {
		return KeySet{}, ErrKeySet
	}
	var ks KeySet
	for _, raw := range doc.Keys {
		if len(ks.keys) == MaxKeys {
			break
		}
		var k gojose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil || !k.IsPublic() || (k.Use != "" && k.Use != "sig") ||
			len(k.KeyID) > domain.MaxKeyIDLength || !usable(k.Key) {
			continue
		}
		ks.keys = append(ks.keys, Key{KeyID: k.KeyID, Alg: k.Algorithm, Public: k.Key})
	}
	return ks, nil
}

// usable reports whether some accepted algorithm can verify with pub.
func usable(pub crypto.PublicKey) bool {
	for _, a := range Algorithms {
		if FitsAlg(pub, a) {
			return true
		}
	}
	return false
}

// Len returns the number of usable keys.
func (s KeySet) Len() int { return len(s.keys) }

// Candidates returns the keys that may have made a signature with alg: the keys with
// that kid when kid is set, else every key; either way only keys whose type fits alg
// and whose own "alg", when given, is alg (RFC 7517 §4.4) or names the same signature.
func (s KeySet) Candidates(kid, alg string) []crypto.PublicKey {
	var out []crypto.PublicKey
	for _, k := range s.keys {
		if (kid != "" && k.KeyID != kid) || (k.Alg != "" && !sameSignature(k.Alg, alg)) || !FitsAlg(k.Public, alg) {
			continue
		}
		out = append(out, k.Public)
	}
	return out
}

// sameSignature reports whether a JWK's "alg" keyAlg admits a JWS signed with alg. They
// must be equal, except that the polymorphic "EdDSA" and RFC 9864's fully specified
// "Ed25519" name the same signature over an Ed25519 key (FitsAlg checks the key's
// curve): a provider that still publishes its Ed25519 key as "EdDSA" and signs with the
// new name, or the reverse, during the migration RFC 9864 asks for, keeps verifying.
func sameSignature(keyAlg, alg string) bool {
	if keyAlg == alg {
		return true
	}
	ed := func(a string) bool { return a == "EdDSA" || a == AlgEd25519 }
	return ed(keyAlg) && ed(alg)
}

// PublicJWK returns the public JWK of pub for a key set: "use" sig, the given alg, and
// as kid its RFC 7638 thumbprint (SHA-256, base64url).
func PublicJWK(pub crypto.PublicKey, alg string) (json.RawMessage, string, error) {
	k := gojose.JSONWebKey{Key: pub, Use: "sig", Algorithm: alg}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", err
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	b, err := k.MarshalJSON()
	return b, k.KeyID, err
}

// DefaultAlg returns the algorithm a key signs with by default: rsaAlg (RS256 when
// empty) for RSA, the curve's ES* for ECDSA, EdDSA for Ed25519.
func DefaultAlg(pub crypto.PublicKey, rsaAlg string) (string, error) {
	alg := ""
	switch k := pub.(type) {
	case *rsa.PublicKey:
		alg = rsaAlg
		if alg == "" {
			alg = "RS256"
		}
	case *ecdsa.PublicKey:
		alg = map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
	case ed25519.PublicKey:
		alg = "EdDSA"
	}
	if alg == "" || !FitsAlg(pub, alg) {
		return "", ErrNoKey
	}
	return alg, nil
}

// CertificateThumbprint returns the x5t#S256 of a DER certificate (RFC 7515 §4.1.8).
func CertificateThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
