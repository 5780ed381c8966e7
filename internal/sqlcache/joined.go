package sqlcache

import "strings"

// SQLite's narrow hit read (FindHit) returns an entry's short fields joined inside the
// statement, where a field costs a few instructions, and splits them in Go without
// copying: database/sql's cost is per column, not per byte. (Postgres's reads raw pgx
// values, which cost nothing a column, and selects plain columns.)

// FieldSep separates joined fields: the ASCII unit separator, which no identifier, URL,
// scope or name of a well-formed entry holds. A field that does holds it makes the row's
// field count wrong, and SplitFields refuses it.
const FieldSep = "\x1f"

// JoinFieldsSQL is the SQL expression joining the expressions cols with FieldSep. A NULL
// among them makes the whole text NULL.
func JoinFieldsSQL(cols ...string) string { return strings.Join(cols, " || '"+FieldSep+"' || ") }

// SplitFields cuts s at FieldSep into exactly len(f) fields, substrings of s; false when
// s holds another number of fields.
func SplitFields(s string, f []string) bool {
	for i := range len(f) - 1 {
		j := strings.Index(s, FieldSep)
		if j < 0 {
			return false
		}
		f[i], s = s[:j], s[j+len(FieldSep):]
	}
	if strings.Contains(s, FieldSep) {
		return false
	}
	f[len(f)-1] = s
	return true
}
