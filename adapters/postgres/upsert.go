package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// table describes a cache table for the upsert statement built from it: its columns
// after partition, in the order of the arrays the args functions of columns.go
// return, and the condition, if any, under which a stored row is replaced.
type table struct {
	name    string
	columns []column
	replace string
}

// column is a column and its type; json columns are sent as text and cast.
type column struct{ name, typ string }

func cols(typ string, names ...string) []column {
	out := make([]column, len(names))
	for i, n := range names {
		out[i] = column{n, typ}
	}
	return out
}

// The cache tables, as created by migrations/0001_init.sql.
var (
	accessTokensTable = table{name: "access_tokens", columns: slices.Concat(
		cols("text", "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "realm", "target", "secret", "token_type"),
		cols("bigint", "cached_at", "expires_on", "extended_expires_on", "refresh_on"),
		cols("text", "key_id"), cols("json", "extra"))}
	// A refresh token never replaces a newer one: the ordering rule is enforced in
	// the statement, so that it holds between processes.
	refreshTokensTable = table{name: "refresh_tokens", columns: slices.Concat(
		cols("text", "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "family_id", "target", "secret"),
		cols("bigint", "cached_at"), cols("json", "extra")),
		replace: "excluded.cached_at >= t.cached_at"}
	idTokensTable = table{name: "id_tokens", columns: slices.Concat(
		cols("text", "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "realm", "secret"),
		cols("json", "extra"))}
	accountsTable = table{name: "accounts", columns: slices.Concat(
		cols("text", "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"realm", "local_account_id", "username", "username_folded", "name", "authority_type"),
		cols("json", "extra"))}
	appMetadataTable = table{name: "app_metadata", columns: slices.Concat(
		cols("text", "key", "client_id", "client_id_folded", "environment", "environment_folded", "family_id"),
		cols("json", "extra"))}
)

// upsertSQL returns the statement that upserts rows of t given as one array per
// column ($2...) into partition $1: INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
// UPDATE, so that any number of entries cost one statement.
func (t table) upsertSQL() string {
	names, values, arrays, sets := []string{"partition"}, []string{"$1"}, []string{}, []string{}
	for i, c := range t.columns {
		names = append(names, c.name)
		v, typ := "u."+c.name, c.typ
		if typ == "json" {
			v, typ = v+"::json", "text"
		}
		values = append(values, v)
		arrays = append(arrays, fmt.Sprintf("$%d::%s[]", i+2, typ))
		if c.name != "key" {
			sets = append(sets, c.name+" = excluded."+c.name)
		}
	}
	q := "INSERT INTO " + t.name + " AS t (" + strings.Join(names, ", ") + ")\nSELECT " + strings.Join(values, ", ") +
		"\nFROM unnest(" + strings.Join(arrays, ", ") + ") AS u(" + strings.Join(names[1:], ", ") + ")" +
		"\nON CONFLICT (partition, key) DO UPDATE SET " + strings.Join(sets, ", ")
	if t.replace != "" {
		q += "\nWHERE " + t.replace
	}
	return q
}

// The upsert statements, built once.
var (
	upsertAccessTokens  = accessTokensTable.upsertSQL()
	upsertRefreshTokens = refreshTokensTable.upsertSQL()
	upsertIDTokens      = idTokensTable.upsertSQL()
	upsertAccounts      = accountsTable.upsertSQL()
	upsertAppMetadata   = appMetadataTable.upsertSQL()
)

// upsertChunk bounds the rows sent in one statement.
const upsertChunk = 2000

// execBatches runs the upsert statements built by buildBatches within tx.
func execBatches(ctx context.Context, tx *sqlx.Tx, batches []batch) error {
	for _, b := range batches {
		if _, err := tx.ExecContext(ctx, b.query, b.args...); err != nil {
			return fmt.Errorf("upsert %s: %w", b.kind, err)
		}
	}
	return nil
}

// batch is one upsert statement and its arguments.
type batch struct {
	kind  string
	query string
	args  []any
}

// buildBatches turns the entries of snap into upsert statements for partition. Entries
// of one kind with the same key are reduced to the one a sequence of single writes
// would leave, and rows are sent in key order so that concurrent transactions lock
// them in the same order. It fails on an entry the database cannot store.
func buildBatches(partition string, snap domain.CacheSnapshot) ([]batch, error) {
	if err := checkText("partition", partition); err != nil {
		return nil, err
	}
	var out []batch
	add := func(kind, query string, n int, build func(lo, hi int) ([]any, error)) error {
		for lo := 0; lo < n; lo += upsertChunk {
			args, err := build(lo, min(lo+upsertChunk, n))
			if err != nil {
				return err
			}
			out = append(out, batch{kind: kind, query: query, args: append([]any{partition}, args...)})
		}
		return nil
	}
	ats := dedupe(snap.AccessTokens, domain.AccessToken.Key, nil)
	rts := dedupe(snap.RefreshTokens, domain.RefreshToken.Key, func(old, new domain.RefreshToken) bool {
		return new.CachedAt.Unix() >= old.CachedAt.Unix()
	})
	ids := dedupe(snap.IDTokens, domain.IDToken.Key, nil)
	accts := dedupe(snap.Accounts, domain.Account.Key, nil)
	metas := dedupe(snap.AppMetadata, domain.AppMetadata.Key, nil)
	for _, err := range []error{
		add("access tokens", upsertAccessTokens, len(ats), func(lo, hi int) ([]any, error) { return accessTokenArgs(ats[lo:hi]) }),
		add("refresh tokens", upsertRefreshTokens, len(rts), func(lo, hi int) ([]any, error) { return refreshTokenArgs(rts[lo:hi]) }),
		add("ID tokens", upsertIDTokens, len(ids), func(lo, hi int) ([]any, error) { return idTokenArgs(ids[lo:hi]) }),
		add("accounts", upsertAccounts, len(accts), func(lo, hi int) ([]any, error) { return accountArgs(accts[lo:hi]) }),
		add("app metadata", upsertAppMetadata, len(metas), func(lo, hi int) ([]any, error) { return appMetadataArgs(metas[lo:hi]) }),
	} {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dedupe returns the entries of in with distinct keys, sorted by key. Of two entries
// with the same key the later one wins, unless replaces (when not nil) says it may not
// replace the earlier one.
func dedupe[T any](in []T, key func(T) string, replaces func(old, new T) bool) []T {
	type keyed struct {
		key string
		v   T
	}
	byKey := make(map[string]int, len(in))
	out := make([]keyed, 0, len(in))
	for _, v := range in {
		k := key(v)
		i, seen := byKey[k]
		switch {
		case !seen:
			byKey[k] = len(out)
			out = append(out, keyed{k, v})
		case replaces == nil || replaces(out[i].v, v):
			out[i].v = v
		}
	}
	slices.SortFunc(out, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	vs := make([]T, len(out))
	for i, kv := range out {
		vs[i] = kv.v
	}
	return vs
}

// checkText refuses a string PostgreSQL's text type cannot hold: invalid UTF-8 or a
// NUL byte. The value itself is not quoted, as it may be a secret.
func checkText(field, v string) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%s is not valid UTF-8 text without NUL bytes", field)
	}
	return nil
}

// prefixed prefixes err's message with what it is about.
func prefixed(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// inputError reports an entry or query the store refuses: a store failure (class
// domain.ErrCacheStore, as the port requires) that also wraps domain.ErrInvalidInput.
func inputError(op string, err error) error {
	return &domain.Error{Class: domain.ErrCacheStore, Err: fmt.Errorf("postgres: %s: %w: %w", op, domain.ErrInvalidInput, err)}
}
