package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Entry kinds, as returned in the first column of the union queries.
const (
	kindAccessToken  = 1
	kindRefreshToken = 2
	kindIDToken      = 3
	kindAccount      = 4
	kindAppMetadata  = 5
)

// kindNames name the kinds in log lines.
var kindNames = map[int64]string{
	kindAccessToken: "access token", kindRefreshToken: "refresh token", kindIDToken: "ID token",
	kindAccount: "account", kindAppMetadata: "app metadata",
}

// The union of the five tables: one SELECT per kind returning the columns of entryRow
// in order, NULL for those the kind lacks. Callers append the WHERE clauses.
const (
	selectAccessTokens = `SELECT 1, key, home_account_id, environment, client_id, realm, target, secret,
	token_type, NULL, key_id, NULL, NULL, NULL, NULL, cached_at, expires_on, extended_expires_on, refresh_on, extra
	FROM access_tokens`
	selectRefreshTokens = `SELECT 2, key, home_account_id, environment, client_id, NULL, target, secret,
	NULL, family_id, NULL, NULL, NULL, NULL, NULL, cached_at, NULL, NULL, NULL, extra
	FROM refresh_tokens`
	selectIDTokens = `SELECT 3, key, home_account_id, environment, client_id, realm, NULL, secret,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, extra
	FROM id_tokens`
	selectAccounts = `SELECT 4, key, home_account_id, environment, NULL, realm, NULL, NULL,
	NULL, NULL, NULL, local_account_id, username, name, authority_type, NULL, NULL, NULL, NULL, extra
	FROM accounts`
	selectAppMetadata = `SELECT 5, key, NULL, environment, client_id, NULL, NULL, NULL,
	NULL, family_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, extra
	FROM app_metadata`
)

// Columns of entryRow.
const (
	colKind = iota
	colKey
	colHomeAccountID
	colEnvironment
	colClientID
	colRealm
	colTarget
	colSecret
	colTokenType
	colFamilyID
	colKeyID
	colLocalAccountID
	colUsername
	colName
	colAuthorityType
	colCachedAt
	colExpiresOn
	colExtendedExpiresOn
	colRefreshOn
	colExtra
	numCols
)

// colNames name the columns in the errors about corrupt rows.
var colNames = [numCols]string{
	"kind", "key", "home_account_id", "environment", "client_id", "realm", "target", "secret",
	"token_type", "family_id", "key_id", "local_account_id", "username", "name", "authority_type",
	"cached_at", "expires_on", "extended_expires_on", "refresh_on", "extra",
}

// cell keeps the value the driver returned for one column, whatever its type, so that
// a value of the wrong type makes its row corrupt instead of failing the whole query.
type cell struct{ v any }

// Scan implements sql.Scanner.
func (c *cell) Scan(src any) error {
	if b, ok := src.([]byte); ok {
		src = string(b) // the driver may reuse the buffer; a BLOB is read as text
	}
	c.v = src
	return nil
}

// entryRow is one row of a union query.
type entryRow [numCols]cell

func (r *entryRow) dest() []any {
	d := make([]any, numCols)
	for i := range r {
		d[i] = &r[i]
	}
	return d
}

// rowDecoder decodes the columns of one row, remembering the first problem met.
type rowDecoder struct {
	r   *entryRow
	err error
}

func (d *rowDecoder) fail(col int, want string) {
	if d.err == nil {
		if d.r[col].v == nil {
			d.err = fmt.Errorf("column %s is NULL", colNames[col])
		} else {
			d.err = fmt.Errorf("column %s holds a %T; want %s", colNames[col], d.r[col].v, want)
		}
	}
}

func (d *rowDecoder) str(col int) string {
	s, ok := d.r[col].v.(string)
	if !ok {
		d.fail(col, "text")
	}
	return s
}

func (d *rowDecoder) int(col int) int64 {
	n, ok := d.r[col].v.(int64)
	if !ok {
		d.fail(col, "an integer")
	}
	return n
}

func (d *rowDecoder) time(col int) time.Time { return fromUnix(d.int(col)) }

func (d *rowDecoder) secret(col int) domain.Secret { return domain.Secret(d.str(col)) }

// extra decodes the extra column; NULL is no extra fields.
func (d *rowDecoder) extra() map[string]json.RawMessage {
	switch v := d.r[colExtra].v.(type) {
	case nil:
		return nil
	case string:
		m, err := decodeExtra(v)
		if err != nil && d.err == nil {
			d.err = err
		}
		return m
	}
	d.fail(colExtra, "JSON text")
	return nil
}

// addTo decodes r and appends the entry to snap. A row that cannot be decoded is
// returned as an error and snap is left unchanged.
func (r *entryRow) addTo(snap *domain.CacheSnapshot) error {
	d := &rowDecoder{r: r}
	kind := d.int(colKind)
	if d.err != nil {
		return d.err
	}
	extra := d.extra()
	switch kind {
	case kindAccessToken:
		t := domain.AccessToken{
			HomeAccountID: d.str(colHomeAccountID), Environment: d.str(colEnvironment), ClientID: d.str(colClientID),
			Realm: d.str(colRealm), Target: d.str(colTarget), Secret: d.secret(colSecret), TokenType: d.str(colTokenType),
			CachedAt: d.time(colCachedAt), ExpiresOn: d.time(colExpiresOn), ExtendedExpiresOn: d.time(colExtendedExpiresOn),
			RefreshOn: d.time(colRefreshOn), KeyID: d.str(colKeyID), Extra: extra,
		}
		if d.err == nil {
			snap.AccessTokens = append(snap.AccessTokens, t)
		}
	case kindRefreshToken:
		t := domain.RefreshToken{
			HomeAccountID: d.str(colHomeAccountID), Environment: d.str(colEnvironment), ClientID: d.str(colClientID),
			FamilyID: d.str(colFamilyID), Target: d.str(colTarget), Secret: d.secret(colSecret),
			CachedAt: d.time(colCachedAt), Extra: extra,
		}
		if d.err == nil {
			snap.RefreshTokens = append(snap.RefreshTokens, t)
		}
	case kindIDToken:
		t := domain.IDToken{
			HomeAccountID: d.str(colHomeAccountID), Environment: d.str(colEnvironment), ClientID: d.str(colClientID),
			Realm: d.str(colRealm), Secret: d.secret(colSecret), Extra: extra,
		}
		if d.err == nil {
			snap.IDTokens = append(snap.IDTokens, t)
		}
	case kindAccount:
		a := domain.Account{
			HomeAccountID: d.str(colHomeAccountID), Environment: d.str(colEnvironment), Realm: d.str(colRealm),
			LocalAccountID: d.str(colLocalAccountID), Username: d.str(colUsername), Name: d.str(colName),
			AuthorityType: d.str(colAuthorityType), Extra: extra,
		}
		if d.err == nil {
			snap.Accounts = append(snap.Accounts, a)
		}
	case kindAppMetadata:
		m := domain.AppMetadata{
			ClientID: d.str(colClientID), Environment: d.str(colEnvironment), FamilyID: d.str(colFamilyID), Extra: extra,
		}
		if d.err == nil {
			snap.AppMetadata = append(snap.AppMetadata, m)
		}
	default:
		return fmt.Errorf("unknown entry kind %d", kind)
	}
	return d.err
}
