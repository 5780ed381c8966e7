package memory

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

// Find returns copies of the entries of q.HomeAccountID (compared case-insensitively,
// as cache keys are) in q.Partition whose environment is one of q.Environments (all
// when empty), plus the app metadata of q.ClientID. It reads one bucket: its cost is
// that of the account, whatever the size of the cache.
func (s *Store) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	p, err := s.partition(ctx, "find", q.Partition, false)
	if err != nil || p == nil {
		return domain.CacheEntries{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out domain.CacheEntries
	if b := p.buckets[domain.FoldHomeAccountID(q.HomeAccountID)]; b != nil {
		envs := q.Environments
		out.AccessTokens = collect(b.accessTokens, envs, func(t *domain.AccessToken) string { return t.Environment }, cloneAccessToken)
		out.RefreshTokens = collect(b.refreshTokens, envs, func(t *domain.RefreshToken) string { return t.Environment }, cloneRefreshToken)
		out.IDTokens = collect(b.idTokens, envs, func(t *domain.IDToken) string { return t.Environment }, cloneIDToken)
		out.Accounts = collect(b.accounts, envs, func(a *domain.Account) string { return a.Environment }, cloneAccount)
	}
	if q.ClientID != "" {
		for _, m := range p.appMetadata[fold(q.ClientID)] {
			if domain.MatchEnvironment(q.Environments, m.Environment) {
				out.AppMetadata = append(out.AppMetadata, cloneAppMetadata(m))
			}
		}
	}
	return out, nil
}

// collect returns copies of the entries of s in one of envs (all when empty).
func collect[E any](s []E, envs []string, env func(*E) string, clone func(E) E) []E {
	var out []E
	for i := range s {
		if domain.MatchEnvironment(envs, env(&s[i])) {
			out = append(out, clone(s[i]))
		}
	}
	return out
}

// Write applies w atomically: the access tokens w.DeleteAccessTokens names are removed
// first, then every entry of w is upserted (a refresh token only when it is not older
// than the stored one). An entry whose Extra holds a value that is not JSON fails the
// whole write, of class domain.ErrCacheStore wrapping domain.ErrInvalidInput, and
// nothing of it is stored.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	if err := s.begin(ctx, "write"); err != nil {
		return err
	}
	c, err := copySnapshot(w.Upserts())
	if err != nil {
		return storeErr("write", err)
	}
	p, err := s.partition(ctx, "write", w.Partition, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleteAccessTokens(w.DeleteAccessTokens)
	if kept := p.apply(c); kept > 0 {
		s.log.DebugContext(ctx, "memory: kept a newer refresh token", "partition", w.Partition)
	}
	return nil
}

// hitBuf backs the slices FindHit returns in one allocation: an account typically has
// one access token, one ID token and one account record of a client on one host; more
// spill into slices of their own.
type hitBuf struct {
	at   [1]domain.AccessToken
	idt  [1]domain.IDToken
	acct [1]domain.Account
}

// FindHit implements ports.HitReader: the access and ID tokens of q.ClientID and the
// account records of q.HomeAccountID, as Find would return them, copied as Find copies
// them. It reads the same bucket under the same lock.
func (s *Store) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	p, err := s.partition(ctx, "find", q.Partition, false)
	if err != nil || p == nil {
		return domain.CacheEntries{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	b := p.buckets[domain.FoldHomeAccountID(q.HomeAccountID)]
	if b == nil {
		return domain.CacheEntries{}, nil
	}
	var out domain.CacheEntries
	buf := new(hitBuf)
	envs, client := q.Environments, fold(q.ClientID)
	out.AccessTokens = buf.at[:0:1]
	for i := range b.accessTokens {
		if t := &b.accessTokens[i]; fold(t.ClientID) == client && domain.MatchEnvironment(envs, t.Environment) {
			out.AccessTokens = append(out.AccessTokens, cloneAccessToken(*t))
		}
	}
	out.IDTokens = buf.idt[:0:1]
	for i := range b.idTokens {
		if t := &b.idTokens[i]; fold(t.ClientID) == client && domain.MatchEnvironment(envs, t.Environment) {
			out.IDTokens = append(out.IDTokens, cloneIDToken(*t))
		}
	}
	out.Accounts = buf.acct[:0:1]
	for i := range b.accounts {
		if a := &b.accounts[i]; domain.MatchEnvironment(envs, a.Environment) {
			out.Accounts = append(out.Accounts, cloneAccount(*a))
		}
	}
	return out, nil
}
