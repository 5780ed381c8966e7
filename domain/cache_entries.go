package domain

import (
	"encoding/json"
	"strings"
	"time"
)

// The five kinds of entries of MSAL's unified token cache. Field names follow the
// schema; Extra keeps fields written by other MSAL libraries that hexauth does not
// know, so that an imported cache exports back unchanged. An imported entry's Extra may
// also hold msalcache's record of how its writer wrote the schema fields (a member whose
// name starts with NUL, which no document can hold), so that an export writes exactly
// the fields it came with; stores keep it as any Extra member. Times are kept at second
// precision by every store, as the schema stores Unix seconds.

// AccessToken is a cached access token (credential_type AccessToken).
type AccessToken struct {
	HomeAccountID     string
	Environment       string
	ClientID          string
	Realm             string
	Target            string // space-delimited scopes, canonical order
	Secret            Secret
	TokenType         string // "Bearer" unless the provider said otherwise
	CachedAt          time.Time
	ExpiresOn         time.Time
	ExtendedExpiresOn time.Time
	RefreshOn         time.Time // zero when no proactive refresh is due
	KeyID             string    // for proof-of-possession tokens
	Extra             map[string]json.RawMessage
}

// RefreshToken is a cached refresh token (credential_type RefreshToken). A refresh
// token with a FamilyID is a family refresh token, usable by every app of the family.
type RefreshToken struct {
	HomeAccountID string
	Environment   string
	ClientID      string
	FamilyID      string
	// Realm is the issuer realm of a refresh token of an OIDC issuer (the issuer's
	// path, DESIGN §3), so that two issuers on one host never share a refresh token. It
	// is empty for Entra, B2C and ADFS, whose refresh tokens serve every tenant of the
	// account, as MSAL writes them.
	Realm  string
	Target string
	Secret Secret
	// CachedAt orders writes: a store never replaces a refresh token with one whose
	// CachedAt is older (compared at second precision; equal times replace).
	CachedAt time.Time
	Extra    map[string]json.RawMessage
}

// IDToken is a cached raw ID token (credential_type IdToken).
type IDToken struct {
	HomeAccountID string
	Environment   string
	ClientID      string
	Realm         string
	Secret        Secret // the raw JWT
	Extra         map[string]json.RawMessage
}

// Account is a cached account (one per home account, environment and realm).
type Account struct {
	HomeAccountID  string
	Environment    string
	Realm          string
	LocalAccountID string
	Username       string
	Name           string
	AuthorityType  string // "MSSTS" for Entra, "ADFS", "Generic" otherwise
	Extra          map[string]json.RawMessage
}

// AppMetadata records what is known about an app in an environment, in particular
// whether it belongs to a family of apps that share refresh tokens.
type AppMetadata struct {
	ClientID    string
	Environment string
	FamilyID    string
	Extra       map[string]json.RawMessage
}

// Authority types of the Account entry.
const (
	AuthorityTypeMSSTS   = "MSSTS"
	AuthorityTypeADFS    = "ADFS"
	AuthorityTypeGeneric = "Generic"
)

// credentialKey returns a credential's unified-cache key,
// <home_account_id>-<environment>-<credential_type>-<client_id>-<realm>-<target>, with
// the home account id in its FoldHomeAccountID form, the realm as it is (an OIDC
// issuer's path is case-sensitive; Entra realms are stored lower-cased) and the other
// parts lower-cased, as MSAL writes them.
func credentialKey(home, env, kind, client, realm, target string) string {
	return FoldHomeAccountID(home) + "-" + strings.ToLower(env) + "-" + kind + "-" +
		strings.ToLower(client) + "-" + realm + "-" + strings.ToLower(target)
}

// KeyFields returns what Key joins, each field folded as Key folds it: the entry's
// kind (as in the key), home account id, environment, client id, realm and target. Key
// joins them with unescaped dashes, so two entries can share a key (realm "a" with
// target "b-c", realm "a-b" with target "c"; a home account id, an OIDC sub, may hold
// dashes too); the fields cannot be confused. Two entries are one entry exactly when
// their KeyFields are equal: stores, deletions and locks go by them, and Key is only
// MSAL's name of an entry in a document and in logs.
func (t AccessToken) KeyFields() [6]string {
	return credentialKeyFields(t.HomeAccountID, t.Environment, "accesstoken", t.ClientID, t.Realm, t.Target)
}

// KeyFields returns what Key joins (AccessToken.KeyFields), the target empty.
func (t RefreshToken) KeyFields() [6]string {
	return credentialKeyFields(t.HomeAccountID, t.Environment, "refreshtoken", t.ClientID, t.Realm, "")
}

// KeyFields returns what Key joins (AccessToken.KeyFields), the target empty.
func (t IDToken) KeyFields() [6]string {
	return credentialKeyFields(t.HomeAccountID, t.Environment, "idtoken", t.ClientID, t.Realm, "")
}

// KeyFields returns the fields Key joins, folded as Key folds them, in the layout of
// AccessToken.KeyFields: kind "account", home account id, environment, an empty client
// id, realm and an empty target.
func (a Account) KeyFields() [6]string {
	return [6]string{"account", FoldHomeAccountID(a.HomeAccountID), strings.ToLower(a.Environment), "", a.Realm, ""}
}

// KeyFields returns the fields Key joins, folded as Key folds them, in the layout of
// AccessToken.KeyFields: kind "appmetadata", an empty home account id, environment,
// client id, and an empty realm and target.
func (m AppMetadata) KeyFields() [6]string {
	return [6]string{"appmetadata", "", strings.ToLower(m.Environment), strings.ToLower(m.ClientID), "", ""}
}

func credentialKeyFields(home, env, kind, client, realm, target string) [6]string {
	return [6]string{kind, FoldHomeAccountID(home), strings.ToLower(env), strings.ToLower(client), realm, strings.ToLower(target)}
}

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-accesstoken-<client_id>-<realm>-<target>.
func (t AccessToken) Key() string {
	return credentialKey(t.HomeAccountID, t.Environment, "accesstoken", t.ClientID, t.Realm, t.Target)
}

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-refreshtoken-<client_id>-<realm>-. MSAL Python
// appends the target after the last dash; hexauth leaves it out on purpose, so that a
// cache holds at most one refresh token per account, environment, client and issuer
// realm. The realm is empty (as in MSAL) except for OIDC issuers with a path.
func (t RefreshToken) Key() string {
	return credentialKey(t.HomeAccountID, t.Environment, "refreshtoken", t.ClientID, t.Realm, "")
}

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-idtoken-<client_id>-<realm>-.
func (t IDToken) Key() string {
	return credentialKey(t.HomeAccountID, t.Environment, "idtoken", t.ClientID, t.Realm, "")
}

// Key returns the entry's unified-cache key: <home_account_id>-<environment>-<realm>.
func (a Account) Key() string {
	return FoldHomeAccountID(a.HomeAccountID) + "-" + strings.ToLower(a.Environment) + "-" + a.Realm
}

// Key returns the entry's unified-cache key: appmetadata-<environment>-<client_id>.
func (m AppMetadata) Key() string {
	return "appmetadata-" + strings.ToLower(m.Environment) + "-" + strings.ToLower(m.ClientID)
}

// FoldHomeAccountID returns the form in which home account ids are compared and keyed.
// Entra's "uid.utid" (both GUIDs; B2C's "uid-policy.utid") match case-insensitively, as
// MSAL compares them, and fold to lower case; every other id — an OIDC sub — is
// case-sensitive and returned unchanged: "Alice" and "alice" are two people.
func FoldHomeAccountID(id string) string {
	if FoldedASCII(id) { // lower case already, whatever its form: the hit path's common case
		return id
	}
	if isEntraHomeAccountID(id) {
		return strings.ToLower(id)
	}
	return id
}

// FoldedASCII reports whether s is ASCII without upper-case letters: strings.ToLower
// would return it unchanged. The near cache asks it of every key field. Every silent hit asks it of a 73-byte Entra id, so it
// checks eight bytes at a time (the byte loop was 5 % of a hit): with every byte below
// 0x80, adding 0x3f to each sets its top bit exactly when it is 'A' (0x41) or above,
// and adding 0x25 exactly when it is above 'Z' (0x5a); no byte carries into the next.
func FoldedASCII(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x80 * ones
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8] // one bounds check for the eight loads, which compile to one
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if w&highs != 0 || (w+(0x80-'A')*ones)&^(w+(0x80-'Z'-1)*ones)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// SameHomeAccountID reports whether two home account ids name one account.
func SameHomeAccountID(a, b string) bool { return FoldHomeAccountID(a) == FoldHomeAccountID(b) }

// isEntraHomeAccountID reports whether id has the form of an Entra client_info home
// account id: a GUID uid (optionally followed by "-policy", B2C), a dot and a GUID utid.
func isEntraHomeAccountID(id string) bool {
	const g = 36 // len of a GUID
	n := len(id)
	if n < 2*g+1 || !IsGUID(id[:g]) || !IsGUID(id[n-g:]) || id[n-g-1] != '.' {
		return false
	}
	return n == 2*g+1 || id[g] == '-'
}

// Scopes returns the token's scopes.
func (t AccessToken) Scopes() []string { return ParseScopes(t.Target) }

// Usable reports whether the token may still be served at now: now < expires_on − buffer.
func (t AccessToken) Usable(now time.Time, buffer time.Duration) bool {
	return now.Before(t.ExpiresOn.Add(-buffer))
}

// Servable reports why a cached access token must not be served, whatever its expiry:
// "" when it may be. A row edited or corrupted in a store (an empty secret, a
// cached_at in the future, a lifetime longer than any provider issues) is a miss, never
// a token handed to a caller (DESIGN §3 "What the cache may serve"). skew is the
// tolerance on cached_at (clocks of the processes sharing a store differ a little).
func (t AccessToken) Servable(now time.Time, skew time.Duration) string {
	switch {
	case t.Secret == "":
		return "empty secret"
	case t.CachedAt.IsZero() || t.CachedAt.After(now.Add(skew)):
		return "cached_at missing or in the future"
	case t.ExpiresOn.Sub(t.CachedAt) > MaxTokenLifetime:
		return "lifetime over the cap"
	}
	return ""
}

// Servable reports why the cached ID token with claims c must not be served, whatever
// its expiry: "" when it may be. A cache hit never verifies an ID token's signature, so
// a row is held to what a provider could have issued, as a cached access token is
// (AccessToken.Servable): issued (iat) not in the future beyond skew, and a lifetime —
// exp after iat, or after now when the token has no iat — within MaxTokenLifetime. An
// edited row must not keep a user signed in for years without the provider being asked.
func (c IDTokenClaims) Servable(now time.Time, skew time.Duration) string {
	switch {
	case !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(skew)):
		return "issued in the future"
	case !c.IssuedAt.IsZero() && c.Expiry.Sub(c.IssuedAt) > MaxTokenLifetime:
		return "lifetime over the cap"
	case c.Expiry.Sub(now) > MaxTokenLifetime:
		return "expiry beyond the lifetime cap"
	}
	return ""
}

// RefreshDue reports whether a proactive refresh is due (refresh_on has passed).
func (t AccessToken) RefreshDue(now time.Time) bool {
	return !t.RefreshOn.IsZero() && !now.Before(t.RefreshOn)
}

// String redacts the secret.
func (t AccessToken) String() string { return "AccessToken(" + t.Key() + ")" }

// String redacts the secret.
func (t RefreshToken) String() string { return "RefreshToken(" + t.Key() + ")" }

// String redacts the secret.
func (t IDToken) String() string { return "IDToken(" + t.Key() + ")" }

// HomeAccount identifies an account across tenants: its home account id and the
// environment it was issued in.
type HomeAccount struct {
	HomeAccountID string
	Environment   string
}

// IsZero reports whether h names no account.
func (h HomeAccount) IsZero() bool { return h.HomeAccountID == "" }
