package usecases

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

// refreshIdentity returns the cached account a silent refresh through authority is for
// and the cached ID-token claims its response must continue (DESIGN §3 "Every ID
// token"): those of the tenant the refresh is in, never another tenant's. A guest
// tenant's ID token has its own iss, sub and oid, so comparing it with the home
// tenant's would refuse every guest refresh. With no ID token cached for that tenant,
// prev is nil and the response is bound to the account by its stable identity, the home
// account id (Entra's client_info uid.utid, which a guest tenant's response carries
// unchanged; else sub), which domain.BuildCacheWrite checks against the account.
func (s *Silent) refreshIdentity(ctx context.Context, authority domain.Authority, acct domain.Account, found domain.CacheEntries) (domain.Account, *cachedIDToken) {
	s.e.learnTenantIDFromMetadata(ctx, authority)
	realms := s.e.realmsFor(authority, acct, found, nil)
	iss := issuerOf{authority: authority}
	for _, realm := range realms {
		for i := range found.IDTokens {
			t := &found.IDTokens[i]
			if !authority.SameRealm(t.Realm, realm) {
				continue
			}
			// Only an ID token the cache may serve as the account's (servableIDToken) is
			// the identity the response must continue, and the claims a response without
			// an ID token is returned with: another person's token filed under the
			// account would refuse the account's own refresh, or name that person.
			if c, ok := s.e.servableIDToken(ctx, &iss, found, acct, t); ok {
				return accountOf(found, authority, acct, t.Realm), &cachedIDToken{raw: t.Secret, claims: *c}
			}
		}
	}
	for _, realm := range realms {
		for _, a := range found.Accounts {
			if authority.SameRealm(a.Realm, realm) {
				return a, nil
			}
		}
	}
	if authority.IsIssuerRealm() {
		// Never another issuer's record, even when this one's is missing.
		acct.Realm = authority.Realm()
		return acct, nil
	}
	return accountOf(found, authority, acct, acct.Realm), nil
}

// cachedIDToken is the cached ID token a refresh continues: its claims, which the
// response's must continue, and the raw token, which a response without an ID token
// hands back in its result beside them (as a cache hit in that tenant would).
type cachedIDToken struct {
	raw    domain.Secret
	claims domain.IDTokenClaims
}
