package postgres

import (
	"context"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// The union of the five tables: one SELECT per kind returning the columns of sqlcache.Row
// in order, the kind's sqlcache.Kind first, NULL for those the kind lacks, each column
// named so that a SELECT also stands alone; the key is computed from the identity
// columns (sqlcache.KeySQL) and each id read as written (sqlcache.AsWritten). Callers
// append the WHERE clauses.
var (
	selectAccessTokens = `SELECT 1 AS kind, ` + sqlcache.KeySQL(sqlcache.KindAccessToken) + ` AS key, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm, ` + sqlcache.AsWritten("target") + ` AS target,
	secret, token_type, NULL::text AS family_id, key_id, NULL::text AS local_account_id, NULL::text AS username,
	NULL::text AS name, NULL::text AS authority_type, cached_at, expires_on, extended_expires_on, refresh_on, extra, NULL::bytea AS secret_packed
	FROM access_tokens`
	selectRefreshTokens = `SELECT 2 AS kind, ` + sqlcache.KeySQL(sqlcache.KindRefreshToken) + ` AS key, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm,
	target, secret, NULL::text AS token_type, family_id, NULL::text AS key_id, NULL::text AS local_account_id,
	NULL::text AS username, NULL::text AS name, NULL::text AS authority_type, cached_at,
	NULL::bigint AS expires_on, NULL::bigint AS extended_expires_on, NULL::bigint AS refresh_on, extra, secret_packed
	FROM refresh_tokens`
	selectIDTokens = `SELECT 3 AS kind, ` + sqlcache.KeySQL(sqlcache.KindIDToken) + ` AS key, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm, NULL::text AS target,
	secret, NULL::text AS token_type, NULL::text AS family_id, NULL::text AS key_id, NULL::text AS local_account_id,
	NULL::text AS username, NULL::text AS name, NULL::text AS authority_type, NULL::bigint AS cached_at,
	NULL::bigint AS expires_on, NULL::bigint AS extended_expires_on, NULL::bigint AS refresh_on, extra, NULL::bytea AS secret_packed
	FROM id_tokens`
	selectAccounts = `SELECT 4 AS kind, ` + sqlcache.KeySQL(sqlcache.KindAccount) + ` AS key, ` +
		asWritten("home_account_id", "environment") + `, NULL::text AS client_id, realm,
	NULL::text AS target, NULL::text AS secret, NULL::text AS token_type, NULL::text AS family_id,
	NULL::text AS key_id, local_account_id, ` + sqlcache.AsWritten("username") + ` AS username, name, authority_type,
	NULL::bigint AS cached_at, NULL::bigint AS expires_on, NULL::bigint AS extended_expires_on, NULL::bigint AS refresh_on, extra, NULL::bytea AS secret_packed
	FROM accounts`
	selectAppMetadata = `SELECT 5 AS kind, ` + sqlcache.KeySQL(sqlcache.KindAppMetadata) + ` AS key, NULL::text AS home_account_id, ` +
		sqlcache.AsWritten("environment") + ` AS environment, ` + sqlcache.AsWritten("client_id") + ` AS client_id,
	NULL::text AS realm, NULL::text AS target, NULL::text AS secret, NULL::text AS token_type, family_id,
	NULL::text AS key_id, NULL::text AS local_account_id, NULL::text AS username, NULL::text AS name,
	NULL::text AS authority_type, NULL::bigint AS cached_at, NULL::bigint AS expires_on,
	NULL::bigint AS extended_expires_on, NULL::bigint AS refresh_on, extra, NULL::bytea AS secret_packed
	FROM app_metadata`
)

// asWritten returns the AsFolded columns names read as written and named as the
// columns, comma-separated.
func asWritten(names ...string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = sqlcache.AsWritten(n) + " AS " + n
	}
	return strings.Join(out, ", ")
}

// envFilter keeps rows whose environment is one of the folded array $3, or every row
// when the array is empty.
const envFilter = `(cardinality($3::text[]) = 0 OR environment_folded = ANY($3::text[]))`

// findQuery is Find's single statement: $1 partition, $2 folded home account id,
// $3 folded environments, $4 folded client id of the app metadata. Each branch uses an
// index whose leading columns are (partition, home_account_id_folded) or, for app
// metadata, (partition, client_id_folded).
var findQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter,
	selectRefreshTokens + ` WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter,
	selectIDTokens + ` WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter,
	selectAccounts + ` WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter,
	selectAppMetadata + ` WHERE partition = $1 AND client_id_folded = $4 AND ` + envFilter,
}, "\nUNION ALL\n")

// Find implements ports.TokenReader with one statement, hence one round trip to the
// server: the union of the five tables restricted to the account (and, for app
// metadata, the client), each branch served by an index.
func (s *Store) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	const op = "find"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheEntries{}, err
	}
	if err := checkQueryText(q.Partition, q.Environments, q.HomeAccountID, q.ClientID); err != nil {
		return domain.CacheEntries{}, inputError(op, err)
	}
	snap, err := s.read(ctx, q.Partition, findQuery,
		q.Partition, sqlcache.FoldHome(q.HomeAccountID), foldAll(q.Environments), sqlcache.Fold(q.ClientID))
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	return snap.Entries(), nil
}

// findHitQuery is FindHit's wide statement, which a row the narrow read (hitQuery)
// cannot decode falls back to: $1 partition, $2 folded home account id, $3
// folded environments, $4 folded client id. The tokens' branches use the
// (partition, home_account_id_folded, client_id_folded) indexes, the accounts'
// (partition, home_account_id_folded); no refresh tokens and no app metadata.
var findHitQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $4 AND ` + envFilter,
	selectIDTokens + ` WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $4 AND ` + envFilter,
	selectAccounts + ` WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter,
}, "\nUNION ALL\n")

// read runs a union query of partition's rows and decodes them. A read that failed
// because its connection was lost runs again on another connection (retryLost): the
// pool hands out idle connections without pinging them first.
func (s *Store) read(ctx context.Context, partition, query string, args ...any) (domain.CacheSnapshot, error) {
	var snap domain.CacheSnapshot
	err := s.retryLost(ctx, "read", s.idle, func() (bool, error) {
		var err error
		snap, err = s.scan(ctx, partition).Read(s.db.QueryxContext(ctx, query, args...))
		return true, err
	})
	return snap, err
}

// scan returns how the store reads the rows of a union query for partition: a row
// that is read but cannot be decoded is skipped and logged, a cache miss, not a
// failure.
func (s *Store) scan(ctx context.Context, partition string) sqlcache.Scan {
	return sqlcache.Scan{
		Extra:   extraCodec,
		Corrupt: func(r *sqlcache.Row, err error) { s.corruptRow(ctx, r, partition, err) },
	}
}

// corruptRow reports a row skipped as unreadable. The log names the table and the
// entry's key (which holds no secret), never the row's values.
func (s *Store) corruptRow(ctx context.Context, r *sqlcache.Row, partition string, err error) {
	s.log.WarnContext(ctx, "postgres: skipping a corrupt cache row",
		"schema", s.schema, "kind", r.Kind().String(), "partition", partition, "key", r.Key(), "error", err.Error())
}

// foldAll returns envs folded with their aliases (an Entra host matches its aliases on
// every path, DESIGN §3), never nil (a nil slice would be a NULL array).
func foldAll(envs []string) []string { return sqlcache.FoldEnvironments(envs) }
