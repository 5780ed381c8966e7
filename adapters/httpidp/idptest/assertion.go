package idptest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hexauth/hexauth/internal/jose"
)

// assertionSkew is how far a client assertion's exp and nbf may be off the server's clock.
const assertionSkew = time.Minute

// assertionHeader is the JOSE header of a client assertion.
type assertionHeader struct {
	Alg     string `json:"alg"`
	Kid     string `json:"kid"`
	X5T     string `json:"x5t"`
	X5TS256 string `json:"x5t#S256"`
}

// assertionClaims are the claims RFC 7523 §3 requires of a client assertion.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp json.Number     `json:"exp"`
	Nbf json.Number     `json:"nbf"`
	Jti string          `json:"jti"`
}

// assertionSubject returns the sub claim of an unverified assertion, to find its client
// when the request carries no client_id; "" when it cannot be read.
func assertionSubject(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	var c assertionClaims
	if decodeJOSE(parts[1], &c) != nil {
		return ""
	}
	return c.Sub
}

// verifyAssertion verifies a private_key_jwt client assertion (RFC 7523 §3, OIDC Core
// §9): signed by a certificate registered for client c (matched by x5t#S256 or x5t when
// the header names one), iss = sub = client id, aud naming the token endpoint, not
// expired, not used before (jti). Errors say what is wrong, never quote the assertion.
func (s *Server) verifyAssertion(raw string, c Client, tokenEndpoint string) error {
	signed, err := jose.Parse(raw, assertionAlgs)
	if err != nil {
		return errors.New("refused: " + strings.TrimPrefix(err.Error(), "jose: "))
	}
	var h assertionHeader
	if err := decodeJOSE(strings.SplitN(raw, ".", 2)[0], &h); err != nil {
		return errors.New("header: " + err.Error())
	}
	if err := checkThumbprint(h, c.Certificate); err != nil {
		return err
	}
	payload, err := signed.Verify(c.PublicKey)
	if err != nil {
		return errors.New("the signature does not verify with the registered key (alg " + signed.Header.Alg + ")")
	}
	var claims assertionClaims
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		return errors.New("payload: not a JSON object")
	}
	return s.checkAssertionClaims(claims, c.ID, tokenEndpoint)
}

// checkThumbprint checks the certificate thumbprint the header names, x5t#S256 (RFC
// 7515 §4.1.8) or else the SHA-1 x5t that older clients send, against the registered
// certificate. A header naming none, or a client registered with a bare public key,
// passes: the signature check decides.
func checkThumbprint(h assertionHeader, cert *x509.Certificate) error {
	if cert == nil || (h.X5TS256 == "" && h.X5T == "") {
		return nil
	}
	s256 := sha256.Sum256(cert.Raw)
	s1 := sha1.Sum(cert.Raw)
	if h.X5TS256 != "" && h.X5TS256 != base64.RawURLEncoding.EncodeToString(s256[:]) ||
		h.X5TS256 == "" && h.X5T != base64.RawURLEncoding.EncodeToString(s1[:]) {
		return errors.New("the header's certificate thumbprint is not the registered certificate's")
	}
	return nil
}

// assertionAlgs are the client assertion algorithms the server verifies: every one
// internal/jose accepts (never none or HMAC).
var assertionAlgs = jose.Algorithms

// checkAssertionClaims checks iss, sub, aud, exp, nbf and jti.
func (s *Server) checkAssertionClaims(c assertionClaims, clientID, tokenEndpoint string) error {
	if c.Iss != clientID || c.Sub != clientID {
		return errors.New("iss and sub must both be the client id")
	}
	if !audienceContains(c.Aud, tokenEndpoint) {
		return errors.New("aud does not name the token endpoint " + tokenEndpoint)
	}
	now := s.now()
	exp, err := numericDate(c.Exp)
	if err != nil || exp.IsZero() {
		return errors.New("exp is missing or not a number")
	}
	if now.After(exp.Add(assertionSkew)) {
		return errors.New("the assertion expired at " + exp.UTC().Format(time.RFC3339))
	}
	nbf, err := numericDate(c.Nbf)
	if err != nil {
		return errors.New("nbf is not a number")
	}
	if !nbf.IsZero() && now.Add(assertionSkew).Before(nbf) {
		return errors.New("the assertion is not valid before " + nbf.UTC().Format(time.RFC3339))
	}
	if c.Jti != "" && !s.rememberJTI(clientID+"\x00"+c.Jti, exp.Add(assertionSkew), now) {
		return errors.New("the assertion's jti was already used (RFC 7523 §3)")
	}
	return nil
}

// rememberJTI records an assertion id until its expiry; it reports false for one seen
// before. Expired ids are forgotten.
func (s *Server) rememberJTI(id string, until, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.jtis {
		if now.After(t) {
			delete(s.jtis, k)
		}
	}
	if _, seen := s.jtis[id]; seen {
		return false
	}
	s.jtis[id] = until
	return true
}

func audienceContains(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

func numericDate(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, errors.New("not a date")
	}
	return time.Unix(int64(f), 0), nil
}

func decodeJOSE(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("not base64url")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return errors.New("not a JSON object")
	}
	return nil
}
