package postgres

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
)

// zeroUnix is the Unix time of time.Time{}: the zero time is stored as this value and
// read back as time.Time{}, so that "no refresh_on" survives a round trip and still
// orders before every real time.
var zeroUnix = time.Time{}.Unix()

// unixSeconds encodes t at second precision.
func unixSeconds(t time.Time) int64 { return t.Unix() }

// fromUnix decodes a time written by unixSeconds, in UTC.
func fromUnix(s int64) time.Time {
	if s == zeroUnix {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// encodeExtra writes m as a JSON object whose values are m's raw values byte for byte
// (encoding/json would compact them). A nil map is stored as NULL and an empty one as
// {}, so both round-trip. A value that is not valid JSON is refused.
func encodeExtra(m map[string]json.RawMessage) (*string, error) {
	if m == nil {
		return nil, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		v := m[k]
		if !json.Valid(v) {
			return nil, fmt.Errorf("extra field %q is not valid JSON", k)
		}
		if !utf8.Valid(v) {
			return nil, fmt.Errorf("extra field %q is not valid UTF-8", k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("extra field name: %w", err)
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	s := b.String()
	return &s, nil
}

// decodeExtra reads a column written by encodeExtra: a JSON object whose values are
// returned byte for byte, including any whitespace around them (json.Unmarshal would
// drop it).
func decodeExtra(col sql.NullString) (map[string]json.RawMessage, error) {
	if !col.Valid {
		return nil, nil
	}
	if !utf8.ValidString(col.String) {
		return nil, errors.New("extra is not valid UTF-8")
	}
	errNotObject := errors.New("extra is not a JSON object")
	data := []byte(col.String)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return nil, errNotObject
		}
		start := skipSpace(data, int(dec.InputOffset()))
		if start >= len(data) || data[start] != ':' {
			return nil, errNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errNotObject
		}
		end := skipSpace(data, int(dec.InputOffset()))
		m[name] = bytes.Clone(data[start+1 : end])
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') || skipSpace(data, int(dec.InputOffset())) != len(data) {
		return nil, errNotObject
	}
	return m, nil
}

// skipSpace returns the index of the first byte of data at or after i that is not JSON
// whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// Entry kinds, as returned in the kind column of the union queries.
const (
	kindAccessToken  = 1
	kindRefreshToken = 2
	kindIDToken      = 3
	kindAccount      = 4
	kindAppMetadata  = 5
)

// kindNames name the kinds in log lines.
var kindNames = map[int]string{
	kindAccessToken: "access token", kindRefreshToken: "refresh token", kindIDToken: "ID token",
	kindAccount: "account", kindAppMetadata: "app metadata",
}

// entryRow is one row of the union of the five tables (entryColumns): the columns a
// kind lacks are NULL. Every column is nullable here so that a row damaged outside
// the store is reported as corrupt instead of failing the whole query.
type entryRow struct {
	Kind              int            `db:"kind"`
	Key               sql.NullString `db:"key"`
	HomeAccountID     sql.NullString `db:"home_account_id"`
	Environment       sql.NullString `db:"environment"`
	ClientID          sql.NullString `db:"client_id"`
	Realm             sql.NullString `db:"realm"`
	Target            sql.NullString `db:"target"`
	Secret            sql.NullString `db:"secret"`
	TokenType         sql.NullString `db:"token_type"`
	FamilyID          sql.NullString `db:"family_id"`
	KeyID             sql.NullString `db:"key_id"`
	LocalAccountID    sql.NullString `db:"local_account_id"`
	Username          sql.NullString `db:"username"`
	Name              sql.NullString `db:"name"`
	AuthorityType     sql.NullString `db:"authority_type"`
	CachedAt          sql.NullInt64  `db:"cached_at"`
	ExpiresOn         sql.NullInt64  `db:"expires_on"`
	ExtendedExpiresOn sql.NullInt64  `db:"extended_expires_on"`
	RefreshOn         sql.NullInt64  `db:"refresh_on"`
	Extra             sql.NullString `db:"extra"`
}

// rowDecoder decodes the non-null columns of one row, remembering the first NULL met.
type rowDecoder struct{ missing string }

func (d *rowDecoder) str(name string, v sql.NullString) string {
	if !v.Valid && d.missing == "" {
		d.missing = name
	}
	return v.String
}

func (d *rowDecoder) time(name string, v sql.NullInt64) time.Time {
	if !v.Valid && d.missing == "" {
		d.missing = name
	}
	return fromUnix(v.Int64)
}

func (d *rowDecoder) err() error {
	if d.missing != "" {
		return fmt.Errorf("column %s is NULL", d.missing)
	}
	return nil
}

// addTo decodes r and appends it to e. A row that cannot be decoded is returned as an
// error and e is left unchanged.
func (r *entryRow) addTo(e *domain.CacheSnapshot) error {
	extra, err := decodeExtra(r.Extra)
	if err != nil {
		return err
	}
	var d rowDecoder
	switch r.Kind {
	case kindAccessToken:
		t := r.accessToken(&d, extra)
		if err := d.err(); err != nil {
			return err
		}
		e.AccessTokens = append(e.AccessTokens, t)
	case kindRefreshToken:
		t := r.refreshToken(&d, extra)
		if err := d.err(); err != nil {
			return err
		}
		e.RefreshTokens = append(e.RefreshTokens, t)
	case kindIDToken:
		t := r.idToken(&d, extra)
		if err := d.err(); err != nil {
			return err
		}
		e.IDTokens = append(e.IDTokens, t)
	case kindAccount:
		a := r.account(&d, extra)
		if err := d.err(); err != nil {
			return err
		}
		e.Accounts = append(e.Accounts, a)
	case kindAppMetadata:
		m := r.appMetadata(&d, extra)
		if err := d.err(); err != nil {
			return err
		}
		e.AppMetadata = append(e.AppMetadata, m)
	default:
		return fmt.Errorf("unknown entry kind %d", r.Kind)
	}
	return nil
}

func (r *entryRow) accessToken(d *rowDecoder, extra map[string]json.RawMessage) domain.AccessToken {
	return domain.AccessToken{
		HomeAccountID: d.str("home_account_id", r.HomeAccountID), Environment: d.str("environment", r.Environment),
		ClientID: d.str("client_id", r.ClientID), Realm: d.str("realm", r.Realm), Target: d.str("target", r.Target),
		Secret: domain.Secret(d.str("secret", r.Secret)), TokenType: d.str("token_type", r.TokenType),
		CachedAt: d.time("cached_at", r.CachedAt), ExpiresOn: d.time("expires_on", r.ExpiresOn),
		ExtendedExpiresOn: d.time("extended_expires_on", r.ExtendedExpiresOn), RefreshOn: d.time("refresh_on", r.RefreshOn),
		KeyID: d.str("key_id", r.KeyID), Extra: extra,
	}
}

func (r *entryRow) refreshToken(d *rowDecoder, extra map[string]json.RawMessage) domain.RefreshToken {
	return domain.RefreshToken{
		HomeAccountID: d.str("home_account_id", r.HomeAccountID), Environment: d.str("environment", r.Environment),
		ClientID: d.str("client_id", r.ClientID), FamilyID: d.str("family_id", r.FamilyID), Target: d.str("target", r.Target),
		Secret: domain.Secret(d.str("secret", r.Secret)), CachedAt: d.time("cached_at", r.CachedAt), Extra: extra,
	}
}

func (r *entryRow) idToken(d *rowDecoder, extra map[string]json.RawMessage) domain.IDToken {
	return domain.IDToken{
		HomeAccountID: d.str("home_account_id", r.HomeAccountID), Environment: d.str("environment", r.Environment),
		ClientID: d.str("client_id", r.ClientID), Realm: d.str("realm", r.Realm),
		Secret: domain.Secret(d.str("secret", r.Secret)), Extra: extra,
	}
}

func (r *entryRow) account(d *rowDecoder, extra map[string]json.RawMessage) domain.Account {
	return domain.Account{
		HomeAccountID: d.str("home_account_id", r.HomeAccountID), Environment: d.str("environment", r.Environment),
		Realm: d.str("realm", r.Realm), LocalAccountID: d.str("local_account_id", r.LocalAccountID),
		Username: d.str("username", r.Username), Name: d.str("name", r.Name),
		AuthorityType: d.str("authority_type", r.AuthorityType), Extra: extra,
	}
}

func (r *entryRow) appMetadata(d *rowDecoder, extra map[string]json.RawMessage) domain.AppMetadata {
	return domain.AppMetadata{
		ClientID: d.str("client_id", r.ClientID), Environment: d.str("environment", r.Environment),
		FamilyID: d.str("family_id", r.FamilyID), Extra: extra,
	}
}
