package postgres

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// upsertSQL returns the statement that upserts rows of t given as one array per
// column ($2...) into partition $1: INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
// UPDATE, so that any number of entries cost one statement. A stored row is replaced
// only under the condition replace, if it is not empty (the stored row is t).
func upsertSQL(t sqlcache.Table, replace string) string {
	names, values, arrays := []string{"partition"}, []string{"$1"}, []string{}
	for i, c := range t.Columns {
		names = append(names, c.Name)
		v, typ := "u."+c.Name, "text"
		switch c.Type {
		case sqlcache.Integer:
			typ = "bigint"
		case sqlcache.JSON:
			v += "::json" // sent as text and cast
		case sqlcache.Bytes:
			typ = "bytea"
		}
		values = append(values, v)
		arrays = append(arrays, fmt.Sprintf("$%d::%s[]", i+2, typ))
	}
	return "INSERT INTO " + t.Name + " AS t (" + strings.Join(names, ", ") + ")\nSELECT " + strings.Join(values, ", ") +
		"\nFROM unnest(" + strings.Join(arrays, ", ") + ") AS u(" + strings.Join(names[1:], ", ") + ")" +
		sqlcache.OnConflictUpdate(t, replace)
}

// upserts are the upsert statements of the kinds, built once.
var upserts = map[sqlcache.Kind]string{
	sqlcache.KindAccessToken: upsertSQL(sqlcache.AccessTokens, ""),
	// A refresh token never replaces a newer one: the ordering rule is enforced in
	// the statement, so that it holds between processes.
	sqlcache.KindRefreshToken: upsertSQL(sqlcache.RefreshTokens, "excluded.cached_at >= t.cached_at"),
	sqlcache.KindIDToken:      upsertSQL(sqlcache.IDTokens, ""),
	sqlcache.KindAccount:      upsertSQL(sqlcache.Accounts, ""),
	sqlcache.KindAppMetadata:  upsertSQL(sqlcache.AppMetadata, ""),
	// A foreign section of the same name is replaced whole (domain.ForeignSection).
	sqlcache.KindForeignSection: upsertSQL(sqlcache.ForeignSections, ""),
}

// upsertChunk bounds the rows sent in one statement.
const upsertChunk = 2000

// buildBatches turns the entries of snap into upsert statements for partition, each a
// batch of one row: the partition and one array per column. Entries of one kind with
// the same key are reduced to the one a sequence of single writes would leave, and
// rows are sent in key order so that concurrent transactions lock them in the same
// order. It fails on an entry the database cannot store.
func buildBatches(partition string, snap domain.CacheSnapshot) ([]sqlcache.Batch, error) {
	if err := checkText("partition", partition); err != nil {
		return nil, err
	}
	for _, rt := range snap.RefreshTokens {
		// Refresh tokens are stored packed, in bytea, which holds any bytes; they are
		// held to what text holds, as every other secret is, so that what a store
		// accepts does not depend on the kind.
		if err := checkText("refresh_tokens.secret", string(rt.Secret)); err != nil {
			return nil, err
		}
	}
	snap = domain.CacheSnapshot{
		AccessTokens: dedupe(snap.AccessTokens, entryID[domain.AccessToken], nil),
		RefreshTokens: dedupe(snap.RefreshTokens, entryID[domain.RefreshToken], func(old, new domain.RefreshToken) bool {
			return new.CachedAt.Unix() >= old.CachedAt.Unix()
		}),
		IDTokens:        dedupe(snap.IDTokens, entryID[domain.IDToken], nil),
		Accounts:        dedupe(snap.Accounts, entryID[domain.Account], nil),
		AppMetadata:     dedupe(snap.AppMetadata, entryID[domain.AppMetadata], nil),
		ForeignSections: dedupe(snap.ForeignSections, func(f domain.ForeignSection) string { return f.Name }, nil),
	}
	var out []sqlcache.Batch
	for _, k := range sqlcache.RowsOf(snap, extraCodec) {
		for lo := 0; lo < k.Len; lo += upsertChunk {
			args, err := arrayArgs(k, lo, min(lo+upsertChunk, k.Len))
			if err != nil {
				return nil, err
			}
			out = append(out, sqlcache.Batch{Kind: k.Kind.String(), Query: upserts[k.Kind],
				Rows: [][]any{append([]any{partition}, args...)}})
		}
	}
	return out, nil
}

// entryID names an entry for dedupe: its key, which orders the rows as before (so that
// writers lock rows in one order), then NUL (which no text holds) and its identity
// fields, length-prefixed. Two entries whose keys collide are two entries (their
// KeyFields differ); the key alone merged them.
func entryID[E interface {
	Key() string
	KeyFields() [6]string
}](e E) string {
	f := e.KeyFields()
	return e.Key() + "\x00" + domain.JoinKey(f[:]...)
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
