package msalcache

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxUnix is the largest timestamp accepted: 2^53 seconds, the largest integer a JSON
// number carries exactly in every MSAL writer's language.
const maxUnix = 1 << 53

// rawEntry is one entry of a section, its members split into the section's standard
// fields (by schema name) and the rest (Extra, by the name the document gave them).
type rawEntry struct {
	section *section
	key     string
	std     map[string]json.RawMessage
	extra   map[string]json.RawMessage
}

// splitEntry reads the members of one entry object.
func splitEntry(s *section, key string, raw json.RawMessage) (*rawEntry, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return nil, invalid(opDecode, &EntryError{Section: s.name, Key: key, Reason: "entry is not a JSON object"})
	}
	e := &rawEntry{section: s, key: key, std: map[string]json.RawMessage{}}
	for name, v := range members {
		if std, ok := s.standard(name); ok {
			if _, dup := e.std[std]; dup {
				return nil, e.fail(std, "given twice (names match ignoring case)")
			}
			e.std[std] = v
			continue
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return nil, e.fail(name, "not valid JSON")
		}
		if e.extra == nil {
			e.extra = map[string]json.RawMessage{}
		}
		e.extra[name] = json.RawMessage(c.Bytes())
	}
	return e, nil
}

// fail returns the error of a bad field of e.
func (e *rawEntry) fail(field, reason string) error {
	return invalid(opDecode, &EntryError{Section: e.section.name, Key: e.key, Field: field, Reason: reason})
}

// str returns a string field; absent and null read as "".
func (e *rawEntry) str(field string) (string, error) {
	raw, ok := e.std[field]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", e.fail(field, "want a string")
	}
	if strings.ContainsRune(s, 0) {
		return "", e.fail(field, "contains a NUL character")
	}
	return s, nil
}

// strField and timeField name a field and where its value goes.
type (
	strField struct {
		name string
		dst  *string
	}
	timeField struct {
		name string
		dst  *time.Time
	}
)

// strs reads several string fields, in order, into their destinations.
func (e *rawEntry) strs(fields []strField) error {
	for _, f := range fields {
		v, err := e.str(f.name)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}

// time returns a timestamp field: Unix seconds as a string or a number (a fraction is
// dropped); absent, null and "" read as the zero time.
func (e *rawEntry) time(field string) (time.Time, error) {
	raw, ok := e.std[field]
	if !ok || isNull(raw) {
		return time.Time{}, nil
	}
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return time.Time{}, e.fail(field, "want Unix seconds as a string or a number")
		}
		if text == "" {
			return time.Time{}, nil
		}
	}
	sec, ok := parseUnix(text)
	if !ok {
		return time.Time{}, e.fail(field, "want Unix seconds (0 to 2^53) as a string or a number")
	}
	return time.Unix(sec, 0).UTC(), nil
}

// parseUnix parses a JSON number of seconds in [0, maxUnix], dropping a fraction.
func parseUnix(text string) (int64, bool) {
	if text == "" || !(text[0] >= '0' && text[0] <= '9') || !json.Valid([]byte(text)) {
		return 0, false
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, n <= maxUnix
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f > maxUnix {
		return 0, false
	}
	return int64(f), true
}

// require fails when one of the section's key fields is empty.
func (e *rawEntry) require(values map[string]string) error {
	for _, f := range e.section.required {
		if values[f] == "" {
			return e.fail(f, "missing: the entry's key needs it")
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
