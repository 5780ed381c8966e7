package usecases

import (
	"context"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Accounts lists and removes the accounts this client knows in its partition.
type Accounts struct{ e *engine }

// NewAccounts returns the accounts use case.
func NewAccounts(cfg Config, deps Deps) (*Accounts, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &Accounts{e: e}, nil
}

// List returns one account per home account and cloud (aliases of one host are one
// environment) visible to this client (it holds a token issued to it) in its partition
// and authority's cloud, sorted by username (ignoring case), then home account id, then
// environment. A non-empty username keeps the accounts whose username equals it
// case-insensitively.
func (a *Accounts) List(ctx context.Context, username string) ([]domain.Account, error) {
	if err := firstErr(domain.CheckText("accounts: username filter", username, domain.MaxUsernameBytes), checkContext(ctx, "accounts: list")); err != nil {
		return nil, err
	}
	family, err := a.family(ctx)
	if err != nil {
		return nil, storeErr("accounts: list", err)
	}
	recs, err := a.e.store.Accounts(ctx, domain.AccountFilter{
		Partition: a.e.cfg.Partition, Environments: a.e.cfg.Authority.Environments(),
		Username: username, ClientID: a.e.cfg.ClientID, Family: family,
	})
	if err != nil {
		return nil, storeErr("accounts: list", err)
	}
	// Several records of one home account (one per tenant it visited, or one per alias
	// host its writers used) are one account: keep the home-tenant record, whose realm
	// is the home account id's tenant part, under the authority's own host when there is
	// one. An OIDC issuer lists only its own realm's accounts: another issuer on the same
	// host is another world, whatever subjects the two share.
	authority := a.e.cfg.Authority
	kept := make(map[domain.HomeAccount]int, len(recs)) // the index in recs of the record kept
	for i := range recs {
		r := &recs[i]
		if authority.IsIssuerRealm() && r.Realm != authority.Realm() {
			continue
		}
		k := domain.HomeAccount{HomeAccountID: authority.FoldHomeAccountID(r.HomeAccountID), Environment: domain.CanonicalEnvironment(r.Environment)}
		if cur, ok := kept[k]; !ok || preferRecord(authority, *r, recs[cur]) {
			kept[k] = i
		}
	}
	return sortAccounts(recs, kept), nil
}

// sortAccounts returns the records of recs at the indexes kept holds, sorted by folded
// username, then by home account id, then by environment. The folded usernames are
// computed once per account, not twice per comparison: a listing of 100,000 accounts
// makes some 1.7 million comparisons.
func sortAccounts(recs []domain.Account, kept map[domain.HomeAccount]int) []domain.Account {
	type sortKey struct {
		user string // folded
		acct *domain.Account
	}
	keys := make([]sortKey, 0, len(kept))
	for _, i := range kept {
		keys = append(keys, sortKey{user: domain.FoldUsername(recs[i].Username), acct: &recs[i]})
	}
	slices.SortFunc(keys, func(x, y sortKey) int {
		if c := strings.Compare(x.user, y.user); c != 0 {
			return c
		}
		if c := strings.Compare(x.acct.HomeAccountID, y.acct.HomeAccountID); c != 0 {
			return c
		}
		return strings.Compare(x.acct.Environment, y.acct.Environment)
	})
	out := make([]domain.Account, len(keys))
	for i, k := range keys {
		out[i] = *k.acct
	}
	return out
}

// preferRecord reports whether r should stand for its account rather than cur: the
// home-tenant record first, then the one under the authority's host.
func preferRecord(authority domain.Authority, r, cur domain.Account) bool {
	if isHomeRealm(r) != isHomeRealm(cur) {
		return isHomeRealm(r)
	}
	return strings.EqualFold(r.Environment, authority.Host) && !strings.EqualFold(cur.Environment, authority.Host)
}

// family returns the AccountFilter.Family of this client, as silent chooses the refresh
// tokens it may redeem (refreshCandidates): its app metadata's family when known, none
// when the metadata says it is in no family, any family when there is no metadata. So
// an account whose only refresh token is another app's family token (an imported MSAL
// cache, say) is listed to every app that silent would serve from it.
func (a *Accounts) family(ctx context.Context) (string, error) {
	found, err := a.e.store.Find(ctx, domain.CacheQuery{
		Partition: a.e.cfg.Partition, Environments: a.e.cfg.Authority.Environments(), ClientID: a.e.cfg.ClientID,
	})
	if err != nil {
		return "", err
	}
	return appFamily(found.AppMetadata, a.e.cfg.ClientID), nil
}

func isHomeRealm(a domain.Account) bool {
	_, tenant, ok := strings.Cut(a.HomeAccountID, ".")
	return ok && strings.EqualFold(tenant, a.Realm)
}

// Remove deletes the account's tokens issued to this client, in this partition only,
// atomically; for an OIDC issuer, only those of the issuer's realm. Other clients'
// tokens are kept, except the account's family refresh tokens (FOCI), which go too
// unless the app's metadata says it is in no family: silent would redeem them (ADR
// 0016). The account's records go too, unless another client's token of the account
// remains: that app still lists the account and can sign it out (ADR 0020); this one no
// longer lists it, its own tokens gone and its family filter the one the removal used.
// An account that is not in the cache is domain.ErrInvalidInput and changes nothing.
//
// Removal sticks (DESIGN §3): it runs while holding the account's refresh lock, the one
// every silent refresh of the account takes whichever refresh token it redeems, so a
// refresh that started earlier has written before the removal deletes, and one that
// starts later reads the cache again under the lock and finds nothing.
func (a *Accounts) Remove(ctx context.Context, acct domain.Account) error {
	if acct.HomeAccountID == "" {
		return domain.Errorf(domain.ErrInvalidInput, "accounts: remove needs an account")
	}
	if err := checkContext(ctx, "accounts: remove"); err != nil {
		return err
	}
	authority := a.e.cfg.Authority
	envs := domain.EnvironmentAliases(acct.Environment)
	if acct.Environment == "" {
		envs = authority.Environments()
	}
	found, err := a.e.store.Find(ctx, domain.CacheQuery{Partition: a.e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environments: envs, ClientID: a.e.cfg.ClientID})
	if err != nil {
		return storeErr("accounts: remove", err)
	}
	// Family refresh tokens go too unless the app is known to be in no family: silent
	// would redeem a sibling app's one (refreshCandidates) and write the account back, and
	// the sign-out would not stick (ADR 0016). The sibling apps are signed out with it.
	removal := domain.AccountRemoval{
		Partition: a.e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environments: envs, ClientID: a.e.cfg.ClientID,
		FamilyRefreshTokens: appFamily(found.AppMetadata, a.e.cfg.ClientID) != "",
	}
	if authority.IsIssuerRealm() {
		removal.Realms = []string{authority.Realm()}
		// Only the account's own entries decide that it exists: another subject that
		// matches only by the stores' Entra-shaped folding is another person (ofAccount).
		found = inRealm(ofAccount(found, authority, acct.HomeAccountID), authority.Realm())
	}
	if len(found.Accounts) == 0 && len(found.AccessTokens) == 0 && len(found.RefreshTokens) == 0 && len(found.IDTokens) == 0 {
		return domain.Errorf(domain.ErrInvalidInput, "accounts: no such account in this partition")
	}
	lock := domain.RefreshLockKey{
		Partition: a.e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environment: envs[0],
		Realm: authority.RefreshTokenRealm(),
	}
	err = a.e.store.WithRefreshLock(ctx, lock, func(ctx context.Context) error {
		return a.e.store.RemoveAccount(ctx, removal)
	})
	return storeErr("accounts: remove", err)
}

// inRealm keeps the entries of one issuer realm (an OIDC issuer's own).
func inRealm(found domain.CacheEntries, realm string) domain.CacheEntries {
	other := func(r string) bool { return r != realm }
	found.AccessTokens = slices.DeleteFunc(found.AccessTokens, func(t domain.AccessToken) bool { return other(t.Realm) })
	found.RefreshTokens = slices.DeleteFunc(found.RefreshTokens, func(t domain.RefreshToken) bool { return other(t.Realm) })
	found.IDTokens = slices.DeleteFunc(found.IDTokens, func(t domain.IDToken) bool { return other(t.Realm) })
	found.Accounts = slices.DeleteFunc(found.Accounts, func(t domain.Account) bool { return other(t.Realm) })
	return found
}
