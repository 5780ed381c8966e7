package usecases

import (
	"context"
	"strings"

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
func (s *Silent) refreshIdentity(ctx context.Context, authority domain.Authority, acct domain.Account, found domain.CacheEntries) (domain.Account, *domain.IDTokenClaims) {
	s.e.learnTenantIDFromMetadata(ctx, authority)
	realms := s.e.realmsFor(authority, acct, found)
	for _, realm := range realms {
		for _, t := range found.IDTokens {
			if t.ClientID != s.e.cfg.ClientID || !sameRealm(authority, t.Realm, realm) {
				continue
			}
			if _, c, err := domain.ParseIDToken(string(t.Secret)); err == nil {
				return accountOf(found, acct, t.Realm), &c
			}
		}
	}
	for _, realm := range realms {
		for _, a := range found.Accounts {
			if sameRealm(authority, a.Realm, realm) {
				return a, nil
			}
		}
	}
	return accountOf(found, acct, acct.Realm), nil
}

// sameRealm compares realms: Entra and B2C tenants case-insensitively (an authority may
// spell a tenant id in capitals; tid claims are lower case), an OIDC issuer's path
// exactly, as its issuer is compared.
func sameRealm(authority domain.Authority, a, b string) bool {
	if authority.Kind == domain.AuthorityEntra || authority.Kind == domain.AuthorityB2C {
		return strings.EqualFold(a, b)
	}
	return a == b
}
