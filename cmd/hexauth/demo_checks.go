package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// What the demo checks for itself, beyond what the engine returns, so that each
// claim of the transcript is one a step verified.

// recordingBrowser is the demo's browser: the user agent, remembering the last
// authorization URL it opened so that the auth-code step can check what it asked for.
type recordingBrowser struct {
	agent *useragent.Agent

	mu   sync.Mutex
	last string
}

// Open implements ports.Browser.
func (b *recordingBrowser) Open(ctx context.Context, authURL string) error {
	b.mu.Lock()
	b.last = authURL
	b.mu.Unlock()
	return b.agent.Open(ctx, authURL)
}

// lastURL returns the last authorization URL opened.
func (b *recordingBrowser) lastURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// checkPKCE checks that the authorization URL authURL carries an S256 code challenge
// (RFC 7636 §4.2-4.3): the unpadded base64url of a SHA-256 digest, 43 characters.
func checkPKCE(authURL string) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return errors.New("the authorization URL does not parse")
	}
	q := u.Query()
	if m := q.Get("code_challenge_method"); m != domain.PKCEMethod {
		return fmt.Errorf("code_challenge_method %q, want %s", m, domain.PKCEMethod)
	}
	if c, err := base64.RawURLEncoding.DecodeString(q.Get("code_challenge")); err != nil || len(c) != sha256.Size {
		return errors.New("the code_challenge is not a base64url SHA-256 digest")
	}
	return nil
}

// cachedRefreshToken returns the refresh token the demo's partition holds for a, read
// as any MSAL reader would, through ExportCache: silent results never expose it. It is
// compared, never printed.
func (d *demo) cachedRefreshToken(ctx context.Context, a app.Account) (domain.Secret, error) {
	var doc bytes.Buffer
	if err := d.pc.ExportCache(ctx, &doc); err != nil {
		return "", err
	}
	snap, err := msalcache.Decode(doc.Bytes())
	if err != nil {
		return "", err
	}
	for _, rt := range snap.RefreshTokens {
		if rt.HomeAccountID == a.HomeAccountID {
			return rt.Secret, nil
		}
	}
	return "", nil
}

// jwk is a public key of a JSON Web Key Set (RFC 7517 §4, RFC 7518 §6).
type jwk struct {
	Kty, Kid, Crv, X, Y, N, E string
}

// verifySignature checks the signature of the compact JWS raw (an ID token) with the
// key of jwks its header names (kid), for ES256 and RS256, the fake provider's
// algorithms (RFC 7515 §5.2, RFC 7518 §3.3-3.4). The demo checks the ID token against
// what the provider publishes itself, apart from the engine that verified it first.
func verifySignature(raw string, jwks []byte) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	var header struct{ Alg, Kid string }
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(h, &header) != nil {
		return errors.New("the JOSE header does not decode")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("the signature does not decode")
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(jwks, &set); err != nil {
		return errors.New("the key set does not decode")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, k := range set.Keys {
		if k.Kid == header.Kid && k.verify(header.Alg, digest[:], sig) {
			return nil
		}
	}
	return fmt.Errorf("no key %q of the provider's key set verifies the %s signature", header.Kid, header.Alg)
}

// verify reports whether sig is k's alg signature of digest.
func (k jwk) verify(alg string, digest, sig []byte) bool {
	dec := base64.RawURLEncoding.DecodeString
	switch {
	case alg == "ES256" && k.Kty == "EC" && k.Crv == "P-256" && len(sig) == 64:
		x, errX := dec(k.X)
		y, errY := dec(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 { // full length, RFC 7518 §6.2.1.2
			return false
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		return err == nil && ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case alg == "RS256" && k.Kty == "RSA":
		n, errN := dec(k.N)
		e, errE := dec(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return false
		}
		exp := new(big.Int).SetBytes(e).Int64()
		if exp < 3 || exp > 1<<31-1 {
			return false
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	}
	return false
}
