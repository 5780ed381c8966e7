package sqlcache

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/secretpack"
)

// cell keeps the value the driver returned for one column, whatever its type, so that
// a value of the wrong type makes its row corrupt instead of failing the whole query.
type cell struct{ v any }

// Scan implements sql.Scanner.
func (c *cell) Scan(src any) error {
	if b, ok := src.([]byte); ok {
		src = string(b) // the driver may reuse the buffer; a BLOB or json is read as text
	}
	c.v = src
	return nil
}

// Row is one row of a union query: the values of its NumColumns columns, as the
// driver returned them. The zero Row is empty; scan into Dest.
type Row struct{ cells [NumColumns]cell }

// Dest returns the scan destinations of r's columns, in order, for sql.Rows.Scan.
func (r *Row) Dest() []any {
	d := make([]any, NumColumns)
	for i := range r.cells {
		d[i] = &r.cells[i]
	}
	return d
}

// Value returns the value scanned into column c: nil for NULL, else what the driver
// returned ([]byte read as a string).
func (r *Row) Value(c Column) any { return r.cells[c].v }

// Kind returns the row's kind, or 0 when its kind column is not an integer.
func (r *Row) Kind() Kind {
	k, _ := r.cells[ColKind].v.(int64)
	return Kind(k)
}

// Key returns the row's entry key (which holds no secret), or "" when it is not text.
func (r *Row) Key() string {
	k, _ := r.cells[ColKey].v.(string)
	return k
}

// AppendTo decodes r, its extra column with codec, and appends the entry to snap. A
// row that cannot be decoded (an unknown kind, a NULL or a value of the wrong type
// where its kind has a value, an extra that does not decode) is returned as an error
// naming the first problem, never quoting a value, and snap is left unchanged.
func (r *Row) AppendTo(snap *domain.CacheSnapshot, codec ExtraCodec) error {
	d := &rowDecoder{r: r}
	kind := Kind(d.int(ColKind))
	if d.err != nil {
		return d.err
	}
	if kind == KindForeignSection {
		return d.foreignSection(snap)
	}
	extra := d.extra(codec)
	switch kind {
	case KindAccessToken:
		t := domain.AccessToken{
			HomeAccountID: d.str(ColHomeAccountID), Environment: d.str(ColEnvironment), ClientID: d.str(ColClientID),
			Realm: d.str(ColRealm), Target: d.str(ColTarget), Secret: d.secret(ColSecret), TokenType: d.str(ColTokenType),
			CachedAt: d.time(ColCachedAt), ExpiresOn: d.time(ColExpiresOn), ExtendedExpiresOn: d.time(ColExtendedExpiresOn),
			RefreshOn: d.time(ColRefreshOn), KeyID: d.str(ColKeyID), Extra: extra,
		}
		appendIf(d, &snap.AccessTokens, t)
	case KindRefreshToken:
		t := domain.RefreshToken{
			HomeAccountID: d.str(ColHomeAccountID), Environment: d.str(ColEnvironment), ClientID: d.str(ColClientID),
			FamilyID: d.str(ColFamilyID), Realm: d.str(ColRealm), Target: d.str(ColTarget), Secret: d.packedSecret(),
			CachedAt: d.time(ColCachedAt), Extra: extra,
		}
		appendIf(d, &snap.RefreshTokens, t)
	case KindIDToken:
		t := domain.IDToken{
			HomeAccountID: d.str(ColHomeAccountID), Environment: d.str(ColEnvironment), ClientID: d.str(ColClientID),
			Realm: d.str(ColRealm), Secret: d.secret(ColSecret), Extra: extra,
		}
		appendIf(d, &snap.IDTokens, t)
	case KindAccount:
		a := domain.Account{
			HomeAccountID: d.str(ColHomeAccountID), Environment: d.str(ColEnvironment), Realm: d.str(ColRealm),
			LocalAccountID: d.str(ColLocalAccountID), Username: d.str(ColUsername), Name: d.str(ColName),
			AuthorityType: d.str(ColAuthorityType), Extra: extra,
		}
		appendIf(d, &snap.Accounts, a)
	case KindAppMetadata:
		m := domain.AppMetadata{
			ClientID: d.str(ColClientID), Environment: d.str(ColEnvironment), FamilyID: d.str(ColFamilyID), Extra: extra,
		}
		appendIf(d, &snap.AppMetadata, m)
	default:
		return fmt.Errorf("unknown entry kind %d", int(kind))
	}
	return d.err
}

// appendIf appends v to s when d met no problem.
func appendIf[T any](d *rowDecoder, s *[]T, v T) {
	if d.err == nil {
		*s = append(*s, v)
	}
}

// rowDecoder decodes the columns of one row, remembering the first problem met.
type rowDecoder struct {
	r   *Row
	err error
}

func (d *rowDecoder) fail(col Column, want string) {
	if d.err != nil {
		return
	}
	if v := d.r.cells[col].v; v == nil {
		d.err = fmt.Errorf("column %s is NULL", col)
	} else {
		d.err = fmt.Errorf("column %s holds a %T; want %s", col, v, want)
	}
}

func (d *rowDecoder) str(col Column) string {
	s, ok := d.r.cells[col].v.(string)
	if !ok {
		d.fail(col, "text")
	}
	return s
}

func (d *rowDecoder) int(col Column) int64 {
	n, ok := d.r.cells[col].v.(int64)
	if !ok {
		d.fail(col, "an integer")
	}
	return n
}

func (d *rowDecoder) time(col Column) time.Time { return FromUnix(d.int(col)) }

func (d *rowDecoder) secret(col Column) domain.Secret { return domain.Secret(d.str(col)) }

// packedSecret decodes a refresh token's secret: packed in ColSecretPacked, or, in a
// row written before refresh tokens were packed, as text in ColSecret.
func (d *rowDecoder) packedSecret() domain.Secret {
	if d.r.cells[ColSecretPacked].v == nil {
		return d.secret(ColSecret)
	}
	s, err := secretpack.Unpack(d.str(ColSecretPacked))
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("column %s is %w", ColSecretPacked, err)
	}
	return domain.Secret(s)
}

// extra decodes the extra column; NULL is no extra fields.
func (d *rowDecoder) extra(codec ExtraCodec) map[string]json.RawMessage {
	switch v := d.r.cells[ColExtra].v.(type) {
	case nil:
		return nil
	case string:
		m, err := codec.Decode(v)
		if err != nil && d.err == nil {
			d.err = err
		}
		return m
	}
	d.fail(ColExtra, "JSON text")
	return nil
}

// foreignSection appends the foreign section of the row, checked as an import checks
// it: a stored value that is not JSON (or a name over the bounds) is a corrupt row.
func (d *rowDecoder) foreignSection(snap *domain.CacheSnapshot) error {
	f := domain.ForeignSection{Name: d.str(ColKey)}
	f.Value = json.RawMessage(d.str(ColExtra))
	if d.err != nil {
		return d.err
	}
	if err := domain.CheckStoredForeignSection(f); err != nil {
		return fmt.Errorf("foreign section: %s", err.(*domain.Error).Description)
	}
	snap.ForeignSections = append(snap.ForeignSections, f)
	return nil
}
