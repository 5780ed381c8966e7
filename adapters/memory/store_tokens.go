package memory

import (
	"context"
	"slices"
	"strings"

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
	if pk, ok := p.buckets[domain.FoldHomeAccountID(q.HomeAccountID)]; ok {
		b, envs := unpackInto(&bucket{}, pk), q.Environments // unpacked fresh: nothing shared
		out.AccessTokens = collect(b.accessTokens, envs, func(t *domain.AccessToken) string { return t.Environment })
		out.RefreshTokens = collect(b.refreshTokens, envs, func(t *domain.RefreshToken) string { return t.Environment })
		out.IDTokens = collect(b.idTokens, envs, func(t *domain.IDToken) string { return t.Environment })
		out.Accounts = collect(b.accounts, envs, func(a *domain.Account) string { return a.Environment })
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

// collect returns the entries of s in one of envs (all when empty), nil for none.
func collect[E any](s []E, envs []string, env func(*E) string) []E {
	s = slices.DeleteFunc(s, func(e E) bool { return !domain.MatchEnvironment(envs, env(&e)) })
	if len(s) == 0 {
		return nil
	}
	return s
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
	e := p.edit()
	deleteAccessTokens(e, w.DeleteAccessTokens)
	kept := p.apply(e, c)
	e.commit()
	if kept > 0 {
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
// account records of q.HomeAccountID, as Find would return them. It reads the same
// bucket under the same lock, and unpacks only the access tokens, ID tokens and
// account records: their strings are substrings of the packed form, so a hit copies
// no token.
func (s *Store) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	p, err := s.partition(ctx, "find", q.Partition, false)
	if err != nil || p == nil {
		return domain.CacheEntries{}, err
	}
	p.mu.RLock()
	pk, ok := p.buckets[domain.FoldHomeAccountID(q.HomeAccountID)]
	p.mu.RUnlock() // pk is immutable: reading it needs no lock
	if !ok {
		return domain.CacheEntries{}, nil
	}
	var out domain.CacheEntries
	buf := new(hitBuf)
	envs, client := q.Environments, q.ClientID
	u := newUnpacker(pk)
	out.AccessTokens = buf.at[:0:1]
	for n := u.uv(); n > 0; n-- {
		var t domain.AccessToken
		if u.accessToken(&t); sameClientID(t.ClientID, client) && domain.MatchEnvironment(envs, t.Environment) {
			out.AccessTokens = append(out.AccessTokens, t)
		}
	}
	out.IDTokens = buf.idt[:0:1]
	for n := u.uv(); n > 0; n-- {
		var t domain.IDToken
		if u.idToken(&t); sameClientID(t.ClientID, client) && domain.MatchEnvironment(envs, t.Environment) {
			out.IDTokens = append(out.IDTokens, t)
		}
	}
	out.Accounts = buf.acct[:0:1]
	for n := u.uv(); n > 0; n-- {
		var a domain.Account
		if u.account(&a); domain.MatchEnvironment(envs, a.Environment) {
			out.Accounts = append(out.Accounts, a)
		}
	}
	return out, nil // the refresh tokens, last in the table, are never read
}

// StableSecrets implements ports.StableSecrets: the secrets a read returns are
// substrings of an account's packed form, an immutable string this store allocated,
// or refresh tokens unpacked fresh; a repeat read of an unchanged account returns the
// same strings.
func (s *Store) StableSecrets() {}

// sameClientID compares client ids case-insensitively, as Find does; the exact match
// first, the common case, which costs a memory compare where EqualFold folds every byte.
func sameClientID(a, b string) bool { return a == b || strings.EqualFold(a, b) }
