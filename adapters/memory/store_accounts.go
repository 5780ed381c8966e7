package memory

import (
	"context"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Accounts returns copies of the account records of f.Partition matching f. With a
// username it reads the username index and never scans the partition; without one it
// scans that partition only. The ClientID filter keeps accounts that hold an access,
// refresh or ID token of that client in the account's environment.
func (s *Store) Accounts(ctx context.Context, f domain.AccountFilter) ([]domain.Account, error) {
	p, err := s.partition(ctx, "accounts", f.Partition, false)
	if err != nil || p == nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []domain.Account
	keep := func(b *bucket, a *domain.Account) {
		if domain.MatchEnvironment(f.Environments, a.Environment) && (f.ClientID == "" || b.hasClientToken(f.ClientID, a.Environment)) {
			out = append(out, cloneAccount(*a))
		}
	}
	if f.Username != "" {
		for _, key := range p.usernames[domain.FoldUsername(f.Username)] {
			if b := p.where[entryID{kindAccount, key}]; b != nil {
				if a := lookup(p, kindAccount, accounts, key); a != nil {
					keep(b, a)
				}
			}
		}
		return out, nil
	}
	for _, b := range p.buckets {
		for i := range b.accounts {
			keep(b, &b.accounts[i].entry)
		}
	}
	return out, nil
}

// hasClientToken reports whether the bucket holds a token of client in env.
func (b *bucket) hasClientToken(client, env string) bool {
	of := func(c, e string) bool { return strings.EqualFold(c, client) && strings.EqualFold(e, env) }
	for i := range b.accessTokens {
		if t := &b.accessTokens[i].entry; of(t.ClientID, t.Environment) {
			return true
		}
	}
	for i := range b.refreshTokens {
		if t := &b.refreshTokens[i].entry; of(t.ClientID, t.Environment) {
			return true
		}
	}
	for i := range b.idTokens {
		if t := &b.idTokens[i].entry; of(t.ClientID, t.Environment) {
			return true
		}
	}
	return false
}

// RemoveAccount deletes, atomically, the account records of r.HomeAccountID in
// r.Environments (all when empty) and its access, ID and refresh tokens issued to
// r.ClientID there. Other clients' tokens and other accounts are kept; an unknown
// account is not an error.
func (s *Store) RemoveAccount(ctx context.Context, r domain.AccountRemoval) error {
	p, err := s.partition(ctx, "remove account", r.Partition, false)
	if err != nil || p == nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[fold(r.HomeAccountID)]
	if b == nil {
		return nil
	}
	inEnv := func(env string) bool { return domain.MatchEnvironment(r.Environments, env) }
	ofClient := func(client, env string) bool { return strings.EqualFold(client, r.ClientID) && inEnv(env) }
	dropWhere(p, kindAccessToken, accessTokens, b, func(t *domain.AccessToken) bool { return ofClient(t.ClientID, t.Environment) }, nil)
	dropWhere(p, kindIDToken, idTokens, b, func(t *domain.IDToken) bool { return ofClient(t.ClientID, t.Environment) }, nil)
	dropWhere(p, kindRefreshToken, refreshTokens, b, func(t *domain.RefreshToken) bool { return ofClient(t.ClientID, t.Environment) }, nil)
	dropWhere(p, kindAccount, accounts, b, func(a *domain.Account) bool { return inEnv(a.Environment) },
		func(a *domain.Account) { p.unindexUsername(a.Username, a.Key()) })
	p.pruneBucket(b)
	return nil
}
