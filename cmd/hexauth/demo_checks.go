package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
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

// verifySignature checks the signature of the compact JWS raw (an ID token) with the
// key of jwks its header names (kid), through internal/jose, the JWS path the engine
// and the fake provider share (any of RS/PS/ES 256-512 or EdDSA). The demo checks the
// ID token against what the provider publishes itself, apart from the engine that
// verified it first.
func verifySignature(raw string, jwks []byte) error {
	s, err := jose.Parse(raw, nil)
	if err != nil {
		return err
	}
	set, err := jose.ParseKeySet(jwks)
	if err != nil {
		return errors.New("the key set does not decode")
	}
	if s.Header.KeyID == "" {
		return errors.New("the ID token names no key (kid)")
	}
	if _, err := s.Verify(set.Candidates(s.Header.KeyID, s.Header.Alg)...); err != nil {
		return fmt.Errorf("no key of the provider's key set with the token's kid verifies the %s signature", s.Header.Alg)
	}
	return nil
}
