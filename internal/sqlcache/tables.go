package sqlcache

import (
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/secretpack"
)

// ColumnType is the type of a cache table's column, as an upsert sends it.
type ColumnType int

// The column types: Go values string, int64, *string (nil is NULL), *string (nil is
// NULL), []byte and *string respectively.
const (
	Text ColumnType = iota
	Integer
	JSON
	// AsFolded is the text of an identifier as it was written, NULL when it equals its
	// folded form, which the column named by the same name plus "_folded" holds: most
	// ids are written in the case they fold to, so most rows store each id once.
	// Readers take coalesce(name, name_folded).
	AsFolded
	// Bytes is binary: a packed refresh token (secretpack.Pack), Go []byte.
	Bytes
	// NullText is text that new rows leave NULL (a refresh token's unpacked secret,
	// kept by rows written before packing), Go *string.
	NullText
)

// TableColumn is a column of a cache table.
type TableColumn struct {
	Name string
	Type ColumnType
}

// Table is a cache table, as both adapters' migrations create it: its name, the
// columns after partition that identify a row (with partition, the table's unique
// index and the conflict target of its upsert), and the columns an upsert writes after
// partition — Identity first — in the order of the values KindRows.Values returns. Do
// not modify the tables below.
//
// Since migration 0004 (SQLite) and 0005 (Postgres) the token, account and app
// metadata tables store no entry key: an entry's key (Key() of its domain type) is a
// function of its identity columns, which the unique index already holds (KeySQL).
type Table struct {
	Name     string
	Identity []string
	Columns  []TableColumn
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
	AccessTokens = Table{Name: "access_tokens",
		Identity: []string{"home_account_id_folded", "client_id_folded", "environment_folded", "realm", "target_folded"},
		Columns: slices.Concat(
			columns(Text, "home_account_id_folded", "client_id_folded", "environment_folded", "realm", "target_folded"),
			columns(AsFolded, "home_account_id", "environment", "client_id", "target"),
			columns(Text, "secret", "token_type"),
			columns(Integer, "cached_at", "expires_on", "extended_expires_on", "refresh_on"),
			columns(Text, "key_id"), columns(JSON, "extra"))}
	RefreshTokens = Table{Name: "refresh_tokens",
		Identity: []string{"home_account_id_folded", "client_id_folded", "environment_folded", "realm"},
		Columns: slices.Concat(
			columns(Text, "home_account_id_folded", "client_id_folded", "environment_folded", "realm"),
			columns(AsFolded, "home_account_id", "environment", "client_id"),
			columns(Text, "family_id", "target"), columns(NullText, "secret"), columns(Bytes, "secret_packed"),
			columns(Integer, "cached_at"), columns(JSON, "extra"))}
	IDTokens = Table{Name: "id_tokens",
		Identity: []string{"home_account_id_folded", "client_id_folded", "environment_folded", "realm"},
		Columns: slices.Concat(
			columns(Text, "home_account_id_folded", "client_id_folded", "environment_folded", "realm"),
			columns(AsFolded, "home_account_id", "environment", "client_id"),
			columns(Text, "secret"), columns(JSON, "extra"))}
	Accounts = Table{Name: "accounts",
		Identity: []string{"home_account_id_folded", "environment_folded", "realm"},
		Columns: slices.Concat(
			columns(Text, "home_account_id_folded", "environment_folded", "realm"),
			columns(AsFolded, "home_account_id", "environment", "username"),
			columns(Text, "username_folded", "local_account_id", "name", "authority_type"),
			columns(JSON, "extra"))}
	AppMetadata = Table{Name: "app_metadata",
		Identity: []string{"client_id_folded", "environment_folded"},
		Columns: slices.Concat(
			columns(Text, "client_id_folded", "environment_folded"),
			columns(AsFolded, "client_id", "environment"),
			columns(Text, "family_id"), columns(JSON, "extra"))}
	// ForeignSections keeps a partition's foreign sections (migration 0003): key is the
	// section's name, value its JSON, replaced whole by an upsert of the same name.
	ForeignSections = Table{Name: "foreign_sections", Identity: []string{"key"},
		Columns: slices.Concat(columns(Text, "key"), columns(JSON, "value"))}
)

// OnConflictUpdate returns the clause that ends an upsert of a row of t, in the syntax
// SQLite and PostgreSQL share: when a row of the same partition and identity exists,
// its other columns are set from the new row ("excluded"), if replace is empty or
// holds.
func OnConflictUpdate(t Table, replace string) string {
	sets := make([]string, 0, len(t.Columns))
	for _, c := range t.Columns[len(t.Identity):] {
		sets = append(sets, c.Name+" = excluded."+c.Name)
	}
	q := "\nON CONFLICT (partition, " + strings.Join(t.Identity, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
	if replace != "" {
		q += "\nWHERE " + replace
	}
	return q
}

// AsWritten returns the SQL expression reading the AsFolded column name: the id as it
// was written.
func AsWritten(name string) string { return "coalesce(" + name + ", " + name + "_folded)" }

// KeySQL returns an SQL expression, valid in SQLite and PostgreSQL, whose value is the
// key (Key()) of the entry of kind k in a row of its table, built from the folded
// identity columns as package domain builds it from the entry's fields; "" for a kind
// without one.
func KeySQL(k Kind) string {
	switch k {
	case KindAccessToken:
		return credentialKeySQL("accesstoken", "target_folded")
	case KindRefreshToken:
		return credentialKeySQL("refreshtoken", "''")
	case KindIDToken:
		return credentialKeySQL("idtoken", "''")
	case KindAccount:
		return "(home_account_id_folded || '-' || environment_folded || '-' || realm)"
	case KindAppMetadata:
		return "('appmetadata-' || environment_folded || '-' || client_id_folded)"
	}
	return "''"
}

// DeletedAccessTokens returns the identity columns of the access tokens a write
// deletes, from their KeyFields, column by column in the order of AccessTokens.Identity
// (home account id, client id, environment, realm, target, each folded as the table
// folds it: KeyFields folds them so). An entry of another kind names no access token
// and is left out. Matching the identity columns, the table's unique index, deletes
// exactly the tokens named: their keys (KeySQL) may collide, their fields cannot.
func DeletedAccessTokens(w domain.CacheWrite) (cols [5][]string) {
	for _, f := range w.DeleteAccessTokens {
		if f[0] != "accesstoken" {
			continue
		}
		for i, v := range [5]string{f[1], f[3], f[2], f[4], f[5]} {
			cols[i] = append(cols[i], v)
		}
	}
	return cols
}

func credentialKeySQL(kind, target string) string {
	return "(home_account_id_folded || '-' || environment_folded || '-" + kind + "-' || client_id_folded || '-' || realm || '-' || " +
		target + ")"
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

// asFolded is the value of an AsFolded column: nil when s is its folded form.
func asFolded(s, folded string) *string {
	if s == folded {
		return nil
	}
	return &s
}

func accessTokenValues(t domain.AccessToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	home, env, client, target := FoldHome(t.HomeAccountID), Fold(t.Environment), Fold(t.ClientID), Fold(t.Target)
	return []any{home, client, env, t.Realm, target,
		asFolded(t.HomeAccountID, home), asFolded(t.Environment, env), asFolded(t.ClientID, client), asFolded(t.Target, target),
		string(t.Secret), t.TokenType,
		t.CachedAt.Unix(), t.ExpiresOn.Unix(), t.ExtendedExpiresOn.Unix(), t.RefreshOn.Unix(), t.KeyID, extra}, nil
}

func refreshTokenValues(t domain.RefreshToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	home, env, client := FoldHome(t.HomeAccountID), Fold(t.Environment), Fold(t.ClientID)
	return []any{home, client, env, t.Realm,
		asFolded(t.HomeAccountID, home), asFolded(t.Environment, env), asFolded(t.ClientID, client),
		t.FamilyID, t.Target, (*string)(nil), secretpack.Pack(string(t.Secret)), t.CachedAt.Unix(), extra}, nil
}

func idTokenValues(t domain.IDToken, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(t.Extra)
	if err != nil {
		return nil, err
	}
	home, env, client := FoldHome(t.HomeAccountID), Fold(t.Environment), Fold(t.ClientID)
	return []any{home, client, env, t.Realm,
		asFolded(t.HomeAccountID, home), asFolded(t.Environment, env), asFolded(t.ClientID, client),
		string(t.Secret), extra}, nil
}

func accountValues(a domain.Account, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(a.Extra)
	if err != nil {
		return nil, err
	}
	home, env, user := FoldHome(a.HomeAccountID), Fold(a.Environment), domain.FoldUsername(a.Username)
	return []any{home, env, a.Realm,
		asFolded(a.HomeAccountID, home), asFolded(a.Environment, env), asFolded(a.Username, user),
		user, a.LocalAccountID, a.Name, a.AuthorityType, extra}, nil
}

func appMetadataValues(m domain.AppMetadata, codec ExtraCodec) ([]any, error) {
	extra, err := codec.Encode(m.Extra)
	if err != nil {
		return nil, err
	}
	client, env := Fold(m.ClientID), Fold(m.Environment)
	return []any{client, env, asFolded(m.ClientID, client), asFolded(m.Environment, env), m.FamilyID, extra}, nil
}
