package domain

import (
	"strconv"
	"strings"
)

// CacheQuery selects the entries of one home account in one partition: the indexed
// look-up every silent call makes.
type CacheQuery struct {
	Partition     string
	HomeAccountID string   // "" selects app-only entries (client credentials)
	Environments  []string // match any, or an alias of one; empty matches every environment
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
// and the access tokens DeleteAccessTokens names are removed.
type CacheWrite struct {
	Partition    string
	AccessToken  *AccessToken
	RefreshToken *RefreshToken
	IDToken      *IDToken
	Account      *Account
	AppMetadata  *AppMetadata
	// DeleteAccessTokens names the access tokens AccessToken supersedes by their
	// AccessToken.KeyFields, never by Key: two tokens whose keys collide are two tokens.
	DeleteAccessTokens [][6]string
}

// AccountFilter selects accounts in a partition.
type AccountFilter struct {
	Partition    string
	Environments []string // match any, or an alias of one; empty matches every environment
	// Username, when set, keeps accounts whose username equals it case-insensitively
	// (compare FoldUsername of both).
	Username string
	// ClientID, when set, keeps accounts that have at least one access, refresh or ID
	// token issued to this client in the account's environment or one of its aliases
	// (MSAL .NET writes an account under one alias and its tokens under others).
	ClientID string
	// Family, with ClientID, also keeps accounts holding a family refresh token there
	// (of any client) that ClientID may redeem (DESIGN §3): of this family id, or of any
	// family when it is AnyFamily (the app's family is not known). Empty: the client's
	// own tokens only.
	Family string
}

// AnyFamily is the AccountFilter.Family of a client whose family is not known: a family
// refresh token of any family makes an account visible to it, as silent redeems one.
const AnyFamily = "*"

// AccountRemoval names the entries RemoveAccount deletes: the access tokens, ID tokens
// and refresh tokens of HomeAccountID issued to ClientID in Environments and their
// aliases, then the account's records there, except a record for which a token of
// another client remains in the record's environment or an alias of it (and in Realms
// when set): that app still lists the account by it (ADR 0020). Other clients' tokens
// are kept, except family refresh tokens when FamilyRefreshTokens is set, which then
// keep no record.
type AccountRemoval struct {
	Partition     string
	HomeAccountID string
	Environments  []string
	ClientID      string
	// FamilyRefreshTokens also removes the account's refresh tokens that carry a family
	// id, whatever their client, in the same environments and realms (ADR 0016): the
	// silent flow of a family app (FOCI) redeems a sibling's family token, so a sign-out
	// that kept one would not stick. As in MSAL, the sibling apps sharing the cache are
	// signed out too. False keeps them.
	FamilyRefreshTokens bool
	// Realms, when non-empty, keeps the removal to the entries of these realms (compared
	// exactly; a refresh token by its Realm): an OIDC issuer's account is removed without
	// touching another issuer's on the same host. Empty removes every realm, as an Entra
	// account is removed from every tenant it visited. An issuer at a host's root has the
	// realm "", so it passes []string{""}.
	Realms []string
}

// RefreshLockKey names what a refresh lock serialises, never by the authority URL
// (organizations and a tenant's own URL reach the same refresh token). The use cases
// lock a user's refreshes per account — partition, home account, canonical environment
// and issuer realm, ClientID and FamilyID left empty — so that one lock covers whichever
// of the account's refresh tokens a refresh redeems (ADR 0006); client credentials lock
// per client (no home account, ClientID set).
type RefreshLockKey struct {
	Partition     string
	HomeAccountID string
	// Environment is the refresh token's environment; aliases of one Entra cloud are one
	// lock (String folds them).
	Environment string
	// ClientID names the app whose tokens are refreshed; FamilyID, when set, names a
	// family of apps instead. Both are empty in the use cases' per-account user locks.
	ClientID string
	FamilyID string
	// Realm is the refresh token's realm (DESIGN §3: an OIDC issuer's path; empty for
	// Entra). For app tokens (no home account) it is the tenant or issuer realm.
	Realm string
}

// String returns a stable text form of the key, suitable for hashing into a lock id.
// Home account ids fold as FoldHomeAccountID, the environment becomes its alias group's
// canonical host, client and family ids compare case-insensitively; the partition and
// the realm are exact. A family key does not name a client.
//
// Two keys that differ in any field have two forms. The fields are joined by "\x1f",
// the form processes of earlier versions use (they must keep agreeing on a lock's
// name), when none of them holds that byte: the form then holds exactly five. When one
// does (a partition or an OIDC sub is caller text), the form is JoinKey's, followed by
// six "\x1f", so that it holds at least seven and cannot pass for a joined one.
func (k RefreshLockKey) String() string {
	client, family := strings.ToLower(k.ClientID), ""
	if k.FamilyID != "" {
		client, family = "", strings.ToLower(k.FamilyID)
	}
	fields := []string{k.Partition, FoldHomeAccountID(k.HomeAccountID),
		CanonicalEnvironment(k.Environment), client, family, k.Realm}
	for _, f := range fields {
		if strings.Contains(f, lockSep) {
			return JoinKey(fields...) + strings.Repeat(lockSep, 6)
		}
	}
	return strings.Join(fields, lockSep)
}

const lockSep = "\x1f"

// JoinKey joins fields into one string from which each field can be read back: every
// field is preceded by its length in decimal and a colon. In-process keys built from
// caller or cache text (a partition, a home account id, claims, a realm from a cache row)
// use it, so that no choice of field contents makes two different field lists one key —
// a separator byte would, as soon as a field may contain it.
func JoinKey(fields ...string) string {
	n := 0
	for _, f := range fields {
		n += len(f) + 8
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
	}
	return string(b)
}

// CacheSnapshot is the whole content of one partition, as exported and imported.
type CacheSnapshot struct {
	AccessTokens  []AccessToken
	RefreshTokens []RefreshToken
	IDTokens      []IDToken
	Accounts      []Account
	AppMetadata   []AppMetadata
	// ForeignSections are the document's top-level sections hexauth does not model, kept
	// so that an export writes them back (see ForeignSection for the merge rule). A store
	// exports them sorted by name.
	ForeignSections []ForeignSection
}

// Entries returns the entries of s as CacheEntries (its foreign sections left out).
func (s CacheSnapshot) Entries() CacheEntries {
	return CacheEntries{AccessTokens: s.AccessTokens, RefreshTokens: s.RefreshTokens, IDTokens: s.IDTokens,
		Accounts: s.Accounts, AppMetadata: s.AppMetadata}
}

// Snapshot returns the entries of e as a CacheSnapshot without foreign sections.
func (e CacheEntries) Snapshot() CacheSnapshot {
	return CacheSnapshot{AccessTokens: e.AccessTokens, RefreshTokens: e.RefreshTokens, IDTokens: e.IDTokens,
		Accounts: e.Accounts, AppMetadata: e.AppMetadata}
}

// Len returns the number of entries (foreign sections are no entries).
func (s CacheSnapshot) Len() int {
	return len(s.AccessTokens) + len(s.RefreshTokens) + len(s.IDTokens) + len(s.Accounts) + len(s.AppMetadata)
}

// FoldUsername returns the form in which usernames are compared: Unicode lower case.
// Stores that filter in SQL keep this form in a column of its own.
func FoldUsername(s string) string { return strings.ToLower(s) }

// MatchEnvironment reports whether env is one of envs or an alias of one (any when envs
// is empty), ignoring case: an Entra host matches its aliases on every path (DESIGN §3).
func MatchEnvironment(envs []string, env string) bool {
	if len(envs) == 0 {
		return true
	}
	for _, e := range envs {
		if SameEnvironment(e, env) {
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

// AdoptIssuerRealm settles the realm of the refresh tokens of an imported snapshot that
// carry none (MSAL writes none), and returns how many it adopted and the ones it
// dropped (so that an import can report each). hexauth
// keys an OIDC issuer's refresh token by the issuer's path (DESIGN §3), and a realm-less
// one is the issuer's at the host's root: kept as it came, a token of any other issuer on
// that host would be sent there. So a realm-less refresh token is
//   - kept, on an Entra or B2C host (one refresh token serves every tenant there), or on
//     the host of authority when authority is an Entra or B2C authority (a cloud or an
//     Entra-compatible host that the caller declares with AuthorityKind: no host list
//     names it, but its refresh tokens are realm-less as Entra's);
//   - kept, when the snapshot ties its account on that host to ADFS (an account record
//     of type ADFS or realm adfs);
//   - given authority's realm, when authority is an OIDC issuer of that host and the
//     snapshot ties the account there to this realm alone (at least one account record or
//     ID token, each of this realm);
//   - dropped otherwise (another issuer on the host, MSAL Python's first path segment of a
//     longer issuer path, no account at all, or no authority to tie it to).
//
// authority may be the zero Authority: nothing is then adopted.
func AdoptIssuerRealm(s *CacheSnapshot, authority Authority) (adopted int, dropped []RefreshToken) {
	type home struct{ id, env string }
	key := func(id, env string) home { return home{FoldHomeAccountID(id), strings.ToLower(env)} }
	realm := authority.Realm()
	ties := map[home]bool{} // true: every record of the account is of realm
	adfs := map[home]bool{}
	tie := func(id, env, r string) {
		h := key(id, env)
		ok, seen := ties[h]
		ties[h] = (ok || !seen) && r == realm
	}
	for _, a := range s.Accounts {
		tie(a.HomeAccountID, a.Environment, a.Realm)
		if a.AuthorityType == AuthorityTypeADFS || strings.EqualFold(a.Realm, "adfs") {
			adfs[key(a.HomeAccountID, a.Environment)] = true
		}
	}
	for _, t := range s.IDTokens {
		tie(t.HomeAccountID, t.Environment, t.Realm)
	}
	kept := s.RefreshTokens[:0]
	for _, rt := range s.RefreshTokens {
		h := key(rt.HomeAccountID, rt.Environment)
		switch {
		case rt.Realm != "" || isTenantHost(rt.Environment) || adfs[h]:
		case (authority.Kind == AuthorityEntra || authority.Kind == AuthorityB2C) && strings.EqualFold(rt.Environment, authority.Host):
		case authority.IsIssuerRealm() && strings.EqualFold(rt.Environment, authority.Host) && ties[h]:
			if realm != "" {
				rt.Realm = realm
				adopted++
			}
		default:
			dropped = append(dropped, rt)
			continue
		}
		kept = append(kept, rt)
	}
	s.RefreshTokens = kept
	return adopted, dropped
}

// isTenantHost reports whether env is an Entra host (any cloud's alias) or a B2C host,
// whose refresh tokens carry no realm.
func isTenantHost(env string) bool {
	h := strings.ToLower(hostOnly(env))
	return isEntraHost(h) || strings.HasSuffix(h, ".b2clogin.com")
}
