package httpidp

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
)

const opVerify = "httpidp: verify ID token"

// VerifyIDTokenSignature implements ports.IdentityProvider: it verifies the JWS
// signature of rawIDToken (RFC 7515) with a key from the authority's JWKS, through
// internal/jose (go-jose v4), the one JWS path the fakes share. RS256/384/512,
// PS256/384/512, ES256/384/512, EdDSA and Ed25519 (RFC 9864) are accepted; "none", HMAC and every other
// algorithm are refused, as are headers with "crit" and key ids over 256 bytes, all
// before the key set is fetched; so is an algorithm missing from the discovery
// document's id_token_signing_alg_values_supported, when it has one. The key is chosen
// by kid among keys whose type and own "alg" fit the token's; a kid missing from the
// cached key set triggers one refetch, at most once per Config.JWKSRefetchInterval per
// key set. Claims are not checked here.
func (p *Provider) VerifyIDTokenSignature(ctx context.Context, a domain.Authority, rawIDToken string) error {
	s, err := jose.Parse(rawIDToken, nil)
	if err != nil {
		return invalidToken(refusal(err))
	}
	meta, err := p.Metadata(ctx, a)
	if err != nil {
		return err
	}
	if len(meta.IDTokenSigningAlgs) > 0 && !slices.Contains(meta.IDTokenSigningAlgs, s.Header.Alg) {
		// The provider said how it signs; another algorithm did not come from it.
		return invalidToken("the ID token's algorithm " + quote(s.Header.Alg) + " is not one the provider's discovery document lists")
	}
	keys, err := p.verificationKeys(ctx, meta.JWKSURI, s.Header.KeyID, s.Header.Alg)
	if err != nil {
		return err
	}
	if _, err := s.Verify(keys...); err != nil {
		return invalidToken("the ID token signature does not verify")
	}
	return nil
}

// refusal describes why internal/jose refused a token, naming neither token nor kid.
func refusal(err error) string {
	switch {
	case errors.Is(err, jose.ErrUnsigned):
		return "the ID token is unsigned (alg none)"
	case errors.Is(err, jose.ErrHMAC):
		return "the ID token is signed with an HMAC, which is refused"
	case errors.Is(err, jose.ErrAlgorithm):
		return "the ID token's algorithm is not one of RS256/384/512, PS256/384/512, ES256/384/512, EdDSA or Ed25519"
	case errors.Is(err, jose.ErrCritical):
		return "the ID token header has critical extensions this verifier does not understand"
	case errors.Is(err, jose.ErrKeyID):
		return "the ID token's key id is longer than 256 bytes"
	}
	return "the ID token is not a compact JWS with one signature"
}

// verificationKeys returns the keys to try, refetching the key set once when kid is
// unknown and the rate limit allows it.
func (p *Provider) verificationKeys(ctx context.Context, uri, kid, alg string) ([]crypto.PublicKey, error) {
	ks, err := p.keySet(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	keys := ks.Candidates(kid, alg)
	if len(keys) == 0 && kid != "" {
		now := p.cfg.Clock.Now()
		claimed, outage := p.keys.claimRefetch(uri, now, p.cfg.JWKSRefetchInterval)
		switch {
		case claimed:
			// The kid is provider (or attacker) text: logged as a hash, never raw.
			p.cfg.Logger.Info("httpidp: unknown key id, refetching the key set", "jwks_uri", uri, "kid_sha256", kidHash(kid))
			if ks, err = p.keySet(ctx, uri, true); err != nil {
				p.keys.refetchFailed(uri, now, err)
				return nil, err
			}
			keys = ks.Candidates(kid, alg)
		case outage != nil:
			// The last refetch got no answer: until the next may be sent, the kid is
			// not known absent, and a retry later may verify the token.
			return nil, outage
		}
	}
	if len(keys) == 0 {
		return nil, invalidToken("no key of the provider's key set fits the ID token (alg " + quote(alg) + ", kid hash " + kidHash(kid) + ")")
	}
	return keys, nil
}

// kidHash is a short SHA-256 of a key id, to tell key ids apart in logs and messages
// without echoing text a token's author chose.
func kidHash(kid string) string {
	if kid == "" {
		return "none"
	}
	sum := sha256.Sum256([]byte(kid))
	return hex.EncodeToString(sum[:6])
}

func invalidToken(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrInvalidIDToken, Op: opVerify, Description: desc}
}
