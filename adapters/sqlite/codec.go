package sqlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// zeroUnix is the Unix time of time.Time{}: the zero time is stored as this value and
// read back as time.Time{}, so that "no refresh_on" survives a round trip.
var zeroUnix = time.Time{}.Unix()

// fromUnix decodes a time stored as t.Unix(), in UTC.
func fromUnix(s int64) time.Time {
	if s == zeroUnix {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// fold is the case folding of the *_folded columns: that of cache keys.
func fold(s string) string { return strings.ToLower(s) }

// encodeExtra writes m as a JSON object whose values are m's raw values byte for byte
// (encoding/json would compact them), keys sorted. Nil and empty maps are stored as
// NULL. A value that is not valid JSON is refused, naming the field but not quoting
// the value.
func encodeExtra(m map[string]json.RawMessage) (any, error) {
	if len(m) == 0 {
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
	return b.String(), nil
}

// errExtraNotObject is the cause of a stored extra that cannot be decoded.
var errExtraNotObject = errors.New("extra is not a JSON object")

// decodeExtra reads a value written by encodeExtra: a JSON object whose member values
// are returned byte for byte, with the whitespace around them (json.Unmarshal would
// drop it).
func decodeExtra(s string) (map[string]json.RawMessage, error) {
	data := []byte(s)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errExtraNotObject
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return nil, errExtraNotObject
		}
		start := skipSpace(data, int(dec.InputOffset()))
		if start >= len(data) || data[start] != ':' {
			return nil, errExtraNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errExtraNotObject
		}
		end := skipSpace(data, int(dec.InputOffset()))
		m[name] = bytes.Clone(data[start+1 : end])
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') || skipSpace(data, int(dec.InputOffset())) != len(data) {
		return nil, errExtraNotObject
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
