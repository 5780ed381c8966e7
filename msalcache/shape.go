package msalcache

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// An exported entry has exactly the fields it was imported with. hexauth's own layout
// differs from other writers' (it writes "realm" and "target" where MSAL Go may leave
// them out, "token_type" where MSAL Java and Node do, null for an app token's
// home_account_id where MSAL Go writes "", timestamps as strings where early MSAL Python
// wrote numbers), so Decode records, per entry, how the writer wrote the schema fields
// where Encode would write them otherwise — its shape — and Encode writes them back that
// way. The shape travels in the entry's Extra under ShapeMember, so that every store
// keeps it as it keeps Extra; Encode consumes it and never writes it out.
//
// Encode uses a shape only while it still describes the entry: the fields written the
// writer's way must read back as the very entry they came with (decoded and encoded
// again, they give hexauth's own fields byte for byte). An entry a flow rewrote has no
// shape (a new entry), and a shape that no longer fits is ignored: the entry is written
// in hexauth's layout.
//
// Fields hexauth adds on its own are kept even when the writer had none: a refresh
// token's "cached_at" (the order of writes) and "realm" (an OIDC issuer's path). The
// secret is never recorded in a shape (a sealing store seals secrets, not Extra).

// ShapeMember is the Extra member under which Decode records an imported entry's shape.
// Its name starts with a NUL character, which no document can carry (Decode refuses a
// member name holding one), so it never collides with a writer's field.
const ShapeMember = "\x00msalcache.shape"

// shape is the JSON of ShapeMember: the schema fields the writer left out that Encode
// writes (Absent, sorted), and those it wrote otherwise (Written: field to the writer's
// JSON, compact).
type shape struct {
	Absent  []string                   `json:"absent,omitempty"`
	Written map[string]json.RawMessage `json:"written,omitempty"`
}

// ownFields are the fields hexauth writes on its own, per section: never recorded absent.
var ownFields = map[string][]string{SectionRefreshToken: {fieldCachedAt, fieldRealm}}

// recordShape compares the writer's schema members of e with ours, what Encode writes
// for the decoded entry, and returns extra with the shape added when they differ.
func (e *rawEntry) recordShape(ours object, extra map[string]json.RawMessage) map[string]json.RawMessage {
	var sh shape
	for _, f := range slices.Sorted(maps.Keys(ours)) {
		if _, ok := e.std[f]; !ok && !slices.Contains(ownFields[e.section.name], f) {
			sh.Absent = append(sh.Absent, f)
		}
	}
	for f, raw := range e.std {
		if f == fieldSecret {
			continue
		}
		var c bytes.Buffer
		if json.Compact(&c, raw) != nil {
			continue
		}
		if o, ok := ours[f]; !ok || !bytes.Equal(o, c.Bytes()) {
			if sh.Written == nil {
				sh.Written = map[string]json.RawMessage{}
			}
			sh.Written[f] = c.Bytes()
		}
	}
	if sh.Absent == nil && sh.Written == nil {
		return extra
	}
	b, err := json.Marshal(sh)
	if err != nil {
		return extra // a shape is a courtesy to the writer, never a reason to refuse
	}
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	out[ShapeMember] = b
	return out
}

// applyShape returns the members to write for an entry: ours, or, when extra holds a
// shape that still describes the entry, ours with the writer's absent fields left out and
// its written ones as it wrote them. extra is the entry's Extra without ShapeMember.
func applyShape(sec *section, key string, ours object, extra map[string]json.RawMessage, raw json.RawMessage) object {
	var sh shape
	if json.Unmarshal(raw, &sh) != nil {
		return ours
	}
	theirs := maps.Clone(ours)
	for _, f := range sh.Absent {
		if _, std := sec.standard(f); std && !slices.Contains(ownFields[sec.name], f) {
			delete(theirs, f)
		}
	}
	for f, v := range sh.Written {
		if name, std := sec.standard(f); std && name == f && f != fieldSecret && json.Valid(v) {
			theirs[f] = v
		}
	}
	if !sameEntry(sec, key, theirs, ours, extra) {
		return ours
	}
	return theirs
}

// sameEntry reports whether theirs, read as a document entry (with extra), gives the
// entry that ours describes: encoded again, the same members byte for byte.
func sameEntry(sec *section, key string, theirs, ours object, extra map[string]json.RawMessage) bool {
	members := maps.Clone(theirs)
	for k, v := range extra {
		members[k] = v
	}
	b, err := json.Marshal(members)
	if err != nil {
		return false
	}
	e, err := splitEntry(sec, key, b)
	if err != nil {
		return false
	}
	var w writer
	var again object
	switch sec.name {
	case SectionAccessToken:
		t, skip, err := e.accessToken()
		if err != nil || skip != "" {
			return false
		}
		again = w.accessToken(t)
	case SectionRefreshToken:
		t, _, skip, err := e.refreshToken()
		if err != nil || skip != "" {
			return false
		}
		again = w.refreshToken(t)
	case SectionIDToken:
		t, err := e.idToken()
		if err != nil {
			return false
		}
		again = w.idToken(t)
	case SectionAccount:
		a, err := e.account()
		if err != nil {
			return false
		}
		again = w.account(a)
	case SectionAppMetadata:
		m, err := e.appMetadata()
		if err != nil {
			return false
		}
		again = w.appMetadata(m)
	}
	return w.err == nil && maps.EqualFunc(again, ours, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) })
}
