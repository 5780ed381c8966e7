package domain

import "strings"

// CacheQuery selects the entries of one home account in one partition: the indexed
// look-up every silent call makes.
type CacheQuery struct {
	Partition     string
	HomeAccountID string   // "" selects app-only entries (client credentials)
	Environments  []string // match any; empty matches every environment
	ClientID      string   // selects the AppMetadata returned
}

// CacheEntries are the entries a CacheQuery found. Tokens of every client are returned,
// so that family refresh tokens can be used.
type CacheEntries struct {
	AccessTokens  []AccessToken
	RefreshTokens []RefreshToken
	IDTokens      []IDToken
	Accounts      []Account
	AppMetadata   []AppMetadata // of CacheQuery.ClientID only
}

// CacheWrite is everything one token response changes, applied atomically: every
// non-nil entry is upserted (a refresh token only if it is not older than the stored one)
// and the access tokens whose keys are listed in DeleteAccessTokens are removed.
type CacheWrite struct {
	Partition          string
	AccessToken        *AccessToken
	RefreshToken       *RefreshToken
	IDToken            *IDToken
	Account            *Account
	AppMetadata        *AppMetadata
	DeleteAccessTokens []string // AccessToken.Key() values superseded by AccessToken
}

// AccountFilter selects accounts in a partition.
type AccountFilter struct {
	Partition    string
	Environments []string // match any; empty matches every environment
	// Username, when set, keeps accounts whose username equals it case-insensitively
	// (compare FoldUsername of both).
	Username string
	// ClientID, when set, keeps accounts that have at least one access, refresh or ID
	// token issued to this client.
	ClientID string
}

// AccountRemoval names the entries RemoveAccount deletes: the account records of
// HomeAccountID in Environments, and its access tokens, ID tokens and refresh tokens
// issued to ClientID there. Other clients' tokens are kept.
type AccountRemoval struct {
	Partition     string
	HomeAccountID string
	Environments  []string
	ClientID      string
}

// RefreshLockKey names what a refresh lock serialises: refreshes of one account's tokens
// by one client at one authority, in one partition.
type RefreshLockKey struct {
	Partition     string
	HomeAccountID string
	ClientID      string
	Authority     string
}

// String returns a stable text form of the key, suitable for hashing into a lock id.
// Ids and the authority compare case-insensitively, as cache keys do; the partition
// is case-sensitive.
func (k RefreshLockKey) String() string {
	return strings.Join([]string{k.Partition, strings.ToLower(k.HomeAccountID), strings.ToLower(k.ClientID), strings.ToLower(k.Authority)}, "\x1f")
}

// CacheSnapshot is the whole content of one partition, as exported and imported.
type CacheSnapshot struct {
	AccessTokens  []AccessToken
	RefreshTokens []RefreshToken
	IDTokens      []IDToken
	Accounts      []Account
	AppMetadata   []AppMetadata
}

// Len returns the number of entries.
func (s CacheSnapshot) Len() int {
	return len(s.AccessTokens) + len(s.RefreshTokens) + len(s.IDTokens) + len(s.Accounts) + len(s.AppMetadata)
}

// FoldUsername returns the form in which usernames are compared: Unicode lower case.
// Stores that filter in SQL keep this form in a column of its own.
func FoldUsername(s string) string { return strings.ToLower(s) }

// MatchEnvironment reports whether env is one of envs (any when envs is empty),
// ignoring case.
func MatchEnvironment(envs []string, env string) bool {
	if len(envs) == 0 {
		return true
	}
	for _, e := range envs {
		if strings.EqualFold(e, env) {
			return true
		}
	}
	return false
}

// Upserts returns the entries w writes, as a snapshot (nil entries left out), so that
// a store can apply a write and an import with the same code.
func (w CacheWrite) Upserts() CacheSnapshot {
	var s CacheSnapshot
	if w.AccessToken != nil {
		s.AccessTokens = []AccessToken{*w.AccessToken}
	}
	if w.RefreshToken != nil {
		s.RefreshTokens = []RefreshToken{*w.RefreshToken}
	}
	if w.IDToken != nil {
		s.IDTokens = []IDToken{*w.IDToken}
	}
	if w.Account != nil {
		s.Accounts = []Account{*w.Account}
	}
	if w.AppMetadata != nil {
		s.AppMetadata = []AppMetadata{*w.AppMetadata}
	}
	return s
}
