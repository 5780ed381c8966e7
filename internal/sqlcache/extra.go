package sqlcache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// ExtraCodec encodes the Extra fields of an entry (MSAL's fields this engine does not
// model) as the text of the extra column, and decodes them back byte for byte. The
// zero value accepts any bytes in values and stores an empty map as {}.
type ExtraCodec struct {
	// ValidUTF8 refuses values, and stored text, that are not valid UTF-8: for
	// databases whose text type cannot hold them (PostgreSQL).
	ValidUTF8 bool
	// EmptyIsNull stores an empty map as NULL, like a nil one, so it reads back as nil.
	// Otherwise only a nil map is NULL and an empty one is stored as {}.
	EmptyIsNull bool
}

// ErrExtraNotObject is the cause of a stored extra that cannot be decoded.
var ErrExtraNotObject = errors.New("extra is not a JSON object")

// Encode returns the extra column's value for m: nil (NULL) for a nil map, or an empty
// one under EmptyIsNull; otherwise a JSON object, keys sorted, whose member values are
// m's raw values byte for byte (encoding/json would compact them). A value that is not
// valid JSON (or, under ValidUTF8, not valid UTF-8) is refused with an error that names
// the field but never quotes the value.
func (c ExtraCodec) Encode(m map[string]json.RawMessage) (*string, error) {
	if m == nil || (c.EmptyIsNull && len(m) == 0) {
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
		if c.ValidUTF8 && !utf8.Valid(v) {
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

// Decode reads a non-NULL value written by Encode: a JSON object whose member values
// are returned byte for byte, with the whitespace around them (json.Unmarshal would
// drop it). Anything else is an error wrapping ErrExtraNotObject (or, under ValidUTF8,
// saying the text is not valid UTF-8).
func (c ExtraCodec) Decode(s string) (map[string]json.RawMessage, error) {
	if c.ValidUTF8 && !utf8.ValidString(s) {
		return nil, errors.New("extra is not valid UTF-8")
	}
	data := []byte(s)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, ErrExtraNotObject
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return nil, ErrExtraNotObject
		}
		start := skipSpace(data, int(dec.InputOffset()))
		if start >= len(data) || data[start] != ':' {
			return nil, ErrExtraNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, ErrExtraNotObject
		}
		end := skipSpace(data, int(dec.InputOffset()))
		m[name] = bytes.Clone(data[start+1 : end])
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') || skipSpace(data, int(dec.InputOffset())) != len(data) {
		return nil, ErrExtraNotObject
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
