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
