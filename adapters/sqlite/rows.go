package sqlite

import (
	"strings"

	"github.com/hexauth/hexauth/internal/sqlcache"
)

// extraCodec encodes the extra column: SQLite text holds any bytes, and an empty Extra
// is stored as NULL, as a nil one.
var extraCodec = sqlcache.ExtraCodec{EmptyIsNull: true}

// The union of the five tables: one SELECT per kind returning the columns of
// sqlcache.Row in order, the kind's sqlcache.Kind first, NULL for those the kind
// lacks; the key is computed from the identity columns (sqlcache.KeySQL) and each id
// read as written (sqlcache.AsWritten). Callers append the WHERE clauses.
var (
	selectAccessTokens = `SELECT 1, ` + sqlcache.KeySQL(sqlcache.KindAccessToken) + `, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm, ` + sqlcache.AsWritten("target") + `, secret,
	token_type, NULL, key_id, NULL, NULL, NULL, NULL, cached_at, expires_on, extended_expires_on, refresh_on, extra, NULL
	FROM access_tokens`
	selectRefreshTokens = `SELECT 2, ` + sqlcache.KeySQL(sqlcache.KindRefreshToken) + `, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm, target, secret,
	NULL, family_id, NULL, NULL, NULL, NULL, NULL, cached_at, NULL, NULL, NULL, extra, secret_packed
	FROM refresh_tokens`
	selectIDTokens = `SELECT 3, ` + sqlcache.KeySQL(sqlcache.KindIDToken) + `, ` +
		asWritten("home_account_id", "environment", "client_id") + `, realm, NULL, secret,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, extra, NULL
	FROM id_tokens`
	selectAccounts = `SELECT 4, ` + sqlcache.KeySQL(sqlcache.KindAccount) + `, ` +
		asWritten("home_account_id", "environment") + `, NULL, realm, NULL, NULL,
	NULL, NULL, NULL, local_account_id, ` + sqlcache.AsWritten("username") + `, name, authority_type, NULL, NULL, NULL, NULL, extra, NULL
	FROM accounts`
	selectAppMetadata = `SELECT 5, ` + sqlcache.KeySQL(sqlcache.KindAppMetadata) + `, NULL, ` +
		sqlcache.AsWritten("environment") + `, ` + sqlcache.AsWritten("client_id") + `, NULL, NULL, NULL,
	NULL, family_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, extra, NULL
	FROM app_metadata`
)

// asWritten returns the AsFolded columns names read as written, comma-separated.
func asWritten(names ...string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = sqlcache.AsWritten(n)
	}
	return strings.Join(out, ", ")
}
