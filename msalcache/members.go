package msalcache

import (
	"encoding/json"
)

// members returns the members of obj, a JSON value already known to be valid, by name,
// each value a subslice of obj: nothing is copied. A document is read through three
// levels of objects (sections, entries, fields); decoding each into a map of
// json.RawMessage copied the document at every level, and an import of 64 MiB
// peaked near 8 times its size. A name given twice keeps its last value, as
// json.Unmarshal into a map does. ok is false when obj is not an object (null
// included).
func members(obj []byte) (m map[string][]byte, ok bool) {
	i := skipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return nil, false
	}
	m = map[string][]byte{}
	for i = skipSpace(obj, i+1); i < len(obj) && obj[i] != '}'; {
		end := valueEnd(obj, i)
		var name string
		if json.Unmarshal(obj[i:end], &name) != nil {
			return nil, false // unreachable for valid JSON: a member's name is a string
		}
		start := skipSpace(obj, skipSpace(obj, end)+1) // past the colon
		end = valueEnd(obj, start)
		m[name] = obj[start:end:end]
		if i = skipSpace(obj, end); i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return m, true
}

// skipSpace returns the index of the first byte of b at or after i that is not JSON
// white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value of valid JSON b that starts at i.
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		default:
			if depth == 0 {
				// A literal (number, true, false, null) ends at a delimiter or space.
				for i < len(b) && !isDelimiter(b[i]) {
					i++
				}
				return i
			}
		}
	}
	return i
}

func isDelimiter(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
