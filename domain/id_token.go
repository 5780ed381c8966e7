package domain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultClockSkew is how far an ID token's exp may lie in the past before it is refused.
const DefaultClockSkew = 5 * time.Minute

// JWTHeader is the part of a JOSE header the engine reads.
type JWTHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// IDTokenClaims are the claims of an OpenID Connect ID token (OIDC Core §2) plus the
// Entra claims the engine uses. Raw keeps every claim.
type IDTokenClaims struct {
	Issuer            string
	Subject           string
	Audience          []string
	Expiry            time.Time
	IssuedAt          time.Time
	NotBefore         time.Time
	Nonce             string
	TenantID          string // tid
	ObjectID          string // oid
	PreferredUsername string // preferred_username
	UPN               string // upn
	Email             string // email
	Name              string // name
	Raw               map[string]any
}

// Username returns the claim MSAL uses as the account's username: preferred_username,
// else upn, else email.
func (c IDTokenClaims) Username() string {
	for _, v := range []string{c.PreferredUsername, c.UPN, c.Email} {
		if v != "" {
			return v
		}
	}
	return ""
}

// ParseIDToken decodes a compact JWS ID token without verifying its signature (that is
// the identity provider port's job). It refuses anything that is not three base64url
// parts of JSON, an "alg" of "none" or an empty alg, and a token without iss, sub, aud
// or exp. Errors are ErrInvalidIDToken and never quote the token.
func ParseIDToken(raw string) (JWTHeader, IDTokenClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token is not a compact JWS (%d parts)", len(parts))
	}
	var h JWTHeader
	if err := decodeSegment(parts[0], &h); err != nil {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token header: %v", err)
	}
	if h.Alg == "" || strings.EqualFold(h.Alg, "none") {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token is unsigned (alg %q)", h.Alg)
	}
	if parts[2] == "" {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has an empty signature")
	}
	var m map[string]any
	if err := decodeSegment(parts[1], &m); err != nil {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token payload: %v", err)
	}
	c, err := claimsFromMap(m)
	if err != nil {
		return JWTHeader{}, IDTokenClaims{}, err
	}
	return h, c, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return errString("not base64url")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return errString("not a JSON object")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func claimsFromMap(m map[string]any) (IDTokenClaims, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	c := IDTokenClaims{
		Issuer: str("iss"), Subject: str("sub"), Nonce: str("nonce"), TenantID: str("tid"),
		ObjectID: str("oid"), PreferredUsername: str("preferred_username"), UPN: str("upn"),
		Email: str("email"), Name: str("name"), Raw: m,
	}
	switch aud := m["aud"].(type) {
	case string:
		if aud != "" {
			c.Audience = []string{aud}
		}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token aud holds a non-string")
			}
			if s != "" { // an empty string names no audience, as an empty iss names no issuer
				c.Audience = append(c.Audience, s)
			}
		}
	}
	var err error
	if c.Expiry, err = numericDate(m, "exp"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.IssuedAt, err = numericDate(m, "iat"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.NotBefore, err = numericDate(m, "nbf"); err != nil {
		return IDTokenClaims{}, err
	}
	switch {
	case c.Issuer == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no iss")
	case c.Subject == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no sub")
	case len(c.Audience) == 0:
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no aud")
	case c.Expiry.IsZero():
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no exp")
	}
	return c, nil
}

// numericDate reads a JWT NumericDate (RFC 7519 §2): a JSON number of seconds, or a
// string holding one as some providers send.
func numericDate(m map[string]any, k string) (time.Time, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return time.Time{}, nil
	}
	var s string
	switch n := v.(type) {
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a number", k)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a valid date", k)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// IDTokenExpectations are what an ID token must match.
type IDTokenExpectations struct {
	// Issuer is the expected iss. Entra's multi-tenant template "{tenantid}" is replaced
	// with the token's tid before comparing.
	Issuer string
	// ClientID must be one of the token's audiences.
	ClientID string
	// Nonce, when set, must equal the token's nonce (a nonce was sent).
	Nonce string
	// Subject, when set, must equal the token's sub (a refresh for a known account).
	Subject string
	// Now and Skew decide expiry: the token is refused when Now > exp + Skew.
	Now  time.Time
	Skew time.Duration
}

// Check verifies the claims against e: iss, aud, exp, nonce and sub. It returns
// ErrNonceMismatch for a wrong nonce and ErrInvalidIDToken otherwise.
func (c IDTokenClaims) Check(e IDTokenExpectations) error {
	want := e.Issuer
	if strings.Contains(want, "{tenantid}") {
		if c.TenantID == "" {
			return Errorf(ErrInvalidIDToken, "ID token has no tid to match the issuer template")
		}
		want = strings.ReplaceAll(want, "{tenantid}", c.TenantID)
	}
	if want == "" || c.Issuer != want {
		return Errorf(ErrInvalidIDToken, "ID token issuer %q is not the expected %q", c.Issuer, want)
	}
	if !slices.Contains(c.Audience, e.ClientID) {
		return Errorf(ErrInvalidIDToken, "ID token audience does not contain client %q", e.ClientID)
	}
	skew := e.Skew
	if skew == 0 {
		skew = DefaultClockSkew
	}
	if e.Now.After(c.Expiry.Add(skew)) {
		return Errorf(ErrInvalidIDToken, "ID token expired at %s", c.Expiry.Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && e.Now.Add(skew).Before(c.NotBefore) {
		return Errorf(ErrInvalidIDToken, "ID token is not valid before %s", c.NotBefore.Format(time.RFC3339))
	}
	if e.Nonce != "" && !ConstantTimeEqual(c.Nonce, e.Nonce) {
		return &Error{Class: ErrNonceMismatch, Description: "ID token nonce does not match the one sent"}
	}
	if e.Subject != "" && c.Subject != e.Subject {
		return Errorf(ErrInvalidIDToken, "ID token names a different subject than the cached account")
	}
	return nil
}
