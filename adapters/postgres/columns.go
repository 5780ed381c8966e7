package postgres

import (
	"fmt"

	"github.com/hexauth/hexauth/internal/sqlcache"
)

// extraCodec encodes the extra column: PostgreSQL's text and json hold only valid
// UTF-8, and an empty Extra is stored as {} so that it reads back empty, not nil.
var extraCodec = sqlcache.ExtraCodec{ValidUTF8: true}

// columnArrays collects rows of a table as one array per column, the arguments of its
// upsert statement: []string for text, []int64 for bigint, []*string for json, for the
// ids stored as folded and for nullable text (nil is NULL), [][]byte for bytea.
type columnArrays struct {
	t    sqlcache.Table
	cols []any
	err  error
}

func newColumnArrays(t sqlcache.Table, n int) *columnArrays {
	c := &columnArrays{t: t, cols: make([]any, len(t.Columns))}
	for i, col := range t.Columns {
		switch col.Type {
		case sqlcache.Integer:
			c.cols[i] = make([]int64, 0, n)
		case sqlcache.JSON, sqlcache.AsFolded, sqlcache.NullText:
			c.cols[i] = make([]*string, 0, n)
		case sqlcache.Bytes:
			c.cols[i] = make([][]byte, 0, n)
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
		c.err = fmt.Errorf("%s: %d values for %d columns", c.t.Name, len(vals), len(c.cols))
		return
	}
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			if err := checkText(c.t.Name+"."+c.t.Columns[i].Name, v); err != nil {
				c.err = err
				return
			}
			c.cols[i] = append(c.cols[i].([]string), v)
		case int64:
			c.cols[i] = append(c.cols[i].([]int64), v)
		case []byte:
			c.cols[i] = append(c.cols[i].([][]byte), v)
		case *string:
			if v != nil {
				if err := checkText(c.t.Name+"."+c.t.Columns[i].Name, *v); err != nil {
					c.err = err
					return
				}
			}
			c.cols[i] = append(c.cols[i].([]*string), v)
		default:
			c.err = fmt.Errorf("%s.%s: unsupported value type %T", c.t.Name, c.t.Columns[i].Name, v)
			return
		}
	}
}

// args returns the arrays, or the first error met.
func (c *columnArrays) args() ([]any, error) { return c.cols, c.err }

// arrayArgs returns the column arrays of the entries lo to hi of k, in the order of
// its table's columns (upsert.go).
func arrayArgs(k sqlcache.KindRows, lo, hi int) ([]any, error) {
	c := newColumnArrays(k.Table, hi-lo)
	for i := lo; i < hi; i++ {
		vals, err := k.Values(i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Kind, err)
		}
		c.add(vals...)
	}
	return c.args()
}
