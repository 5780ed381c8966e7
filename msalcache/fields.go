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
	notices []Notice // fields read other than as written
}

// splitEntry reads the members of one entry object.
func splitEntry(s *section, key string, raw json.RawMessage) (*rawEntry, error) {
	fields, ok := members(raw)
	if !ok {
		return nil, invalid(opDecode, &EntryError{Section: s.name, Key: key, Reason: "entry is not a JSON object"})
	}
	e := &rawEntry{section: s, key: key, std: map[string]json.RawMessage{}}
	for name, v := range fields {
		if strings.ContainsRune(name, 0) {
			// NUL is how hexauth names its own Extra member (ShapeMember).
			return nil, e.fail(name, "the member's name contains a NUL character")
		}
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
	if field == fieldTarget && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		var err error
		if s, err = e.scopeList(raw); err != nil {
			return "", err
		}
	} else if err := json.Unmarshal(raw, &s); err != nil {
		return "", e.fail(field, "want a string")
	}
	if strings.ContainsRune(s, 0) {
		return "", e.fail(field, "contains a NUL character")
	}
	return s, nil
}

// scopeList reads a target written as a JSON array of scopes, as MSAL Python before
// 0.2.0 wrote it, into the schema's space-separated string, in the array's order.
func (e *rawEntry) scopeList(raw json.RawMessage) (string, error) {
	var scopes []string
	if err := json.Unmarshal(raw, &scopes); err != nil {
		return "", e.fail(fieldTarget, "want a string or an array of strings")
	}
	for _, sc := range scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
			return "", e.fail(fieldTarget, "an array of scopes holds an empty scope or one with white space")
		}
	}
	return strings.Join(scopes, " "), nil
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
	sec, ok, err := e.unix(field)
	if err != nil || !ok {
		return time.Time{}, err
	}
	if sec < 0 || sec > maxUnix {
		return time.Time{}, e.fail(field, "want Unix seconds (0 to 2^53) as a string or a number")
	}
	return time.Unix(sec, 0).UTC(), nil
}

// optionalTime reads a timestamp hexauth can do without (extended_expires_on,
// refresh_on). A number outside 0 to 2^53 reads as the zero time with a notice rather
// than refusing the document: MSAL .NET writes DateTime.MinValue ("-62135596800") when it
// has no extended expiry. A value that is no number is still refused.
func (e *rawEntry) optionalTime(field string) (time.Time, error) {
	sec, ok, err := e.unix(field)
	if err != nil || !ok {
		return time.Time{}, err
	}
	if sec < 0 || sec > maxUnix {
		e.notices = append(e.notices, Notice{Section: e.section.name, Key: e.key, Field: field, Reason: reasonTimeDropped})
		return time.Time{}, nil
	}
	return time.Unix(sec, 0).UTC(), nil
}

// unix reads a timestamp field as whole seconds, unchecked for range; ok is false when
// the field is absent, null or "".
func (e *rawEntry) unix(field string) (sec int64, ok bool, err error) {
	raw, present := e.std[field]
	if !present || isNull(raw) {
		return 0, false, nil
	}
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, false, e.fail(field, "want Unix seconds as a string or a number")
		}
		if text == "" {
			return 0, false, nil
		}
	}
	sec, ok = parseUnix(text)
	if !ok {
		return 0, false, e.fail(field, "want Unix seconds (0 to 2^53) as a string or a number")
	}
	return sec, true, nil
}

// parseUnix parses a JSON number of seconds, dropping a fraction (early MSAL Python
// wrote time.time() as is). ok is false for what is no JSON number and for magnitudes
// beyond int64; the caller checks the range.
func parseUnix(text string) (int64, bool) {
	if text == "" || !(text[0] == '-' || text[0] >= '0' && text[0] <= '9') || !json.Valid([]byte(text)) {
		return 0, false
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f > math.MaxInt64/2 || f < math.MinInt64/2 {
		return 0, false
	}
	return int64(math.Floor(f)), true // -0.5 is before 1970, not in it
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
