package domain

import (
	"encoding/json"
	"strings"
	"time"
)

// The five kinds of entries of MSAL's unified token cache. Field names follow the
// schema; Extra keeps fields written by other MSAL libraries that hexauth does not
// know, so that an imported cache exports back unchanged. Times are kept at second
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
	Target        string
	Secret        Secret
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

func joinKey(parts ...string) string { return strings.ToLower(strings.Join(parts, "-")) }

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-accesstoken-<client_id>-<realm>-<target>.
func (t AccessToken) Key() string {
	return joinKey(t.HomeAccountID, t.Environment, "accesstoken", t.ClientID, t.Realm, t.Target)
}

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-refreshtoken-<client_id>--. MSAL Python appends the
// target after the last dash; hexauth leaves it out on purpose, so that a cache holds at
// most one refresh token per account, environment and client.
func (t RefreshToken) Key() string {
	return joinKey(t.HomeAccountID, t.Environment, "refreshtoken", t.ClientID, "", "")
}

// Key returns the entry's unified-cache key:
// <home_account_id>-<environment>-idtoken-<client_id>-<realm>-.
func (t IDToken) Key() string {
	return joinKey(t.HomeAccountID, t.Environment, "idtoken", t.ClientID, t.Realm, "")
}

// Key returns the entry's unified-cache key: <home_account_id>-<environment>-<realm>.
func (a Account) Key() string { return joinKey(a.HomeAccountID, a.Environment, a.Realm) }

// Key returns the entry's unified-cache key: appmetadata-<environment>-<client_id>.
func (m AppMetadata) Key() string { return joinKey("appmetadata", m.Environment, m.ClientID) }

// Scopes returns the token's scopes.
func (t AccessToken) Scopes() []string { return ParseScopes(t.Target) }

// Usable reports whether the token may still be served at now: now < expires_on − buffer.
func (t AccessToken) Usable(now time.Time, buffer time.Duration) bool {
	return now.Before(t.ExpiresOn.Add(-buffer))
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
