package postgres

import (
	"fmt"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// fold is the case folding of the *_folded columns: that of cache keys.
func fold(s string) string { return strings.ToLower(s) }

// columnArrays collects rows of a table as one array per column, the arguments of its
// upsert statement: []string for text, []int64 for bigint, []*string for json (nil is
// NULL).
type columnArrays struct {
	t    table
	cols []any
	err  error
}

func newColumnArrays(t table, n int) *columnArrays {
	c := &columnArrays{t: t, cols: make([]any, len(t.columns))}
	for i, col := range t.columns {
		switch col.typ {
		case "bigint":
			c.cols[i] = make([]int64, 0, n)
		case "json":
			c.cols[i] = make([]*string, 0, n)
		default:
			c.cols[i] = make([]string, 0, n)
		}
	}
	return c
}

// add appends a row given in column order. Text the database cannot store is refused,
// naming the column but never quoting the value.
func (c *columnArrays) add(vals ...any) {
	if c.err != nil {
		return
	}
	if len(vals) != len(c.cols) {
		c.err = fmt.Errorf("%s: %d values for %d columns", c.t.name, len(vals), len(c.cols))
		return
	}
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			if err := checkText(c.t.name+"."+c.t.columns[i].name, v); err != nil {
				c.err = err
				return
			}
			c.cols[i] = append(c.cols[i].([]string), v)
		case int64:
			c.cols[i] = append(c.cols[i].([]int64), v)
		case *string:
			c.cols[i] = append(c.cols[i].([]*string), v)
		default:
			c.err = fmt.Errorf("%s.%s: unsupported value type %T", c.t.name, c.t.columns[i].name, v)
			return
		}
	}
}

// args returns the arrays, or the first error met.
func (c *columnArrays) args() ([]any, error) { return c.cols, c.err }

// The functions below turn entries of each kind into the column arrays of their
// table, in the order of its columns (upsert.go).

func accessTokenArgs(ts []domain.AccessToken) ([]any, error) {
	c := newColumnArrays(accessTokensTable, len(ts))
	for _, t := range ts {
		extra, err := encodeExtra(t.Extra)
		if err != nil {
			return nil, prefixed("access token", err)
		}
		c.add(t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
			t.ClientID, fold(t.ClientID), t.Realm, t.Target, string(t.Secret), t.TokenType,
			unixSeconds(t.CachedAt), unixSeconds(t.ExpiresOn), unixSeconds(t.ExtendedExpiresOn), unixSeconds(t.RefreshOn),
			t.KeyID, extra)
	}
	return c.args()
}

func refreshTokenArgs(ts []domain.RefreshToken) ([]any, error) {
	c := newColumnArrays(refreshTokensTable, len(ts))
	for _, t := range ts {
		extra, err := encodeExtra(t.Extra)
		if err != nil {
			return nil, prefixed("refresh token", err)
		}
		c.add(t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
			t.ClientID, fold(t.ClientID), t.FamilyID, t.Target, string(t.Secret), unixSeconds(t.CachedAt), extra)
	}
	return c.args()
}

func idTokenArgs(ts []domain.IDToken) ([]any, error) {
	c := newColumnArrays(idTokensTable, len(ts))
	for _, t := range ts {
		extra, err := encodeExtra(t.Extra)
		if err != nil {
			return nil, prefixed("ID token", err)
		}
		c.add(t.Key(), t.HomeAccountID, fold(t.HomeAccountID), t.Environment, fold(t.Environment),
			t.ClientID, fold(t.ClientID), t.Realm, string(t.Secret), extra)
	}
	return c.args()
}

func accountArgs(as []domain.Account) ([]any, error) {
	c := newColumnArrays(accountsTable, len(as))
	for _, a := range as {
		extra, err := encodeExtra(a.Extra)
		if err != nil {
			return nil, prefixed("account", err)
		}
		c.add(a.Key(), a.HomeAccountID, fold(a.HomeAccountID), a.Environment, fold(a.Environment),
			a.Realm, a.LocalAccountID, a.Username, domain.FoldUsername(a.Username), a.Name, a.AuthorityType, extra)
	}
	return c.args()
}

func appMetadataArgs(ms []domain.AppMetadata) ([]any, error) {
	c := newColumnArrays(appMetadataTable, len(ms))
	for _, m := range ms {
		extra, err := encodeExtra(m.Extra)
		if err != nil {
			return nil, prefixed("app metadata", err)
		}
		c.add(m.Key(), m.ClientID, fold(m.ClientID), m.Environment, fold(m.Environment), m.FamilyID, extra)
	}
	return c.args()
}
