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

// List returns one account per home account and environment visible to this client (it
// holds a token issued to it) in its partition and authority's cloud, sorted by username
// then home account id. A non-empty username keeps the accounts whose username equals it
// case-insensitively.
func (a *Accounts) List(ctx context.Context, username string) ([]domain.Account, error) {
	recs, err := a.e.store.Accounts(ctx, domain.AccountFilter{
		Partition: a.e.cfg.Partition, Environments: a.e.cfg.Authority.Environments(),
		Username: username, ClientID: a.e.cfg.ClientID,
	})
	if err != nil {
		return nil, storeErr("accounts: list", err)
	}
	// Several records of one home account (one per tenant it visited) are one account:
	// keep the home-tenant record, whose realm is the home account id's tenant part.
	byHome := map[domain.HomeAccount]domain.Account{}
	for _, r := range recs {
		k := domain.HomeAccount{HomeAccountID: r.HomeAccountID, Environment: strings.ToLower(r.Environment)}
		if cur, ok := byHome[k]; !ok || (!isHomeRealm(cur) && isHomeRealm(r)) {
			byHome[k] = r
		}
	}
	out := make([]domain.Account, 0, len(byHome))
	for _, acct := range byHome {
		out = append(out, acct)
	}
	slices.SortFunc(out, func(x, y domain.Account) int {
		if c := strings.Compare(domain.FoldUsername(x.Username), domain.FoldUsername(y.Username)); c != 0 {
			return c
		}
		return strings.Compare(x.HomeAccountID+x.Environment, y.HomeAccountID+y.Environment)
	})
	return out, nil
}

func isHomeRealm(a domain.Account) bool {
	_, tenant, ok := strings.Cut(a.HomeAccountID, ".")
	return ok && strings.EqualFold(tenant, a.Realm)
}

// Remove deletes the account's records and its tokens issued to this client, in this
// partition only, atomically. Other clients' tokens are kept. An account that is not in
// the cache is domain.ErrInvalidInput and changes nothing.
func (a *Accounts) Remove(ctx context.Context, acct domain.Account) error {
	if acct.HomeAccountID == "" {
		return domain.Errorf(domain.ErrInvalidInput, "accounts: remove needs an account")
	}
	envs := domain.EnvironmentAliases(acct.Environment)
	if acct.Environment == "" {
		envs = a.e.cfg.Authority.Environments()
	}
	found, err := a.e.store.Find(ctx, domain.CacheQuery{Partition: a.e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environments: envs, ClientID: a.e.cfg.ClientID})
	if err != nil {
		return storeErr("accounts: remove", err)
	}
	if len(found.Accounts) == 0 && len(found.AccessTokens) == 0 && len(found.RefreshTokens) == 0 && len(found.IDTokens) == 0 {
		return domain.Errorf(domain.ErrInvalidInput, "accounts: no such account in this partition")
	}
	err = a.e.store.RemoveAccount(ctx, domain.AccountRemoval{
		Partition: a.e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environments: envs, ClientID: a.e.cfg.ClientID,
	})
	return storeErr("accounts: remove", err)
}
