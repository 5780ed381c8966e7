package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/hexauth/hexauth/domain"
)

// Algorithms are the JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) hexauth signs and
// verifies with.
var Algorithms = []string{
	string(gojose.RS256), string(gojose.RS384), string(gojose.RS512),
	string(gojose.PS256), string(gojose.PS384), string(gojose.PS512),
	string(gojose.ES256), string(gojose.ES384), string(gojose.ES512),
	string(gojose.EdDSA),
}

// AlgEd25519 is RFC 9864's fully-specified name for EdDSA with Ed25519, which deprecates
// the polymorphic "EdDSA" for new registrations; node-oidc-provider, for one, signs ID
// tokens with it for a client registered so. go-jose v4 knows only "EdDSA", so tokens
// with this alg are verified here with crypto/ed25519 (RFC 8037 §3.1: the signature is
// Ed25519 over the JWS signing input). Verified, never signed: it is not in Algorithms.
const AlgEd25519 = "Ed25519"

// MinRSABits is the smallest RSA modulus used to sign or verify.
const MinRSABits = 2048

// Reasons a JWS is refused. Messages never quote the token or its kid.
var (
	ErrMalformed = errors.New("jose: not a compact JWS with one signature")
	ErrUnsigned  = errors.New("jose: the JWS is unsigned (alg none)")
	ErrHMAC      = errors.New("jose: the JWS is MAC'd (HS*), not signed")
	ErrAlgorithm = errors.New("jose: the JWS algorithm is not accepted")
	ErrCritical  = errors.New("jose: the JWS header has critical extensions (crit), which are not understood")
	ErrKeyID     = errors.New("jose: the JWS key id is too long")
	ErrNoKey     = errors.New("jose: no key fits the JWS")
	ErrSignature = errors.New("jose: the JWS signature does not verify")
)

// Header is what verification reads of a JWS's protected header.
type Header struct {
	Alg   string
	KeyID string
	Type  string
}

// Signed is a parsed compact JWS whose signature is not yet verified.
type Signed struct {
	Header Header
	jws    *gojose.JSONWebSignature
	ed     *edJWS // set instead of jws for AlgEd25519
}

// edJWS is a compact JWS with alg Ed25519, split for crypto/ed25519.
type edJWS struct {
	input, sig, payload []byte
}

// Parse parses a compact JWS (RFC 7515 §7.1) whose alg is one of allowed intersected
// with Algorithms plus AlgEd25519 (nil allowed means all of them). It refuses before any
// key is looked up: "none", HS*, another alg, a crit header (RFC 7515 §4.1.11: this
// verifier understands no extension, not even RFC 7797's b64), a kid over
// domain.MaxKeyIDLength bytes, and anything but exactly one signature.
func Parse(raw string, allowed []string) (*Signed, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || parts[2] == "" {
		return nil, ErrMalformed
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, ErrMalformed
	}
	var h struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Typ  string          `json:"typ"`
		Crit json.RawMessage `json:"crit"`
	}
	if json.Unmarshal(hb, &h) != nil {
		return nil, ErrMalformed
	}
	switch {
	case h.Alg == "" || strings.EqualFold(h.Alg, "none"):
		return nil, ErrUnsigned
	case len(h.Alg) >= 2 && strings.EqualFold(h.Alg[:2], "HS"):
		return nil, ErrHMAC
	case len(h.Crit) > 0:
		return nil, ErrCritical
	case len(h.Kid) > domain.MaxKeyIDLength:
		return nil, ErrKeyID
	}
	if h.Alg == AlgEd25519 && (allowed == nil || slices.Contains(allowed, AlgEd25519)) {
		return parseEd25519(parts, Header{Alg: h.Alg, KeyID: h.Kid, Type: h.Typ})
	}
	algs := accepted(allowed)
	if !slices.Contains(algs, gojose.SignatureAlgorithm(h.Alg)) {
		return nil, ErrAlgorithm
	}
	jws, err := gojose.ParseSignedCompact(raw, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, ErrMalformed
	}
	sh := jws.Signatures[0].Protected
	typ, _ := sh.ExtraHeaders[gojose.HeaderType].(string)
	return &Signed{Header: Header{Alg: sh.Algorithm, KeyID: sh.KeyID, Type: typ}, jws: jws}, nil
}

// parseEd25519 splits a compact JWS with alg Ed25519: its payload base64url without
// padding like the header, its signature exactly ed25519.SignatureSize bytes.
func parseEd25519(parts []string, h Header) (*Signed, error) {
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, ErrMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, ErrMalformed
	}
	return &Signed{Header: h, ed: &edJWS{input: []byte(parts[0] + "." + parts[1]), sig: sig, payload: payload}}, nil
}

// accepted returns allowed ∩ Algorithms, or Algorithms when allowed is nil.
func accepted(allowed []string) []gojose.SignatureAlgorithm {
	var out []gojose.SignatureAlgorithm
	for _, a := range Algorithms {
		if allowed == nil || slices.Contains(allowed, a) {
			out = append(out, gojose.SignatureAlgorithm(a))
		}
	}
	return out
}

// Verify checks the signature with the first of keys that verifies it and returns the
// payload. A key verifies only an alg its type fits (FitsAlg).
func (s *Signed) Verify(keys ...crypto.PublicKey) ([]byte, error) {
	tried := false
	for _, k := range keys {
		if !FitsAlg(k, s.Header.Alg) {
			continue
		}
		tried = true
		if s.ed != nil {
			if ed25519.Verify(k.(ed25519.PublicKey), s.ed.input, s.ed.sig) {
				return s.ed.payload, nil
			}
			continue
		}
		if payload, err := s.jws.Verify(k); err == nil {
			return payload, nil
		}
	}
	if !tried {
		return nil, ErrNoKey
	}
	return nil, ErrSignature
}

// FitsAlg reports whether pub can verify alg: RSA of MinRSABits or more for RS* and
// PS*, ECDSA on the curve the ES* names, Ed25519 for EdDSA and AlgEd25519.
func FitsAlg(pub crypto.PublicKey, alg string) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen() >= MinRSABits && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) &&
			slices.Contains(Algorithms, alg)
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return (alg == "EdDSA" || alg == AlgEd25519) && len(k) == ed25519.PublicKeySize
	}
	return false
}
