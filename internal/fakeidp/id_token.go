package fakeidp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// IDTokenFault is a scripted defect of the ID tokens the provider issues, set with
// Provider.SetIDTokenFault. Each defect is one a relying party must detect.
type IDTokenFault int

// ID token faults.
const (
	// IDTokenOK issues correct ID tokens.
	IDTokenOK IDTokenFault = iota
	// IDTokenWrongNonce sets a nonce other than the one of the authorization request
	// (OIDC Core §3.1.3.7 step 11).
	IDTokenWrongNonce
	// IDTokenWrongIssuer sets an iss other than the authority's issuer.
	IDTokenWrongIssuer
	// IDTokenWrongAudience sets an aud that does not contain the client id.
	IDTokenWrongAudience
	// IDTokenExpired sets exp an hour in the past (beyond any reasonable clock skew).
	IDTokenExpired
	// IDTokenWrongSignature signs other bytes than the token's, so the signature does not
	// verify against the provider's key.
	IDTokenWrongSignature
	// IDTokenOtherSubject, on refresh_token grant responses only, names a different sub
	// than the account the refresh token belongs to.
	IDTokenOtherSubject
	// IDTokenAlgNone issues an unsigned token (alg "none", empty signature).
	IDTokenAlgNone
	// IDTokenExtraAudience adds a second audience and no azp (OIDC Core §3.1.3.7 item 4
	// then requires azp).
	IDTokenExtraAudience
	// IDTokenWrongAzp sets azp to another party than the client.
	IDTokenWrongAzp
	// IDTokenAccessTokenType issues a correctly signed token typed "at+jwt": a JWT access
	// token (RFC 9068 §2.1), which is no ID token.
	IDTokenAccessTokenType
	// IDTokenHMAC MACs the token with HS256 instead of signing it.
	IDTokenHMAC
	// IDTokenExtraAudienceWithAzp adds a second audience with azp the client: a valid ID
	// token, on every grant.
	IDTokenExtraAudienceWithAzp
	// IDTokenRefreshAddsAudience sets azp (the client) in every ID token, and in
	// refresh_token grant responses adds a second audience that the signed-in ID token
	// lacked: only aud changes on the refresh.
	IDTokenRefreshAddsAudience
	// IDTokenRefreshAddsAzp, on refresh_token grant responses only, adds azp (the
	// client) that the signed-in ID token lacked.
	IDTokenRefreshAddsAzp
	// IDTokenRefreshAddsNonce, on refresh_token grant responses only, carries a nonce
	// that the signed-in ID token lacked (OIDC Core §12.2).
	IDTokenRefreshAddsNonce
	// IDTokenNoAuthTime leaves auth_time out, as a provider that ignores max_age does
	// (OIDC Core §3.1.2.1 makes it required then).
	IDTokenNoAuthTime
	// IDTokenStaleAuthTime sets auth_time a day in the past: a provider that reused an
	// old session although max_age asked for a fresh sign-in.
	IDTokenStaleAuthTime
)

// String returns the fault's name.
func (f IDTokenFault) String() string {
	names := [...]string{"ok", "wrong nonce", "wrong issuer", "wrong audience", "expired",
		"wrong signature", "other subject", "alg none", "extra audience", "wrong azp",
		"access token type", "hmac", "extra audience with azp", "refresh adds audience",
		"refresh adds azp", "refresh adds nonce", "no auth_time", "stale auth_time"}
	if f >= 0 && int(f) < len(names) {
		return names[f]
	}
	return "unknown fault"
}

// Values the faults put in ID tokens.
const (
	faultNonce    = "not-the-nonce-that-was-sent"
	faultIssuer   = "https://issuer.invalid/fake/v2.0"
	faultAudience = "00000000-0000-0000-0000-0000000bad00"
)

// idTokenInput is what an ID token is minted from.
type idTokenInput struct {
	authority domain.Authority
	clientID  string
	user      User
	nonce     string
	grant     domain.GrantKind
	now       time.Time
	authTime  time.Time    // auth_time, when known
	fault     IDTokenFault // overrides the provider's fault when not IDTokenOK
}

// mintIDToken returns a signed ID token (OIDC Core §2) for in, with the current fault
// applied. Its claims are iss, sub, aud, exp, iat, nbf, auth_time (when the user signed
// in through this provider), nonce (when one was sent), tid,
// oid, preferred_username, name (when set) and ver.
func (p *Provider) mintIDToken(in idTokenInput) (string, error) {
	fault := in.fault
	if fault == IDTokenOK {
		fault = p.idTokenFault()
	}
	now := in.now
	exp := now.Add(p.cfg.TokenLifetime)
	u := p.asSeenIn(in.user, in.authority)
	c := map[string]any{
		"iss":                p.TokenIssuer(in.authority, u.TenantID),
		"sub":                u.Subject,
		"aud":                in.clientID,
		"tid":                u.TenantID,
		"oid":                u.ObjectID,
		"preferred_username": in.user.Username,
		"ver":                "2.0",
	}
	if in.user.Name != "" {
		c["name"] = in.user.Name
	}
	if in.nonce != "" {
		c["nonce"] = in.nonce
	}
	switch fault {
	case IDTokenWrongNonce:
		c["nonce"] = faultNonce
	case IDTokenWrongIssuer:
		c["iss"] = faultIssuer
	case IDTokenWrongAudience:
		c["aud"] = faultAudience
	case IDTokenExpired:
		exp = now.Add(-time.Hour)
		now = exp.Add(-p.cfg.TokenLifetime)
	case IDTokenOtherSubject:
		if in.grant == domain.GrantRefreshToken {
			c["sub"] = "other-" + u.Subject
		}
	case IDTokenExtraAudience:
		c["aud"] = []string{in.clientID, faultAudience}
	case IDTokenWrongAzp:
		c["azp"] = faultAudience
	case IDTokenExtraAudienceWithAzp:
		c["aud"], c["azp"] = []string{in.clientID, faultAudience}, in.clientID
	case IDTokenRefreshAddsAudience:
		c["azp"] = in.clientID
	}
	if in.grant == domain.GrantRefreshToken {
		switch fault {
		case IDTokenRefreshAddsAudience:
			c["aud"] = []string{in.clientID, faultAudience}
		case IDTokenRefreshAddsAzp:
			c["azp"] = in.clientID
		case IDTokenRefreshAddsNonce:
			c["nonce"] = faultNonce
		}
	}
	c["iat"], c["nbf"], c["exp"] = now.Unix(), now.Unix(), exp.Unix()
	switch {
	case fault == IDTokenStaleAuthTime:
		c["auth_time"] = now.Add(-24 * time.Hour).Unix()
	case fault != IDTokenNoAuthTime && !in.authTime.IsZero():
		c["auth_time"] = in.authTime.Unix()
	}
	switch fault {
	case IDTokenAlgNone:
		return unsignedToken(c)
	case IDTokenHMAC:
		return hmacToken(c)
	case IDTokenAccessTokenType:
		return p.sign(c, "at+jwt", false)
	}
	return p.sign(c, "JWT", fault == IDTokenWrongSignature)
}

// hmacToken returns claims MAC'd with HS256 under a fixed key, as a provider confusing
// an ID token with a symmetric-key token would (RFC 7518 §3.2).
func hmacToken(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot encode the ID token claims", Err: err}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64(payload)
	mac := hmac.New(sha256.New, []byte("fakeidp-hmac-fault-key"))
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil)), nil
}

// homeTenant returns the home tenant of user u signing in at authority a: the
// configured TenantID; for a user configured without one, the tenant a names (a member
// of that tenant, as a user signing in at their own tenant's authority is with real
// Entra: tid, utid and the issuer's tenant agree, so MSAL finds the tokens it cached
// under that tenant), else DefaultTenantID.
func (p *Provider) homeTenant(u User, a domain.Authority) string {
	if p.anyTenant[strings.ToLower(strings.TrimSpace(u.Username))] {
		if t := p.TenantID(a); t != "" {
			return t
		}
	}
	return u.TenantID
}

// asSeenIn returns user u as the directory of authority a's tenant knows them. At home,
// or through an authority that names no single tenant, that is u. In another Entra
// tenant u is a B2B guest, and Entra's ID tokens there carry that tenant's tid and the
// guest's own oid and sub, while client_info keeps naming the home account (uid.utid).
func (p *Provider) asSeenIn(u User, a domain.Authority) User {
	tenant := p.TenantID(a)
	if tenant == "" || strings.EqualFold(tenant, u.TenantID) {
		return u
	}
	g := completeUser(User{Username: u.Username + "#" + strings.ToLower(tenant)})
	u.TenantID, u.ObjectID, u.Subject = tenant, g.ObjectID, g.Subject
	return u
}

// unsignedToken returns claims as an unsecured JWT (RFC 7519 §6): alg "none" and an
// empty signature.
func unsignedToken(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: sign", Description: "cannot encode the ID token claims", Err: err}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(payload) + ".", nil
}
