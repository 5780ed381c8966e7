package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// ResponseContext is what the engine knew when it asked for a token response; it
// decides how the response is keyed in the cache.
type ResponseContext struct {
	Partition string
	Authority Authority
	ClientID  string
	// RequestedScopes are the non-reserved scopes asked for; they are cached when the
	// response has no "scope".
	RequestedScopes []string
	Now             time.Time
	// Claims are the response's ID-token claims, already checked; nil when the response
	// carried no ID token.
	Claims *IDTokenClaims
	// Account is the cached account a refresh was made for; a response without an ID
	// token keeps it. Nil in other flows.
	Account *Account
	// AppOnly marks a client-credentials response: tokens belong to the app, not a user.
	AppOnly bool
	// Existing are the cached access tokens of the same account, used to find those the
	// new token supersedes.
	Existing []AccessToken
	// Presented is the cached refresh token a refresh grant presented; nil in other
	// flows. A new refresh token in the response records it as spent (SpentMember) when
	// it is this client's own.
	Presented *RefreshToken
}

// BuildCacheWrite turns a validated token response into the atomic cache write that
// stores it, and returns the account it belongs to (zero for app-only tokens). It
// applies the cache rules: home account id from client_info or sub, realm from tid or
// the authority, refresh_on, the granted or requested scopes, and supersession of older
// access tokens whose scopes intersect the new ones.
func BuildCacheWrite(resp TokenResponse, c ResponseContext) (CacheWrite, Account, error) {
	if err := resp.Validate(); err != nil {
		return CacheWrite{}, Account{}, err
	}
	env := c.Authority.Host
	w := CacheWrite{Partition: c.Partition}
	var acct Account
	realm := c.Authority.Realm()
	if !c.AppOnly {
		var err error
		acct, err = accountFor(resp, c)
		if err != nil {
			return CacheWrite{}, Account{}, err
		}
		realm = acct.Realm
		if c.Claims == nil && c.Authority.Realm() != "" || c.Authority.IsIssuerRealm() {
			// No ID token to say which tenant issued the token: the authority named it. An
			// OIDC issuer's realm is always its own path.
			realm = c.Authority.Realm()
		}
		w.Account = &acct
	}
	scopes := c.RequestedScopes
	if resp.Scope != nil {
		scopes = resp.Scope
	}
	now := c.Now.Truncate(time.Second)
	at := AccessToken{
		HomeAccountID: acct.HomeAccountID, Environment: env, ClientID: c.ClientID, Realm: realm,
		Target: JoinScopes(scopes), Secret: resp.AccessToken, TokenType: NormalizeTokenType(resp.TokenType),
		CachedAt: now, ExpiresOn: now.Add(resp.ExpiresIn),
		RefreshOn: RefreshOnFor(now, resp.ExpiresIn, resp.RefreshIn),
	}
	if resp.ExtExpiresIn > 0 {
		at.ExtendedExpiresOn = now.Add(resp.ExtExpiresIn)
	} else {
		at.ExtendedExpiresOn = at.ExpiresOn
	}
	w.AccessToken = &at
	m := ScopeMatcher{CaseInsensitive: c.Authority.CaseInsensitiveScopes()}
	newScopes := at.Scopes()
	for _, old := range c.Existing {
		if old.HomeAccountID == at.HomeAccountID && SameEnvironment(old.Environment, env) &&
			old.ClientID == at.ClientID && old.Realm == at.Realm && old.KeyFields() != at.KeyFields() &&
			m.Intersects(old.Scopes(), newScopes) {
			w.DeleteAccessTokens = append(w.DeleteAccessTokens, old.KeyFields())
		}
	}
	if resp.RefreshToken != "" {
		w.RefreshToken = &RefreshToken{
			HomeAccountID: acct.HomeAccountID, Environment: env, ClientID: c.ClientID,
			FamilyID: resp.FamilyID, Realm: c.Authority.RefreshTokenRealm(), Target: at.Target,
			Secret: resp.RefreshToken, CachedAt: now,
		}
		if c.Presented != nil && strings.EqualFold(c.Presented.ClientID, c.ClientID) {
			// Only the app's own token: a sibling's family token (Entra FOCI) stays the
			// sibling's live token when this app redeems it.
			w.RefreshToken.RecordRotation(*c.Presented)
		}
	}
	if resp.IDToken != "" && !c.AppOnly {
		w.IDToken = &IDToken{HomeAccountID: acct.HomeAccountID, Environment: env, ClientID: c.ClientID, Realm: realm, Secret: resp.IDToken}
	}
	w.AppMetadata = &AppMetadata{ClientID: c.ClientID, Environment: env, FamilyID: resp.FamilyID}
	return w, acct, nil
}

func accountFor(resp TokenResponse, c ResponseContext) (Account, error) {
	home, err := HomeAccountID(resp.ClientInfo, c.Claims)
	if err != nil {
		return Account{}, err
	}
	if c.Claims == nil {
		if c.Account == nil {
			return Account{}, Errorf(ErrInvalidResponse, "token response identifies no account (no id_token)")
		}
		if home != "" && !c.Authority.SameHomeAccountID(home, c.Account.HomeAccountID) {
			return Account{}, Errorf(ErrInvalidIDToken, "token response names a different account than the one refreshed")
		}
		a := *c.Account
		a.Extra = cloneExtra(a.Extra)
		a.Environment = c.Authority.Host
		if c.Authority.IsIssuerRealm() {
			a.Realm = c.Authority.Realm()
		}
		return a, nil
	}
	if home == "" {
		return Account{}, Errorf(ErrInvalidResponse, "token response identifies no account")
	}
	// The realm: an OIDC issuer's own path (a tid claim from such an issuer names
	// nothing hexauth keys on), ADFS's "adfs", else the tenant that issued the ID token,
	// else the one the authority names.
	realm := strings.ToLower(c.Claims.TenantID)
	if realm == "" || c.Authority.IsIssuerRealm() || c.Authority.Kind == AuthorityADFS {
		realm = c.Authority.Realm() // ADFS has one realm, "adfs" (DESIGN §3)
	}
	local := c.Claims.ObjectID
	if local == "" {
		local = c.Claims.Subject
	}
	a := Account{
		HomeAccountID: home, Environment: c.Authority.Host, Realm: realm, LocalAccountID: local,
		Username: c.Claims.Username(), Name: c.Claims.Name, AuthorityType: authorityType(c.Authority.Kind),
	}
	if c.Account != nil {
		if !c.Authority.SameHomeAccountID(c.Account.HomeAccountID, home) {
			return Account{}, Errorf(ErrInvalidIDToken, "refresh response names a different account than the one refreshed")
		}
		a.Extra = cloneExtra(c.Account.Extra)
		if a.Username == "" {
			a.Username = c.Account.Username
		}
	}
	return a, nil
}

func authorityType(k AuthorityKind) string {
	switch k {
	case AuthorityEntra, AuthorityB2C:
		return AuthorityTypeMSSTS
	case AuthorityADFS:
		return AuthorityTypeADFS
	}
	return AuthorityTypeGeneric
}

func cloneExtra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}
