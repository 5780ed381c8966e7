package httpidp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

const opVerify = "httpidp: verify ID token"

// joseHeader is the part of an ID token's JOSE header verification reads.
type joseHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// VerifyIDTokenSignature implements ports.IdentityProvider: it verifies the JWS
// signature of rawIDToken (RFC 7515) with a key from the authority's JWKS. RS256,
// PS256 and ES256 are accepted; "none", HMAC and every other algorithm are refused, as
// are headers with "crit". The key is chosen by kid (among keys whose type fits the
// algorithm); a kid missing from the cached key set triggers one refetch, at most once
// per Config.JWKSRefetchInterval per key set. Claims are not checked here.
func (p *Provider) VerifyIDTokenSignature(ctx context.Context, a domain.Authority, rawIDToken string) error {
	parts := strings.Split(rawIDToken, ".")
	if len(parts) != 3 {
		return invalidToken("the ID token is not a compact JWS")
	}
	var h joseHeader
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &h) != nil {
		return invalidToken("the ID token header is not base64url JSON")
	}
	switch {
	case h.Alg == "" || strings.EqualFold(h.Alg, "none"):
		return invalidToken("the ID token is unsigned (alg none)")
	case strings.HasPrefix(strings.ToUpper(h.Alg), "HS"):
		return invalidToken("the ID token is signed with an HMAC (" + quote(h.Alg) + "), which is refused")
	case h.Alg != algRS256 && h.Alg != algPS256 && h.Alg != algES256:
		return invalidToken("the ID token's algorithm " + quote(h.Alg) + " is not RS256, PS256 or ES256")
	case len(h.Crit) > 0:
		return invalidToken("the ID token header has critical extensions this verifier does not understand")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return invalidToken("the ID token signature is missing or not base64url")
	}
	meta, err := p.Metadata(ctx, a)
	if err != nil {
		return err
	}
	keys, err := p.verificationKeys(ctx, meta.JWKSURI, h.Kid, h.Alg)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, k := range keys {
		if verifySignature(h.Alg, k.pub, digest[:], sig) {
			return nil
		}
	}
	return invalidToken("the ID token signature does not verify")
}

// verificationKeys returns the keys to try, refetching the key set once when kid is
// unknown and the rate limit allows it.
func (p *Provider) verificationKeys(ctx context.Context, uri, kid, alg string) ([]publicKey, error) {
	ks, err := p.keySet(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	keys := ks.candidates(kid, alg)
	if len(keys) == 0 && kid != "" && p.keys.claimRefetch(uri, p.cfg.Clock.Now(), p.cfg.JWKSRefetchInterval) {
		p.cfg.Logger.Info("httpidp: unknown key id, refetching the key set", "jwks_uri", uri, "kid", kid)
		if ks, err = p.keySet(ctx, uri, true); err != nil {
			return nil, err
		}
		keys = ks.candidates(kid, alg)
	}
	if len(keys) == 0 {
		return nil, invalidToken("no key of the provider's key set fits the ID token (kid " + quote(kid) + ", alg " + quote(alg) + ")")
	}
	return keys, nil
}

// verifySignature checks a JWS signature over digest (SHA-256 of the signing input).
func verifySignature(alg string, pub crypto.PublicKey, digest, sig []byte) bool {
	switch key := pub.(type) {
	case *rsa.PublicKey:
		switch alg {
		case algRS256:
			return rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, sig) == nil
		case algPS256:
			// RFC 7518 §3.5 signs with a hash-sized salt; verification accepts any salt
			// length, as go-jose does, for interoperability.
			return rsa.VerifyPSS(key, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		}
	case *ecdsa.PublicKey:
		if alg != algES256 || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(key, digest, r, s)
	}
	return false
}

func invalidToken(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrInvalidIDToken, Op: opVerify, Description: desc}
}
