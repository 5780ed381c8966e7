package jose_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/internal/jose"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKeys   map[string]*ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048)
		rsaKey2, _ = rsa.GenerateKey(rand.Reader, 2048)
		ecKeys = map[string]*ecdsa.PrivateKey{}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			ecKeys[alg], _ = ecdsa.GenerateKey(c, rand.Reader)
		}
		_, edKey, _ = ed25519.GenerateKey(rand.Reader)
	})
}

// signerFor returns the test key that signs with alg.
func signerFor(t testing.TB, alg string) crypto.Signer {
	testKeys(t)
	switch {
	case strings.HasPrefix(alg, "ES"):
		return ecKeys[alg]
	case alg == "EdDSA":
		return edKey
	}
	return rsaKey
}

func TestSignParseVerify_everyAlgorithm(t *testing.T) {
	for _, alg := range jose.Algorithms {
		t.Run(alg, func(t *testing.T) {
			key := signerFor(t, alg)
			raw, err := jose.Sign(key, alg, []byte(`{"sub":"s"}`), jose.SignOptions{KeyID: "k1", Type: "JWT"})
			if err != nil {
				t.Fatalf("Sign(%s) = %v", alg, err)
			}
			s, err := jose.Parse(raw, nil)
			if err != nil {
				t.Fatalf("Parse() = %v; want nil", err)
			}
			if s.Header.Alg != alg || s.Header.KeyID != "k1" || s.Header.Type != "JWT" {
				t.Errorf("header = %+v; want %s, k1, JWT", s.Header, alg)
			}
			payload, err := s.Verify(key.Public())
			if err != nil || string(payload) != `{"sub":"s"}` {
				t.Fatalf("Verify() = %q, %v; want the payload, nil", payload, err)
			}
			// Through a key set, as the adapter verifies.
			jwk, kid, err := jose.PublicJWK(key.Public(), alg)
			if err != nil {
				t.Fatal(err)
			}
			ks, err := jose.ParseKeySet([]byte(`{"keys":[` + string(jwk) + `]}`))
			if err != nil || ks.Len() != 1 {
				t.Fatalf("ParseKeySet() = %d keys, %v; want 1", ks.Len(), err)
			}
			if c := ks.Candidates(kid, alg); len(c) != 1 {
				t.Fatalf("Candidates(kid, %s) = %d keys; want 1", alg, len(c))
			}
			if _, err := s.Verify(ks.Candidates(kid, alg)...); err != nil {
				t.Errorf("Verify(key set) = %v; want nil", err)
			}
		})
	}
}

func TestSign_algorithmMustFitKey(t *testing.T) {
	testKeys(t)
	for _, tt := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", rsaKey}, {"RS256", ecKeys["ES256"]}, {"ES384", ecKeys["ES256"]}, {"EdDSA", rsaKey}, {"HS256", rsaKey}, {"none", rsaKey}} {
		if _, err := jose.Sign(tt.key, tt.alg, []byte(`{}`), jose.SignOptions{}); err == nil {
			t.Errorf("Sign(%T, %s) = nil error; want refused", tt.key, tt.alg)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hs256 returns a token MAC'd with secret, as an attacker would with a public key.
func hs256(header string, secret []byte) string {
	in := b64(header) + "." + b64(`{"sub":"s"}`)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// resign replaces the header of a signed token and signs again with key.
func withHeader(t *testing.T, header map[string]any, key crypto.Signer) string {
	t.Helper()
	alg := header["alg"].(string)
	hb, _ := json.Marshal(header)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + b64(`{"sub":"s"}`)
	h := sha256.Sum256([]byte(in))
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil || alg != "RS256" {
		t.Fatalf("withHeader: %v", err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestParse_refused(t *testing.T) {
	testKeys(t)
	pubDER, _ := json.Marshal(rsaKey.Public())
	good, _ := jose.Sign(rsaKey, "RS256", []byte(`{"sub":"s"}`), jose.SignOptions{})
	parts := strings.Split(good, ".")
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"alg none", b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".", jose.ErrMalformed},
		{"alg none with a signature", b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".c2ln", jose.ErrUnsigned},
		{"alg absent", b64(`{"typ":"JWT"}`) + "." + b64(`{}`) + ".c2ln", jose.ErrUnsigned},
		{"HS256 keyed with the public key", hs256(`{"alg":"HS256"}`, pubDER), jose.ErrHMAC},
		{"hs512", hs256(`{"alg":"hs512"}`, pubDER), jose.ErrHMAC},
		{"unknown alg", b64(`{"alg":"RS1024"}`) + "." + b64(`{}`) + ".c2ln", jose.ErrAlgorithm},
		{"ES256K", b64(`{"alg":"ES256K"}`) + "." + b64(`{}`) + ".c2ln", jose.ErrAlgorithm},
		{"crit", withHeader(t, map[string]any{"alg": "RS256", "crit": []string{"exp"}, "exp": 1}, rsaKey), jose.ErrCritical},
		{"crit b64", withHeader(t, map[string]any{"alg": "RS256", "crit": []string{"b64"}, "b64": true}, rsaKey), jose.ErrCritical},
		{"kid over 256 bytes", withHeader(t, map[string]any{"alg": "RS256", "kid": strings.Repeat("k", 257)}, rsaKey), jose.ErrKeyID},
		{"two parts", parts[0] + "." + parts[1], jose.ErrMalformed},
		{"four parts", good + ".x", jose.ErrMalformed},
		{"empty signature", parts[0] + "." + parts[1] + ".", jose.ErrMalformed},
		{"header not JSON", b64(`nope`) + "." + parts[1] + "." + parts[2], jose.ErrMalformed},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, jose.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jose.Parse(tt.raw, nil); !errors.Is(err, tt.want) {
				t.Errorf("Parse() = %v; want %v", err, tt.want)
			}
		})
	}
	// A kid of exactly the bound is fine.
	if _, err := jose.Parse(withHeader(t, map[string]any{"alg": "RS256", "kid": strings.Repeat("k", 256)}, rsaKey), nil); err != nil {
		t.Errorf("Parse(kid of 256 bytes) = %v; want nil", err)
	}
}

func TestParse_allowedNarrowsAlgorithms(t *testing.T) {
	testKeys(t)
	raw, _ := jose.Sign(rsaKey, "PS384", []byte(`{}`), jose.SignOptions{})
	if _, err := jose.Parse(raw, []string{"RS256", "ES256"}); !errors.Is(err, jose.ErrAlgorithm) {
		t.Errorf("Parse(PS384, allowed RS256 ES256) = %v; want ErrAlgorithm", err)
	}
	// An allowed list cannot widen the set: HS256 stays refused.
	if _, err := jose.Parse(hs256(`{"alg":"HS256"}`, []byte("k")), []string{"HS256"}); err == nil {
		t.Error("Parse(HS256, allowed HS256) = nil; want refused")
	}
	if _, err := jose.Parse(raw, []string{"PS384"}); err != nil {
		t.Errorf("Parse(PS384, allowed PS384) = %v; want nil", err)
	}
}

func TestVerify_wrongKeyOrTamperedRefused(t *testing.T) {
	testKeys(t)
	raw, _ := jose.Sign(rsaKey, "RS256", []byte(`{"sub":"s"}`), jose.SignOptions{})
	s, _ := jose.Parse(raw, nil)
	if _, err := s.Verify(rsaKey2.Public()); !errors.Is(err, jose.ErrSignature) {
		t.Errorf("Verify(other RSA key) = %v; want ErrSignature", err)
	}
	if _, err := s.Verify(ecKeys["ES256"].Public()); !errors.Is(err, jose.ErrNoKey) {
		t.Errorf("Verify(EC key for RS256) = %v; want ErrNoKey", err)
	}
	if _, err := s.Verify(); !errors.Is(err, jose.ErrNoKey) {
		t.Errorf("Verify() = %v; want ErrNoKey", err)
	}
	parts := strings.Split(raw, ".")
	tampered := parts[0] + "." + b64(`{"sub":"mallory"}`) + "." + parts[2]
	ts, err := jose.Parse(tampered, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Verify(rsaKey.Public()); !errors.Is(err, jose.ErrSignature) {
		t.Errorf("Verify(tampered payload) = %v; want ErrSignature", err)
	}
	// An ES256 signature is not accepted under an ES384 header.
	es, _ := jose.Sign(ecKeys["ES256"], "ES256", []byte(`{}`), jose.SignOptions{})
	ep := strings.Split(es, ".")
	re := b64(`{"alg":"ES384"}`) + "." + ep[1] + "." + ep[2]
	if rs, err := jose.Parse(re, nil); err == nil {
		if _, err := rs.Verify(ecKeys["ES256"].Public()); err == nil {
			t.Error("Verify(ES256 key under an ES384 header) = nil; want refused")
		}
	}
}

func TestFitsAlg_smallRSAKeyRefused(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Skip("this Go refuses 1024-bit RSA keys:", err)
	}
	if jose.FitsAlg(small.Public(), "RS256") {
		t.Error("FitsAlg(1024-bit RSA, RS256) = true; want false")
	}
}

func TestKeySet_picksByKidAndAlg(t *testing.T) {
	testKeys(t)
	j1, kid1, _ := jose.PublicJWK(rsaKey.Public(), "RS256")
	j2, kid2, _ := jose.PublicJWK(rsaKey2.Public(), "RS256")
	j3, kid3, _ := jose.PublicJWK(ecKeys["ES256"].Public(), "ES256")
	enc := `{"kty":"RSA","use":"enc","kid":"enc","n":"` + base64.RawURLEncoding.EncodeToString(rsaKey.N.Bytes()) + `","e":"AQAB"}`
	oct := `{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`
	junk := `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`
	body := `{"keys":[` + strings.Join([]string{string(j1), enc, oct, junk, string(j2), string(j3)}, ",") + `]}`
	ks, err := jose.ParseKeySet([]byte(body))
	if err != nil || ks.Len() != 3 {
		t.Fatalf("ParseKeySet() = %d keys, %v; want the 3 usable signing keys", ks.Len(), err)
	}
	raw, _ := jose.Sign(rsaKey2, "RS256", []byte(`{}`), jose.SignOptions{KeyID: kid2})
	s, _ := jose.Parse(raw, nil)
	c := ks.Candidates(s.Header.KeyID, s.Header.Alg)
	if len(c) != 1 {
		t.Fatalf("Candidates(kid2) = %d keys; want 1", len(c))
	}
	if _, err := s.Verify(c...); err != nil {
		t.Errorf("Verify(key picked by kid) = %v; want nil", err)
	}
	if c := ks.Candidates(kid1, "RS256"); len(c) != 1 {
		t.Errorf("Candidates(kid1) = %d; want 1", len(c))
	}
	if _, err := s.Verify(ks.Candidates(kid1, "RS256")...); !errors.Is(err, jose.ErrSignature) {
		t.Errorf("Verify(another kid's key) = %v; want ErrSignature (kid mismatch)", err)
	}
	if c := ks.Candidates(kid3, "RS256"); len(c) != 0 {
		t.Errorf("Candidates(EC kid, RS256) = %d keys; want none", len(c))
	}
	if c := ks.Candidates(kid1, "PS256"); len(c) != 0 {
		t.Errorf("Candidates(kid1 whose alg is RS256, PS256) = %d keys; want none (the JWK's alg binds)", len(c))
	}
	if c := ks.Candidates("", "RS256"); len(c) != 2 {
		t.Errorf("Candidates(no kid, RS256) = %d keys; want both RSA keys", len(c))
	}
	if c := ks.Candidates("hmac", "HS256"); len(c) != 0 {
		t.Errorf("Candidates(hmac) = %d; want none", len(c))
	}
}

func TestParseKeySet_notJWKS(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"keys":{}}`, `{}`, `<html>`} {
		if _, err := jose.ParseKeySet([]byte(body)); !errors.Is(err, jose.ErrKeySet) {
			t.Errorf("ParseKeySet(%q) = %v; want ErrKeySet", body, err)
		}
	}
}

func TestParseKeySet_bounded(t *testing.T) {
	testKeys(t)
	j, _, _ := jose.PublicJWK(ecKeys["ES256"].Public(), "ES256")
	many := make([]string, jose.MaxKeys+20)
	for i := range many {
		many[i] = string(j)
	}
	ks, _ := jose.ParseKeySet([]byte(`{"keys":[` + strings.Join(many, ",") + `]}`))
	if ks.Len() != jose.MaxKeys {
		t.Errorf("ParseKeySet(%d keys) kept %d; want %d", len(many), ks.Len(), jose.MaxKeys)
	}
}

// badSigner returns an ECDSA signature whose R is too long for P-256.
type badSigner struct{ *ecdsa.PrivateKey }

func (b badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00}, nil // S = 0
}

func TestSign_malformedECDSASignerRefused(t *testing.T) {
	testKeys(t)
	_, err := jose.Sign(badSigner{ecKeys["ES256"]}, "ES256", []byte(`{}`), jose.SignOptions{})
	if err == nil {
		t.Error("Sign(bad signer) = nil error; want refused")
	}
}

// RFC 7518 §3.5: RSASSA-PSS signatures use a salt as long as the hash's output.
func TestSign_pssSaltIsHashSized(t *testing.T) {
	testKeys(t)
	for alg, h := range map[string]crypto.Hash{"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512} {
		raw, err := jose.Sign(rsaKey, alg, []byte(`{}`), jose.SignOptions{})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(raw, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		d := h.New()
		d.Write([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPSS(&rsaKey.PublicKey, h, d.Sum(nil), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			t.Errorf("%s: VerifyPSS(salt = hash size) = %v; want nil", alg, err)
		}
	}
}
