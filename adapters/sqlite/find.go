package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// findQuery is Find's statement: ?1 partition, ?2 folded home account id, ?3 folded
// client id of the app metadata. Each branch of the union is an index search whose
// leading columns are (partition, home_account_id_folded) or, for app metadata,
// (partition, client_id_folded). The environments are filtered in Go: an account has a
// handful of rows, and an IN list in every branch would cost more than the rows it
// saves (it nearly doubles the cost of the statement in modernc.org/sqlite).
var findQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = ?1 AND home_account_id_folded = ?2`,
	selectRefreshTokens + ` WHERE partition = ?1 AND home_account_id_folded = ?2`,
	selectIDTokens + ` WHERE partition = ?1 AND home_account_id_folded = ?2`,
	selectAccounts + ` WHERE partition = ?1 AND home_account_id_folded = ?2`,
	selectAppMetadata + ` WHERE partition = ?1 AND client_id_folded = ?3`,
}, "\nUNION ALL\n")

// Find implements ports.TokenReader with one statement, prepared once: the union of
// the five tables restricted to the account (and, for app metadata, the client), each
// branch an index search. One statement reads one consistent snapshot, so a concurrent
// Write is seen whole or not at all. Corrupt rows are skipped and logged.
func (s *Store) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	const op = "find"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheEntries{}, err
	}
	snap, err := s.scan(ctx, q.Partition, newEnvFilter(q.Environments)).
		Read(s.find.QueryxContext(ctx, q.Partition, sqlcache.FoldHome(q.HomeAccountID), sqlcache.Fold(q.ClientID)))
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	return snap.Entries(), nil
}

// envSet keeps rows whose environment is one of a list, compared folded; a nil envSet
// keeps every row.
type envSet []string

// newEnvFilter returns the envSet of envs and their aliases; nil (every environment)
// when envs is empty.
func newEnvFilter(envs []string) envSet {
	if len(envs) == 0 {
		return nil
	}
	return envSet(sqlcache.FoldEnvironments(envs))
}

// keeps reports whether a row of environment env passes the filter. A row whose
// environment cannot be read is kept, to be decoded and reported as corrupt.
func (f envSet) keeps(env any) bool {
	if f == nil {
		return true
	}
	e, ok := env.(string)
	return !ok || slices.Contains(f, sqlcache.Fold(e))
}

// keepsEnv reports whether a row of environment env passes the filter.
func (f envSet) keepsEnv(env string) bool {
	return f == nil || slices.Contains(f, sqlcache.Fold(env))
}

// findHitQuery is FindHit's wide statement, read when the narrow one (hitQuery) meets
// a row it cannot decode exactly: ?1 partition, ?2 folded home account id, ?3
// folded client id. Three index searches on (partition, home_account_id_folded,
// client_id_folded) for the tokens and (partition, home_account_id_folded) for the
// accounts; no refresh tokens (1.2 KB each for Entra) and no app metadata.
var findHitQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	selectIDTokens + ` WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	selectAccounts + ` WHERE partition = ?1 AND home_account_id_folded = ?2`,
}, "\nUNION ALL\n")
