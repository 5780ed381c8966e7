package sqlcache

import (
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// ColumnType is the type of a cache table's column, as an upsert sends it.
type ColumnType int

// The column types: Go values string, int64 and *string (nil is NULL) respectively.
const (
	Text ColumnType = iota
	Integer
	JSON
)

// TableColumn is a column of a cache table.
type TableColumn struct {
	Name string
	Type ColumnType
}

// Table is a cache table, as both adapters' migrations create it: its name and the
// columns an upsert writes after partition (the first of the primary key), in the
// order of the values KindRows.Values returns. Do not modify the tables below.
type Table struct {
	Name    string
	Columns []TableColumn
}

func columns(typ ColumnType, names ...string) []TableColumn {
	out := make([]TableColumn, len(names))
	for i, n := range names {
		out[i] = TableColumn{n, typ}
	}
	return out
}

// The cache tables, one per entry kind.
var (
	AccessTokens = Table{Name: "access_tokens", Columns: slices.Concat(
		columns(Text, "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "realm", "target", "secret", "token_type"),
		columns(Integer, "cached_at", "expires_on", "extended_expires_on", "refresh_on"),
		columns(Text, "key_id"), columns(JSON, "extra"))}
	RefreshTokens = Table{Name: "refresh_tokens", Columns: slices.Concat(
		columns(Text, "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "family_id", "target", "secret"),
		columns(Integer, "cached_at"), columns(JSON, "extra"), columns(Text, "realm"))}
	IDTokens = Table{Name: "id_tokens", Columns: slices.Concat(
		columns(Text, "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"client_id", "client_id_folded", "realm", "secret"),
		columns(JSON, "extra"))}
	Accounts = Table{Name: "accounts", Columns: slices.Concat(
		columns(Text, "key", "home_account_id", "home_account_id_folded", "environment", "environment_folded",
			"realm", "local_account_id", "username", "username_folded", "name", "authority_type"),
		columns(JSON, "extra"))}
	AppMetadata = Table{Name: "app_metadata", Columns: slices.Concat(
		columns(Text, "key", "client_id", "client_id_folded", "environment", "environment_folded", "family_id"),
		columns(JSON, "extra"))}
	// ForeignSections keeps a partition's foreign sections (migration 0003): key is the
	// section's name, value its JSON, replaced whole by an upsert of the same name.
	ForeignSections = Table{Name: "foreign_sections", Columns: slices.Concat(columns(Text, "key"), columns(JSON, "value"))}
)

// OnConflictUpdate returns the clause that ends an upsert of a row of t, in the syntax
// SQLite and PostgreSQL share: when a row of the same (partition, key) exists, its
// other columns are set from the new row ("excluded"), if replace is empty or holds.
func OnConflictUpdate(t Table, replace string) string {
	sets := make([]string, 0, len(t.Columns))
	for _, c := range t.Columns {
		if c.Name != "key" {
			sets = append(sets, c.Name+" = excluded."+c.Name)
		}
	}
	q := "\nON CONFLICT (partition, key) DO UPDATE SET " + strings.Join(sets, ", ")
	if replace != "" {
		q += "\nWHERE " + replace
	}
	return q
}

// KindRows is the entries of one kind of a snapshot, as rows of the kind's table.
type KindRows struct {
	Kind  Kind
	Table Table
	// Len is the number of entries.
	Len    int
	values func(i int) ([]any, error)
}

// Values returns the values of the i-th entry's row, in the order of Table.Columns:
// the entry key, the ids and their folded forms, times as Unix seconds and the Extra
// fields encoded by the codec given to RowsOf. An Extra the codec refuses is an error
// that names the field, never its value.
func (k KindRows) Values(i int) ([]any, error) { return k.values(i) }

// RowsOf returns the entries of snap kind by kind, every kind in Kind order, so that a
// store writes them as a sequence of single writes would.
func RowsOf(snap domain.CacheSnapshot, codec ExtraCodec) []KindRows {
	return []KindRows{
		{KindAccessToken, AccessTokens, len(snap.AccessTokens), func(i int) ([]any, error) {
			return accessTokenValues(snap.AccessTokens[i], codec)
		}},
		{KindRefreshToken, RefreshTokens, len(snap.RefreshTokens), func(i int) ([]any, error) {
			return refreshTokenValues(snap.RefreshTokens[i], codec)
		}},
		{KindIDToken, IDTokens, len(snap.IDTokens), func(i int) ([]any, error) { return idTokenValues(snap.IDTokens[i], codec) }},
		{KindAccount, Accounts, len(snap.Accounts), func(i int) ([]any, error) { return accountValues(snap.Accounts[i], codec) }},
		{KindAppMetadata, AppMetadata, len(snap.AppMetadata), func(i int) ([]any, error) {
			return appMetadataValues(snap.AppMetadata[i], codec)
		}},
		{KindForeignSection, ForeignSections, len(snap.ForeignSections), func(i int) ([]any, error) {
			return foreignSectionValues(snap.ForeignSections, i)
		}},
	}
}

// foreignSectionValues returns the row of the i-th foreign section of fs, checked as
// domain.CheckStoredForeignSections checks them (the count and the total too, so that
// a snapshot over the bounds fails before anything is written; the values may be
// sealed). The error quotes neither name nor value.
func foreignSectionValues(fs []domain.ForeignSection, i int) ([]any, error) {
	if i == 0 {
		if err := domain.CheckStoredForeignSections(fs); err != nil {
			return nil, err
		}
	}
	if err := domain.CheckStoredForeignSection(fs[i]); err != nil {
		return nil, err
	}
	v := string(fs[i].Value)
	return []any{fs[i].Name, &v}, nil
}

// The functions below return an entry's values in its table's column order.

func accessTokenValues(t domain.AccessToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{t.Key(), t.HomeAccountID, FoldHome(t.HomeAccountID), t.Environment, Fold(t.Environment),
		t.ClientID, Fold(t.ClientID), t.Realm, t.Target, string(t.Secret), t.TokenType,
		t.CachedAt.Unix(), t.ExpiresOn.Unix(), t.ExtendedExpiresOn.Unix(), t.RefreshOn.Unix(), t.KeyID, extra}, nil
}

func refreshTokenValues(t domain.RefreshToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{t.Key(), t.HomeAccountID, FoldHome(t.HomeAccountID), t.Environment, Fold(t.Environment),
		t.ClientID, Fold(t.ClientID), t.FamilyID, t.Target, string(t.Secret), t.CachedAt.Unix(), extra, t.Realm}, nil
}

func idTokenValues(t domain.IDToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{t.Key(), t.HomeAccountID, FoldHome(t.HomeAccountID), t.Environment, Fold(t.Environment),
		t.ClientID, Fold(t.ClientID), t.Realm, string(t.Secret), extra}, nil
}

func accountValues(a domain.Account, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(a.Extra)
	if err != nil {
		return nil, err
	}
	return []any{a.Key(), a.HomeAccountID, FoldHome(a.HomeAccountID), a.Environment, Fold(a.Environment),
		a.Realm, a.LocalAccountID, a.Username, domain.FoldUsername(a.Username), a.Name, a.AuthorityType, extra}, nil
}

func appMetadataValues(m domain.AppMetadata, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(m.Extra)
	if err != nil {
		return nil, err
	}
	return []any{m.Key(), m.ClientID, Fold(m.ClientID), m.Environment, Fold(m.Environment), m.FamilyID, extra}, nil
}
