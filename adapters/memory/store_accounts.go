package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Accounts returns copies of the account records of f.Partition matching f. With a
// username it reads the username index and never scans the partition; without one it
// scans that partition only. The ClientID filter keeps accounts that hold an access,
// refresh or ID token of that client in the account's environment or an alias of it.
func (s *Store) Accounts(ctx context.Context, f domain.AccountFilter) ([]domain.Account, error) {
	p, err := s.partition(ctx, "accounts", f.Partition, false)
	if err != nil || p == nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []domain.Account
	// One scratch bucket for the whole listing: each account is unpacked into it, and
	// what is kept is a fresh value (its strings immutable, its Extra map unpacked anew).
	b := new(bucket)
	keep := func(a *domain.Account) {
		if domain.MatchEnvironment(f.Environments, a.Environment) &&
			(f.ClientID == "" || b.hasClientToken(f.ClientID, a.Environment) || b.hasFamilyToken(f.Family, a.Environment)) {
			out = append(out, *a)
		}
	}
	if f.Username != "" {
		u := domain.FoldUsername(f.Username)
		for _, home := range p.usernames.homes(u) {
			if pk, ok := p.buckets[home]; ok {
				unpackListing(b, pk)
				for i := range b.accounts {
					if domain.FoldUsername(b.accounts[i].Username) == u {
						keep(&b.accounts[i])
					}
				}
			}
		}
		return out, nil
	}
	for _, pk := range p.buckets {
		unpackListing(b, pk)
		for i := range b.accounts {
			keep(&b.accounts[i])
		}
	}
	return out, nil
}

// hasClientToken reports whether the bucket holds a token of client in env or one of
// its aliases (MSAL .NET writes an account under one alias and its tokens under others).
func (b *bucket) hasClientToken(client, env string) bool {
	envs := []string{env}
	return b.anyToken(func(c, e, _ string) bool { return strings.EqualFold(c, client) && domain.MatchEnvironment(envs, e) })
}

// anyToken reports whether match holds for the client, environment and realm of one of
// the bucket's access, refresh or ID tokens.
func (b *bucket) anyToken(match func(client, env, realm string) bool) bool {
	for i := range b.accessTokens {
		if t := &b.accessTokens[i]; match(t.ClientID, t.Environment, t.Realm) {
			return true
		}
	}
	for i := range b.refreshTokens {
		if t := &b.refreshTokens[i]; match(t.ClientID, t.Environment, t.Realm) {
			return true
		}
	}
	for i := range b.idTokens {
		if t := &b.idTokens[i]; match(t.ClientID, t.Environment, t.Realm) {
			return true
		}
	}
	return false
}

// hasFamilyToken reports whether the bucket holds a family refresh token of family (any
// family for domain.AnyFamily; none for "") in env or one of its aliases.
func (b *bucket) hasFamilyToken(family, env string) bool {
	if family == "" {
		return false
	}
	envs := []string{env}
	for i := range b.refreshTokens {
		t := &b.refreshTokens[i]
		if t.FamilyID != "" && (family == domain.AnyFamily || strings.EqualFold(t.FamilyID, family)) && domain.MatchEnvironment(envs, t.Environment) {
			return true
		}
	}
	return false
}

// RemoveAccount deletes, atomically, the access, ID and refresh tokens of r.HomeAccountID
// issued to r.ClientID in r.Environments and their aliases (all when empty), and its
// family refresh tokens there when r.FamilyRefreshTokens; then its account records
// there, except a record for which a token of another client remains in the record's
// environment or an alias of it (ADR 0020: that app still lists the account by it).
// Other accounts are kept; an unknown account is not an error.
func (s *Store) RemoveAccount(ctx context.Context, r domain.AccountRemoval) error {
	p, err := s.partition(ctx, "remove account", r.Partition, false)
	if err != nil || p == nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.edit()
	b := e.bucket(domain.FoldHomeAccountID(r.HomeAccountID), false)
	if b == nil {
		return nil
	}
	in := func(env, realm string) bool {
		return domain.MatchEnvironment(r.Environments, env) && (len(r.Realms) == 0 || slices.Contains(r.Realms, realm))
	}
	ofClient := func(client, env, realm string) bool { return strings.EqualFold(client, r.ClientID) && in(env, realm) }
	dropWhere(accessTokens, b, func(t *domain.AccessToken) bool { return ofClient(t.ClientID, t.Environment, t.Realm) })
	dropWhere(idTokens, b, func(t *domain.IDToken) bool { return ofClient(t.ClientID, t.Environment, t.Realm) })
	dropWhere(refreshTokens, b, func(t *domain.RefreshToken) bool {
		return ofClient(t.ClientID, t.Environment, t.Realm) || (r.FamilyRefreshTokens && t.FamilyID != "" && in(t.Environment, t.Realm))
	})
	// Judged on what the deletions above left, so a family token that went with them
	// keeps nothing (ADR 0016).
	heldByAnother := func(acctEnv string) bool {
		envs := []string{acctEnv}
		return b.anyToken(func(client, env, realm string) bool {
			return !strings.EqualFold(client, r.ClientID) && domain.MatchEnvironment(envs, env) && in(env, realm)
		})
	}
	var gone []string
	dropWhere(accounts, b, func(a *domain.Account) bool {
		if in(a.Environment, a.Realm) && !heldByAnother(a.Environment) {
			gone = append(gone, a.Username)
			return true
		}
		return false
	})
	for _, u := range gone {
		p.unindexUsername(u, b)
	}
	e.commit()
	return nil
}
