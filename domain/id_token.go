package domain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
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
	// Crit lists header extensions the signer says must be understood (RFC 7515
	// §4.1.11). hexauth understands none, so a token with crit is refused.
	Crit json.RawMessage `json:"crit,omitempty"`
}

// MaxKeyIDLength bounds a JOSE "kid": key ids are short names or thumbprints, and an
// unbounded one would reach key-set look-ups, refetch decisions and messages.
const MaxKeyIDLength = 256

// IDTokenClaims are the claims of an OpenID Connect ID token (OIDC Core §2) plus the
// Entra claims the engine uses, as typed fields; every claim, those included, is read
// with Claim or RawClaims (id_token_claims.go). The full set of claims is read-only
// data shared by every copy of the struct — a silent cache hit hands out the cached
// token's claims without copying them — so it is reachable only through accessors
// that return copies. Build claims with ParseIDToken or NewIDTokenClaims.
type IDTokenClaims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    time.Time
	IssuedAt  time.Time
	NotBefore time.Time
	// AuthTime is auth_time, when the user authenticated (OIDC Core §2); zero when the
	// token does not say. It is required when the request sent max_age.
	AuthTime          time.Time
	Nonce             string
	AuthorizedParty   string // azp: the client the token was issued to (OIDC Core §2)
	TenantID          string // tid
	ObjectID          string // oid
	PreferredUsername string // preferred_username
	UPN               string // upn
	Email             string // email
	Name              string // name
	// lazy holds every claim as decoded from JSON (strings, json.Number, bools, nils,
	// []any, map[string]any), decoded on first use. Nothing writes to the claims after
	// that and nothing hands them out: Claim and RawClaims copy what they return.
	lazy *lazyClaims
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
// parts of JSON, an "alg" of "none", an empty alg or an HMAC alg, a "typ" of an access
// token, and a token without iss, sub, aud or exp. Errors are ErrInvalidIDToken and
// never quote the token.
func ParseIDToken(raw string) (JWTHeader, IDTokenClaims, error) {
	if n := strings.Count(raw, ".") + 1; n != 3 {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token is not a compact JWS (%d parts)", n)
	}
	var parts [3]string
	parts[0], parts[2], _ = strings.Cut(raw, ".")
	parts[1], parts[2], _ = strings.Cut(parts[2], ".")
	h, err := decodeHeader(parts[0])
	if err != nil {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token header: %v", err)
	}
	if h.Alg == "" || strings.EqualFold(h.Alg, "none") {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token is unsigned (alg %q)", h.Alg)
	}
	if isHMACAlg(h.Alg) {
		// A MAC keyed with the client secret proves nothing to a public client, and an
		// HS* token verified with a public key as the secret is a classic forgery.
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token is MAC'd, not signed (alg %q)", h.Alg)
	}
	if len(h.Crit) > 0 {
		// RFC 7515 §4.1.11: a recipient that does not understand a listed extension
		// must reject the JWS; this engine understands none.
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token header has critical extensions (crit), which are not supported")
	}
	if len(h.Kid) > MaxKeyIDLength {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token key id is %d bytes long; the limit is %d", len(h.Kid), MaxKeyIDLength)
	}
	if isAccessTokenType(h.Typ) {
		// RFC 9068 §4: a JWT access token is typed so that it cannot pass for an ID token.
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "token is a JWT access token (typ %q), not an ID token", h.Typ)
	}
	if parts[2] == "" {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has an empty signature")
	}
	seg := strings.TrimRight(parts[1], "=")
	payload, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token payload: %v", errString("not base64url"))
	}
	c, err := claimsFromPayload(payload)
	if err == errNotJSONObject {
		return JWTHeader{}, IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token payload: %v", err)
	}
	if err != nil {
		return JWTHeader{}, IDTokenClaims{}, err
	}
	// The full set of claims is decoded from the token's own text when first asked for:
	// a hit that reads only the typed fields never builds it.
	c.lazy = &lazyClaims{payload: seg, b64: true}
	return h, c, nil
}

// isHMACAlg reports whether alg is one of JWA's HMAC algorithms (RFC 7518 §3.2).
func isHMACAlg(alg string) bool {
	return len(alg) >= 2 && strings.EqualFold(alg[:2], "HS")
}

// isAccessTokenType reports whether a JOSE typ names a JWT access token (RFC 9068 §2.1):
// "at+jwt", or its media type "application/at+jwt" (RFC 7515 §4.1.9), in any case.
func isAccessTokenType(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	return t == "at+jwt" || t == "application/at+jwt"
}

// decodeHeader decodes a JOSE header segment: base64url, then JSON into a JWTHeader.
// A plain header (its keys ASCII without escapes, none a case variant of a field's
// name) is read by the payload's reader: a silent hit's miss parses every header, and
// json.Decoder cost a third of the parse. Any other goes through json.Decoder.
func decodeHeader(seg string) (JWTHeader, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return JWTHeader{}, errString("not base64url")
	}
	if h, ok := plainHeader(b); ok {
		return h, nil
	}
	var h JWTHeader
	if err := decodeJSONObject(b, &h); err != nil {
		return JWTHeader{}, errString("not a JSON object")
	}
	return h, nil
}

// plainHeader reads b as decoding it into a JWTHeader does, when b is a valid JSON
// object whose keys are ASCII without escapes, none matching a field's name but in
// case (encoding/json matches those, a map reading would not), and whose alg, kid and
// typ are strings or null; ok is false for any other b.
func plainHeader(b []byte) (h JWTHeader, ok bool) {
	start := skipJSONSpace(b, 0)
	if start >= len(b) || b[start] != '{' {
		return JWTHeader{}, false
	}
	if _, valid := validJSONValue(b, start); !valid {
		return JWTHeader{}, false
	}
	i := skipJSONSpace(b, start+1)
	for b[i] != '}' {
		kEnd := skipJSONString(b, i)
		key := b[i:kEnd]
		i = skipJSONSpace(b, skipJSONSpace(b, kEnd)+1)
		vEnd := skipJSONValue(b, i)
		v := b[i:vEnd]
		if !plainJSONString(key) {
			return JWTHeader{}, false
		}
		var field *string
		switch k := string(key[1 : len(key)-1]); k {
		case "alg":
			field = &h.Alg
		case "kid":
			field = &h.Kid
		case "typ":
			field = &h.Typ
		case "crit":
			h.Crit = json.RawMessage(bytes.Clone(v))
		default:
			if strings.EqualFold(k, "alg") || strings.EqualFold(k, "kid") || strings.EqualFold(k, "typ") || strings.EqualFold(k, "crit") {
				return JWTHeader{}, false
			}
		}
		if field != nil {
			switch v[0] {
			case '"':
				*field = jsonStringValue(v)
			case 'n': // null leaves a field as it is
			default:
				return JWTHeader{}, false // not a string: encoding/json refuses it
			}
		}
		i = skipJSONSpace(b, vEnd)
		if b[i] == ',' {
			i = skipJSONSpace(b, i+1)
		}
	}
	return h, true
}

type errString string

func (e errString) Error() string { return string(e) }

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
	// Previous, when set, is the cached ID token of the same account and tenant that a
	// refresh response's ID token must continue (OIDC Core §12.2): the same iss, sub,
	// aud (as a set) and azp, and no nonce unless it is the cached one.
	Previous *IDTokenClaims
	// MaxAge, when set, is the max_age the authorization request sent (OIDC Core
	// §3.1.2.1): the token must carry auth_time, no older than MaxAge (plus Skew).
	MaxAge *time.Duration
	// Now and Skew decide expiry: the token is refused when Now > exp + Skew.
	Now  time.Time
	Skew time.Duration
}

// Check verifies the claims against e: iss, aud and azp, exp, nbf, nonce, auth_time
// (when max_age was sent), sub and the previous ID token. It returns ErrNonceMismatch for a wrong nonce and
// ErrInvalidIDToken otherwise.
func (c IDTokenClaims) Check(e IDTokenExpectations) error {
	if err := c.CheckIssuer(e.Issuer); err != nil {
		return err
	}
	if err := c.checkAudience(e.ClientID); err != nil {
		return err
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
	if err := c.checkAuthTime(e.MaxAge, e.Now, skew); err != nil {
		return err
	}
	if e.Subject != "" && c.Subject != e.Subject {
		return Errorf(ErrInvalidIDToken, "ID token names a different subject than the cached account")
	}
	if e.Previous != nil {
		return c.checkContinues(*e.Previous)
	}
	return nil
}

// checkAuthTime applies OIDC Core §3.1.3.7 item 13: when max_age was sent, auth_time
// is required (§3.1.2.1 makes it REQUIRED in the answer), and a user who authenticated
// longer ago than max_age allows (plus the skew) is refused — a provider that reused an
// old session despite max_age, or a replayed older token, must not pass for a fresh
// sign-in. An auth_time in the future beyond the skew is refused too: it would satisfy
// any max_age.
func (c IDTokenClaims) checkAuthTime(maxAge *time.Duration, now time.Time, skew time.Duration) error {
	if maxAge == nil {
		return nil
	}
	switch {
	case c.AuthTime.IsZero():
		return Errorf(ErrInvalidIDToken, "ID token has no auth_time, which max_age requires (OIDC Core 3.1.3.7)")
	case now.After(c.AuthTime.Add(*maxAge + skew)):
		return Errorf(ErrInvalidIDToken, "ID token auth_time %s is older than max_age %s allows", c.AuthTime.Format(time.RFC3339), *maxAge)
	case c.AuthTime.After(now.Add(skew)):
		return Errorf(ErrInvalidIDToken, "ID token auth_time %s is in the future", c.AuthTime.Format(time.RFC3339))
	}
	return nil
}

// checkAudience applies OIDC Core §3.1.3.7 items 3-5: the client is an audience; azp,
// when present, is the client; with several audiences azp is required, so that a token
// issued to another party that merely lists this client is not accepted.
func (c IDTokenClaims) checkAudience(clientID string) error {
	if !slices.Contains(c.Audience, clientID) {
		return Errorf(ErrInvalidIDToken, "ID token audience does not contain client %q", clientID)
	}
	if c.AuthorizedParty != "" && c.AuthorizedParty != clientID {
		return Errorf(ErrInvalidIDToken, "ID token azp %q is not client %q", c.AuthorizedParty, clientID)
	}
	if len(c.Audience) > 1 && c.AuthorizedParty == "" {
		return Errorf(ErrInvalidIDToken, "ID token has %d audiences and no azp", len(c.Audience))
	}
	return nil
}

// checkContinues checks that a refresh response's ID token is about the same session as
// the cached one prev (OIDC Core §12.2): a provider, or an attacker in its place, must
// not swap the user, the issuer or the parties the token is for on a refresh.
func (c IDTokenClaims) checkContinues(prev IDTokenClaims) error {
	switch {
	case c.Issuer != prev.Issuer:
		return Errorf(ErrInvalidIDToken, "refresh response ID token names a different issuer than the cached account")
	case c.Subject != prev.Subject:
		return Errorf(ErrInvalidIDToken, "refresh response ID token names a different subject than the cached account")
	case !sameSet(c.Audience, prev.Audience):
		return Errorf(ErrInvalidIDToken, "refresh response ID token has other audiences than the cached one")
	case c.AuthorizedParty != prev.AuthorizedParty:
		return Errorf(ErrInvalidIDToken, "refresh response ID token has another azp than the cached one")
	case c.Nonce != "" && !ConstantTimeEqual(c.Nonce, prev.Nonce):
		return Errorf(ErrInvalidIDToken, "refresh response ID token carries a nonce the cached one does not")
	}
	return nil
}

// sameSet reports whether a and b hold the same strings, ignoring order and repeats.
func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// CheckAudience applies OIDC Core §3.1.3.7 items 3-5 (see Check) alone: for an ID token
// that is not being issued — a cache row — where only the parties it is for can be checked
// again.
func (c IDTokenClaims) CheckAudience(clientID string) error { return c.checkAudience(clientID) }

// BelongsTo reports whether the claims are about the account with home account id
// homeID, as a cache row filed under that account must be (a tampered row or an imported
// document may file another person's genuine token there). For an OIDC provider the home
// account id is the sub. For Entra's "uid.utid" (B2C "uid-policy.utid") the token of the
// home tenant carries oid = uid and tid = utid; a guest tenant's token carries that tenant's
// object id, which must be the local account id of the account entry in that tenant
// (localAccountID, "" when unknown: then it does not match).
func (c IDTokenClaims) BelongsTo(homeID, localAccountID string) bool {
	if c.Subject != "" && SameHomeAccountID(c.Subject, homeID) {
		return true
	}
	if !isEntraHomeAccountID(homeID) {
		return false
	}
	const g = 36
	uid, utid := homeID[:g], homeID[len(homeID)-g:]
	b2c := len(homeID) > 2*g+1
	switch {
	case strings.EqualFold(c.TenantID, utid) || c.TenantID == "" && b2c:
		// B2C tokens may omit tid and carry the object id as sub.
		return c.ObjectID != "" && strings.EqualFold(c.ObjectID, uid) || b2c && strings.EqualFold(c.Subject, uid)
	case c.TenantID != "":
		return c.ObjectID != "" && localAccountID != "" && strings.EqualFold(c.ObjectID, localAccountID)
	}
	return false
}

// CheckIssuer checks iss against the provider's issuer want; Entra's multi-tenant
// template "{tenantid}" is replaced with the token's tid first.
func (c IDTokenClaims) CheckIssuer(want string) error {
	const tmpl = "{tenantid}"
	if strings.Contains(want, tmpl) {
		if c.TenantID == "" {
			return Errorf(ErrInvalidIDToken, "ID token has no tid to match the issuer template")
		}
		// Entra's template holds one {tenantid}: compare around it without building the
		// string, as the silent sign-in hit checks every cached ID token it serves.
		pre, post, _ := strings.Cut(want, tmpl)
		iss := c.Issuer
		if !strings.Contains(post, tmpl) && len(iss) == len(pre)+len(c.TenantID)+len(post) &&
			strings.HasPrefix(iss, pre) && strings.HasSuffix(iss, post) && iss[len(pre):len(iss)-len(post)] == c.TenantID {
			return nil
		}
		want = strings.ReplaceAll(want, tmpl, c.TenantID)
	}
	if want == "" || c.Issuer != want {
		return Errorf(ErrInvalidIDToken, "ID token issuer %q is not the expected %q", c.Issuer, want)
	}
	return nil
}
