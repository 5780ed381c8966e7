package httpidp_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

var b64 = base64.RawURLEncoding

// jwk is one key of a test JWKS.
type jwk struct {
	kid string
	pub crypto.PublicKey
	use string
	alg string
}

func jwksJSON(keys ...jwk) []byte {
	var out []map[string]string
	for _, k := range keys {
		m := map[string]string{"kid": k.kid}
		if k.use != "" {
			m["use"] = k.use
		}
		if k.alg != "" {
			m["alg"] = k.alg
		}
		switch pub := k.pub.(type) {
		case *rsa.PublicKey:
			m["kty"], m["n"], m["e"] = "RSA", b64.EncodeToString(pub.N.Bytes()), b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			raw, _ := pub.Bytes() // 0x04 || X || Y
			size := (len(raw) - 1) / 2
			m["kty"], m["crv"], m["x"], m["y"] = "EC", pub.Curve.Params().Name, b64.EncodeToString(raw[1:1+size]), b64.EncodeToString(raw[1+size:])
		}
		out = append(out, m)
	}
	b, _ := json.Marshal(map[string]any{"keys": out})
	return b
}

// signJWT returns a compact JWS of claims with the header's alg and kid, signed by key
// (an *rsa.PrivateKey, *ecdsa.PrivateKey or []byte HMAC secret; nil leaves it unsigned).
func signJWT(t *testing.T, alg, kid string, key any, claims map[string]any) string {
	t.Helper()
	hdr := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		hdr["kid"] = kid
	}
	hb, _ := json.Marshal(hdr)
	cb, _ := json.Marshal(claims)
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		}
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	}
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func idClaims() map[string]any {
	return map[string]any{"iss": "https://issuer", "sub": "user-1", "aud": "client-1", "exp": 4102444800}
}

func TestProvider_VerifyIDTokenSignature_algorithms(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setJWKS(jwksJSON(jwk{kid: "rsa-1", pub: &keys.rsa.PublicKey, use: "sig"}, jwk{kid: "ec-1", pub: &keys.ec.PublicKey}))
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	for _, tok := range []struct{ alg, kid string }{{"RS256", "rsa-1"}, {"PS256", "rsa-1"}, {"ES256", "ec-1"}} {
		var key any = keys.rsa
		if tok.alg == "ES256" {
			key = keys.ec
		}
		raw := signJWT(t, tok.alg, tok.kid, key, idClaims())
		if err := p.VerifyIDTokenSignature(t.Context(), a, raw); err != nil {
			t.Errorf("%s: VerifyIDTokenSignature() = %v; want nil", tok.alg, err)
		}
	}
	if n := f.count("jwks"); n != 1 {
		t.Errorf("got %d JWKS requests; want 1 (cached)", n)
	}
}

func TestProvider_VerifyIDTokenSignature_refused(t *testing.T) {
	keys := testKeys()
	valid := signJWT(t, "RS256", "rsa-1", keys.rsa, idClaims())
	parts := strings.Split(valid, ".")
	tamperedClaims := idClaims()
	tamperedClaims["sub"] = "admin"
	tamperedPayload := strings.Split(signJWT(t, "RS256", "rsa-1", keys.rsa, tamperedClaims), ".")[1]
	critHeader := b64.EncodeToString([]byte(`{"alg":"RS256","kid":"rsa-1","crit":["exp"]}`))
	tests := []struct {
		name string
		raw  string
	}{
		{"alg none", strings.Split(signJWT(t, "none", "rsa-1", nil, idClaims()), ".")[0] + "." + parts[1] + ".c2ln"},
		{"alg none empty signature", strings.Split(signJWT(t, "none", "", nil, idClaims()), ".")[0] + "." + parts[1] + "."},
		{"HS256 with the public modulus as secret", signJWT(t, "HS256", "rsa-1", keys.rsa.PublicKey.N.Bytes(), idClaims())},
		{"RS384", strings.Replace(valid, parts[0], b64.EncodeToString([]byte(`{"alg":"RS384","kid":"rsa-1"}`)), 1)},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2]},
		{"another key with the same kid", signJWT(t, "RS256", "rsa-1", keys.rsa2, idClaims())},
		{"EC key for an RSA alg", signJWT(t, "RS256", "ec-1", keys.rsa, idClaims())},
		{"crit header", critHeader + "." + parts[1] + "." + parts[2]},
		{"two parts", parts[0] + "." + parts[1]},
		{"padded signature", valid + "=="},
		{"header not json", b64.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setJWKS(jwksJSON(jwk{kid: "rsa-1", pub: &keys.rsa.PublicKey}, jwk{kid: "ec-1", pub: &keys.ec.PublicKey}))
			p := newProvider(t, testConfig(newFakeClock()))
			err := p.VerifyIDTokenSignature(t.Context(), f.authority("", domain.AuthorityOIDC), tt.raw)
			wantClass(t, err, domain.ErrInvalidIDToken)
			if strings.Contains(err.Error(), parts[1]) || strings.Contains(err.Error(), parts[2]) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}

func TestProvider_VerifyIDTokenSignature_unknownKidRefetchRateLimited(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setJWKS(jwksJSON(jwk{kid: "old", pub: &keys.rsa.PublicKey}))
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	a := f.authority("", domain.AuthorityOIDC)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "old", keys.rsa, idClaims())); err != nil {
		t.Fatalf("VerifyIDTokenSignature(old) = %v", err)
	}
	// The provider rotates its keys.
	f.setJWKS(jwksJSON(jwk{kid: "new", pub: &keys.rsa2.PublicKey}))
	clock.Advance(2 * time.Minute)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "new", keys.rsa2, idClaims())); err != nil {
		t.Fatalf("VerifyIDTokenSignature(new) = %v; want the unknown kid to refetch the key set", err)
	}
	if n := f.count("jwks"); n != 2 {
		t.Fatalf("got %d JWKS requests; want 2", n)
	}
	for range 3 {
		err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "bogus", keys.rsa, idClaims()))
		wantClass(t, err, domain.ErrInvalidIDToken)
	}
	if n := f.count("jwks"); n != 2 {
		t.Fatalf("got %d JWKS requests after unknown kids within a minute; want 2 (rate-limited)", n)
	}
	clock.Advance(61 * time.Second)
	_ = p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "bogus", keys.rsa, idClaims()))
	if n := f.count("jwks"); n != 3 {
		t.Errorf("got %d JWKS requests a minute later; want 3 (one more refetch)", n)
	}
}

func TestProvider_VerifyIDTokenSignature_jwksTTL(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	f.setJWKS(jwksJSON(jwk{kid: "k", pub: &keys.ec.PublicKey}))
	clock := newFakeClock()
	cfg := testConfig(clock)
	cfg.JWKSTTL = time.Hour
	cfg.MetadataTTL = 48 * time.Hour
	p := newProvider(t, cfg)
	a := f.authority("", domain.AuthorityOIDC)
	raw := signJWT(t, "ES256", "k", keys.ec, idClaims())
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {59 * time.Minute, 1}, {2 * time.Minute, 2}} {
		clock.Advance(step.advance)
		if err := p.VerifyIDTokenSignature(t.Context(), a, raw); err != nil {
			t.Fatalf("VerifyIDTokenSignature() = %v", err)
		}
		if n := f.count("jwks"); n != step.want {
			t.Errorf("after %s: got %d JWKS requests; want %d", step.advance, n, step.want)
		}
	}
}

func TestProvider_VerifyIDTokenSignature_keySelection(t *testing.T) {
	keys := testKeys()
	f := newFakeIdP(t)
	// No kids in the set and none in the token: every key of the right type is tried.
	f.setJWKS(jwksJSON(jwk{pub: &keys.rsa2.PublicKey}, jwk{pub: &keys.rsa.PublicKey}, jwk{pub: &keys.ec.PublicKey, use: "enc"}))
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "", keys.rsa, idClaims())); err != nil {
		t.Errorf("VerifyIDTokenSignature(no kid) = %v; want nil", err)
	}
	err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "ES256", "", keys.ec, idClaims()))
	wantClass(t, err, domain.ErrInvalidIDToken) // the EC key is an encryption key
}

func TestProvider_VerifyIDTokenSignature_keySetProblems(t *testing.T) {
	keys := testKeys()
	small := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 1023), E: 65537}
	tests := []struct {
		name string
		jwks []byte
	}{
		{"not json", []byte("<html>")},
		{"no keys member", []byte(`{"items":[]}`)},
		{"only an encryption key", jwksJSON(jwk{kid: "k", pub: &keys.rsa.PublicKey, use: "enc"})},
		{"rsa key too small", jwksJSON(jwk{kid: "k", pub: small})},
		{"symmetric key", []byte(`{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}`)},
		{"bad ec point", []byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"` + b64.EncodeToString(make([]byte, 32)) + `","y":"` + b64.EncodeToString(make([]byte, 32)) + `"}]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setJWKS(tt.jwks)
			p := newProvider(t, testConfig(newFakeClock()))
			err := p.VerifyIDTokenSignature(t.Context(), f.authority("", domain.AuthorityOIDC), signJWT(t, "RS256", "k", keys.rsa, idClaims()))
			wantClass(t, err, domain.ErrDiscovery)
		})
	}
	t.Run("server error", func(t *testing.T) {
		f := newFakeIdP(t)
		p := newProvider(t, testConfig(newFakeClock()))
		a := f.authority("", domain.AuthorityOIDC)
		if _, err := p.Metadata(t.Context(), a); err != nil {
			t.Fatalf("Metadata() = %v", err)
		}
		f.setRaw(status(503, nil))
		err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "k", keys.rsa, idClaims()))
		wantOnly(t, err, domain.ErrUnavailable) // try again later, not a wrong authority
	})
}
