package jose_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/internal/jose"
)

// ed25519JWS signs payload as a compact JWS with RFC 9864's alg "Ed25519", as
// node-oidc-provider signs the ID tokens of a client registered with it.
func ed25519JWS(key ed25519.PrivateKey, header, payload string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return input + "." + enc.EncodeToString(ed25519.Sign(key, []byte(input)))
}

// TestParseVerify_Ed25519 is a regression test of the end-to-end suite's finding: an ID
// token signed with alg Ed25519 (RFC 9864, advertised by node-oidc-provider) was refused
// as an unknown algorithm.
func TestParseVerify_Ed25519(t *testing.T) {
	testKeys(t)
	raw := ed25519JWS(edKey, `{"alg":"Ed25519","kid":"ed-1","typ":"JWT"}`, `{"sub":"s"}`)
	s, err := jose.Parse(raw, nil)
	if err != nil {
		t.Fatalf("Parse(Ed25519 JWS) = %v; want nil", err)
	}
	if s.Header.Alg != "Ed25519" || s.Header.KeyID != "ed-1" || s.Header.Type != "JWT" {
		t.Errorf("header = %+v; want Ed25519, ed-1, JWT", s.Header)
	}
	if payload, err := s.Verify(edKey.Public()); err != nil || string(payload) != `{"sub":"s"}` {
		t.Fatalf("Verify() = %q, %v; want the payload, nil", payload, err)
	}
	// Through a key set whose JWK names no alg, as node-oidc-provider publishes it.
	jwk, kid, err := jose.PublicJWK(edKey.Public(), "")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := jose.ParseKeySet([]byte(`{"keys":[` + string(jwk) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ks.Candidates(kid, "Ed25519")...); err != nil {
		t.Errorf("Verify(key set) = %v; want nil", err)
	}
}

func TestParseVerify_Ed25519_refusals(t *testing.T) {
	testKeys(t)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	good := ed25519JWS(edKey, `{"alg":"Ed25519"}`, `{"sub":"s"}`)
	t.Run("another key's signature", func(t *testing.T) {
		s, err := jose.Parse(ed25519JWS(other, `{"alg":"Ed25519"}`, `{"sub":"s"}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(edKey.Public()); !errors.Is(err, jose.ErrSignature) {
			t.Errorf("Verify() = %v; want ErrSignature", err)
		}
	})
	t.Run("payload swapped", func(t *testing.T) {
		evil := ed25519JWS(edKey, `{"alg":"Ed25519"}`, `{"sub":"mallory"}`)
		parts := splitJWS(good)
		evilParts := splitJWS(evil)
		s, err := jose.Parse(parts[0]+"."+evilParts[1]+"."+parts[2], nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(edKey.Public()); !errors.Is(err, jose.ErrSignature) {
			t.Errorf("Verify() = %v; want ErrSignature", err)
		}
	})
	t.Run("not an Ed25519 key", func(t *testing.T) {
		s, err := jose.Parse(good, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(rsaKey.Public(), ecKeys["ES256"].Public()); !errors.Is(err, jose.ErrNoKey) {
			t.Errorf("Verify(RSA, EC) = %v; want ErrNoKey", err)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		if _, err := jose.Parse(good, []string{"EdDSA"}); !errors.Is(err, jose.ErrAlgorithm) {
			t.Errorf("Parse(allowed EdDSA only) = %v; want ErrAlgorithm", err)
		}
	})
	t.Run("short signature", func(t *testing.T) {
		parts := splitJWS(good)
		if _, err := jose.Parse(parts[0]+"."+parts[1]+"."+parts[2][:40], nil); !errors.Is(err, jose.ErrMalformed) {
			t.Errorf("Parse(short signature) = %v; want ErrMalformed", err)
		}
	})
	t.Run("payload not base64url", func(t *testing.T) {
		parts := splitJWS(good)
		if _, err := jose.Parse(parts[0]+".e30=."+parts[2], nil); !errors.Is(err, jose.ErrMalformed) {
			t.Errorf("Parse(padded payload) = %v; want ErrMalformed", err)
		}
	})
}

func splitJWS(raw string) []string { return strings.SplitN(raw, ".", 3) }

// TestCandidates_EdDSAandEd25519 is the gap the previous stop's notes named: a JWK that
// says "alg":"EdDSA" was skipped for a token signed "Ed25519" (and the reverse), though
// both name the same signature over an Ed25519 key. Other algs still must match exactly.
func TestCandidates_EdDSAandEd25519(t *testing.T) {
	testKeys(t)
	for _, tc := range []struct {
		keyAlg, tokenAlg string
		want             int
	}{
		{"EdDSA", "Ed25519", 1},
		{"Ed25519", "EdDSA", 1},
		{"EdDSA", "EdDSA", 1},
		{"RS256", "Ed25519", 0},
		{"EdDSA", "ES256", 0},
	} {
		jwk, kid, err := jose.PublicJWK(edKey.Public(), tc.keyAlg)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := jose.ParseKeySet([]byte(`{"keys":[` + string(jwk) + `]}`))
		if err != nil {
			t.Fatalf("ParseKeySet(alg %s) = %v", tc.keyAlg, err)
		}
		if got := len(ks.Candidates(kid, tc.tokenAlg)); got != tc.want {
			t.Errorf("JWK alg %s, token alg %s: %d candidates; want %d", tc.keyAlg, tc.tokenAlg, got, tc.want)
		}
	}
	// And the signature verifies through the "EdDSA" key.
	raw := ed25519JWS(edKey, `{"alg":"Ed25519","kid":"k"}`, `{"sub":"s"}`)
	s, err := jose.Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwk, kid, _ := jose.PublicJWK(edKey.Public(), "EdDSA")
	ks, _ := jose.ParseKeySet([]byte(`{"keys":[` + string(jwk) + `]}`))
	if _, err := s.Verify(ks.Candidates(kid, "Ed25519")...); err != nil {
		t.Errorf("Verify(EdDSA key, Ed25519 token) = %v; want nil", err)
	}
}
