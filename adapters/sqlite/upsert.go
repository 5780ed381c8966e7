package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// table describes a cache table for the upsert statement built from it: its columns,
// partition first, in the order of the values the row functions below return, and the
// condition, if any, under which a stored row is replaced.
type table struct {
	name    string
	columns []string
	replace string
}

// The cache tables, as created by migrations/0001_init.sql.
var (
	accessTokensTable = table{name: "access_tokens", columns: []string{"partition", "key",
		"home_account_id", "home_account_id_folded", "environment", "environment_folded", "client_id", "client_id_folded",
		"realm", "target", "secret", "token_type", "cached_at", "expires_on", "extended_expires_on", "refresh_on",
		"key_id", "extra"}}
	// A refresh token never replaces a newer one: the ordering rule is enforced in the
	// statement, so that it holds between processes. A stored row whose cached_at is not
	// an integer is corrupt (Find skips it) and is replaced: SQLite orders every
	// integer before every text, so without the typeof test it would never be.
	refreshTokensTable = table{name: "refresh_tokens", columns: []string{"partition", "key",
		"home_account_id", "home_account_id_folded", "environment", "environment_folded", "client_id", "client_id_folded",
		"family_id", "target", "secret", "cached_at", "extra"},
		replace: "typeof(refresh_tokens.cached_at) <> 'integer' OR excluded.cached_at >= refresh_tokens.cached_at"}
	idTokensTable = table{name: "id_tokens", columns: []string{"partition", "key",
		"home_account_id", "home_account_id_folded", "environment", "environment_folded", "client_id", "client_id_folded",
		"realm", "secret", "extra"}}
	accountsTable = table{name: "accounts", columns: []string{"partition", "key",
		"home_account_id", "home_account_id_folded", "environment", "environment_folded", "realm", "local_account_id",
		"username", "username_folded", "name", "authority_type", "extra"}}
	appMetadataTable = table{name: "app_metadata", columns: []string{"partition", "key",
		"client_id", "client_id_folded", "environment", "environment_folded", "family_id", "extra"}}
)

// upsertSQL returns the statement that inserts one row of t or, when a row of the same
// (partition, key) exists, updates it (under t.replace, if set).
func (t table) upsertSQL() string {
	marks := make([]string, len(t.columns))
	var sets []string
	for i, c := range t.columns {
		marks[i] = fmt.Sprintf("?%d", i+1)
		if c != "partition" && c != "key" {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	q := "INSERT INTO " + t.name + " (" + strings.Join(t.columns, ", ") + ") VALUES (" + strings.Join(marks, ", ") +
		")\nON CONFLICT (partition, key) DO UPDATE SET " + strings.Join(sets, ", ")
	if t.replace != "" {
		q += "\nWHERE " + t.replace
	}
	return q
}

// The upsert statements, built once.
var (
	upsertAccessToken  = accessTokensTable.upsertSQL()
	upsertRefreshToken = refreshTokensTable.upsertSQL()
	upsertIDToken      = idTokensTable.upsertSQL()
	upsertAccount      = accountsTable.upsertSQL()
	upsertAppMetadata  = appMetadataTable.upsertSQL()
)

// batch is the rows of one table to upsert, each a list of column values.
type batch struct {
	kind  string
	query string
	rows  [][]any
}

// buildBatches turns the entries of snap into rows for partition, encoding every Extra
// first: an entry the store refuses fails the whole call before anything is written.
// Entries of one kind with the same key are upserted in their order, so the result is
// that of a sequence of single writes.
func buildBatches(partition string, snap domain.CacheSnapshot) ([]batch, error) {
	out := make([]batch, 0, 5)
	add := func(kind, query string, n int, row func(i int) ([]any, error)) error {
		if n == 0 {
			return nil
		}
		b := batch{kind: kind, query: query, rows: make([][]any, n)}
		for i := range n {
			r, err := row(i)
			if err != nil {
				return fmt.Errorf("%s %d: %w", kind, i, err)
			}
			b.rows[i] = r
		}
		out = append(out, b)
		return nil
	}
	for _, err := range []error{
		add("access token", upsertAccessToken, len(snap.AccessTokens), func(i int) ([]any, error) {
			return accessTokenRow(partition, snap.AccessTokens[i])
		}),
		add("refresh token", upsertRefreshToken, len(snap.RefreshTokens), func(i int) ([]any, error) {
			return refreshTokenRow(partition, snap.RefreshTokens[i])
		}),
		add("ID token", upsertIDToken, len(snap.IDTokens), func(i int) ([]any, error) { return idTokenRow(partition, snap.IDTokens[i]) }),
		add("account", upsertAccount, len(snap.Accounts), func(i int) ([]any, error) { return accountRow(partition, snap.Accounts[i]) }),
		add("app metadata", upsertAppMetadata, len(snap.AppMetadata), func(i int) ([]any, error) {
			return appMetadataRow(partition, snap.AppMetadata[i])
		}),
	} {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// execBatches upserts the rows of batches within tx, one prepared statement per table.
func execBatches(ctx context.Context, tx *sqlx.Tx, batches []batch) error {
	for _, b := range batches {
		if err := execBatch(ctx, tx, b); err != nil {
			return err
		}
	}
	return nil
}

func execBatch(ctx context.Context, tx *sqlx.Tx, b batch) error {
	if len(b.rows) == 1 {
		if _, err := tx.ExecContext(ctx, b.query, b.rows[0]...); err != nil {
			return fmt.Errorf("upsert %s: %w", b.kind, err)
		}
		return nil
	}
	stmt, err := tx.PreparexContext(ctx, b.query)
	if err != nil {
		return fmt.Errorf("prepare upsert of %s: %w", b.kind, err)
	}
	defer stmt.Close()
	for _, r := range b.rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("upsert %s: %w", b.kind, err)
		}
	}
	return nil
}

// The functions below return an entry's row: the values of its table's columns in
// order.

func accessTokenRow(partition string, t domain.AccessToken) ([]any, error) {
	extra, err := encodeExtra(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{partition, t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
		t.ClientID, fold(t.ClientID), t.Realm, t.Target, string(t.Secret), t.TokenType,
		t.CachedAt.Unix(), t.ExpiresOn.Unix(), t.ExtendedExpiresOn.Unix(), t.RefreshOn.Unix(), t.KeyID, extra}, nil
}

func refreshTokenRow(partition string, t domain.RefreshToken) ([]any, error) {
	extra, err := encodeExtra(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{partition, t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
		t.ClientID, fold(t.ClientID), t.FamilyID, t.Target, string(t.Secret), t.CachedAt.Unix(), extra}, nil
}

func idTokenRow(partition string, t domain.IDToken) ([]any, error) {
	extra, err := encodeExtra(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{partition, t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
		t.ClientID, fold(t.ClientID), t.Realm, string(t.Secret), extra}, nil
}

func accountRow(partition string, a domain.Account) ([]any, error) {
	extra, err := encodeExtra(a.Extra)
	if err != nil {
		return nil, err
	}
	return []any{partition, a.Key(), a.HomeAccountID, fold(a.HomeAccountID), a.Environment, fold(a.Environment),
		a.Realm, a.LocalAccountID, a.Username, domain.FoldUsername(a.Username), a.Name, a.AuthorityType, extra}, nil
}

func appMetadataRow(partition string, m domain.AppMetadata) ([]any, error) {
	extra, err := encodeExtra(m.Extra)
	if err != nil {
		return nil, err
	}
	return []any{partition, m.Key(), m.ClientID, fold(m.ClientID), m.Environment, fold(m.Environment), m.FamilyID, extra}, nil
}
