package sqlite

import (
	"fmt"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// upsertSQL returns the statement that inserts one row of t, given as partition ?1 and
// then t's columns in order, or, when a row of the same partition and identity exists,
// updates it, under the condition replace if it is not empty.
func upsertSQL(t sqlcache.Table, replace string) string {
	names := []string{"partition"}
	marks := []string{"?1"}
	for i, c := range t.Columns {
		names = append(names, c.Name)
		marks = append(marks, fmt.Sprintf("?%d", i+2))
	}
	return "INSERT INTO " + t.Name + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")" +
		sqlcache.OnConflictUpdate(t, replace)
}

// upserts are the upsert statements of the kinds, built once.
var upserts = map[sqlcache.Kind]string{
	sqlcache.KindAccessToken: upsertSQL(sqlcache.AccessTokens, ""),
	// A refresh token never replaces a newer one: the ordering rule is enforced in the
	// statement, so that it holds between processes. A stored row whose cached_at is
	// not an integer is corrupt (Find skips it) and is replaced: SQLite orders every
	// integer before every text, so without the typeof test it would never be.
	sqlcache.KindRefreshToken: upsertSQL(sqlcache.RefreshTokens,
		"typeof(refresh_tokens.cached_at) <> 'integer' OR excluded.cached_at >= refresh_tokens.cached_at"),
	sqlcache.KindIDToken:     upsertSQL(sqlcache.IDTokens, ""),
	sqlcache.KindAccount:     upsertSQL(sqlcache.Accounts, ""),
	sqlcache.KindAppMetadata: upsertSQL(sqlcache.AppMetadata, ""),
	// A foreign section of the same name is replaced whole (domain.ForeignSection).
	sqlcache.KindForeignSection: upsertSQL(sqlcache.ForeignSections, ""),
}

// buildBatches turns the entries of snap into rows for partition, one batch per kind,
// encoding every Extra first: an entry the store refuses fails the whole call before
// anything is written. Entries of one kind with the same key are upserted in their
// order, so the result is that of a sequence of single writes.
func buildBatches(partition string, snap domain.CacheSnapshot) ([]sqlcache.Batch, error) {
	out := make([]sqlcache.Batch, 0, 5)
	for _, k := range sqlcache.RowsOf(snap, extraCodec) {
		if k.Len == 0 {
			continue
		}
		b := sqlcache.Batch{Kind: k.Kind.String(), Query: upserts[k.Kind], Rows: make([][]any, k.Len)}
		for i := range k.Len {
			vals, err := k.Values(i)
			if err != nil {
				return nil, fmt.Errorf("%s %d: %w", k.Kind, i, err)
			}
			b.Rows[i] = append([]any{partition}, vals...)
		}
		out = append(out, b)
	}
	return out, nil
}
