package msalcache

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// object is one entry of the document being written: member name to JSON value.
type object map[string]json.RawMessage

// Encode writes s as a unified-cache document in MSAL Python's layout. The output is
// deterministic: the five sections are always present (empty ones as {}), sections,
// entries and members are sorted by name (encoding/json's map order), indentation is
// two spaces, HTML characters are not escaped, and a newline ends it.
//
// Keys are MSAL Python's: the entries' Key(), except that app metadata's keeps the case
// of its environment and client id, and a refresh token's is MSAL Go's
// (<home>-<env>-refreshtoken-<family_id or client_id>) so that MSAL Go overwrites it when
// it rotates the token (see refreshTokenKey); an OIDC issuer's refresh token, which has
// a realm, keeps MSAL Python's key with the realm (<home>-<env>-refreshtoken-<client_id>-<realm>-<target>). Timestamps are strings of Unix
// seconds; a zero time is left out. A refresh token's CachedAt, which the schema does
// not have, is written as "cached_at" so that Decode reads it back. An app token's
// empty home_account_id is written as null, as MSAL Python writes it.
//
// The snapshot's ForeignSections are written back as top-level members beside the five
// sections, each value as it is (re-indented).
//
// Entries of one section whose keys collide (their fields hold dashes) are two entries:
// the second is written under its key with "#2" appended (readers identify entries by
// their fields). Two entries of one section with the same KeyFields, an Extra value that is not JSON, an
// Extra name that is also one of the section's field names (ignoring case), a time
// before 1970 or after 2^53 seconds, or a foreign section that is not valid JSON or is
// named as a schema section is a *domain.Error of class domain.ErrInvalidInput.
func Encode(s domain.CacheSnapshot) ([]byte, error) {
	doc := map[string]map[string]object{}
	for _, sec := range sections {
		doc[sec.name] = map[string]object{}
	}
	w := writer{doc: doc}
	// Each section sorted, so that the rare entries whose keys collide (MSAL Python's
	// refresh token keys of ids with "--" in them; any key whose fields hold dashes) get
	// the same fallback keys (freeKey) on every run.
	for _, t := range byKey(s.AccessTokens) {
		w.add(SectionAccessToken, t.KeyFields(), w.freeKey(SectionAccessToken, t.Key()), t.Extra, w.accessToken(t))
	}
	for _, t := range byKey(s.RefreshTokens) {
		w.add(SectionRefreshToken, t.KeyFields(), w.freeKey(SectionRefreshToken, refreshTokenKey(t), pythonRefreshTokenKey(t), t.Key()), t.Extra, w.refreshToken(t))
	}
	for _, t := range byKey(s.IDTokens) {
		w.add(SectionIDToken, t.KeyFields(), w.freeKey(SectionIDToken, t.Key()), t.Extra, w.idToken(t))
	}
	for _, a := range byKey(s.Accounts) {
		w.add(SectionAccount, a.KeyFields(), w.freeKey(SectionAccount, a.Key()), a.Extra, w.account(a))
	}
	for _, m := range byKey(s.AppMetadata) {
		w.add(SectionAppMetadata, m.KeyFields(), w.freeKey(SectionAppMetadata, "appmetadata-"+m.Environment+"-"+m.ClientID), m.Extra, w.appMetadata(m))
	}
	if w.err != nil {
		return nil, w.err
	}
	top, err := withForeign(doc, s.ForeignSections)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(top); err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opEncode, Description: "write JSON", Err: err}
	}
	return b.Bytes(), nil
}

// withForeign returns the document's top level: the five sections and the foreign
// sections, whose values are written as they are (re-indented like the rest). A foreign
// section named as one of the schema's (ignoring case), given twice, or failing
// domain.CheckStoredForeignSection is refused, naming it but never quoting its value.
// The bounds are those of what a store holds (domain.CheckStoredForeignSections), so an
// export never refuses a partition its store accepted.
func withForeign(doc map[string]map[string]object, fs []domain.ForeignSection) (map[string]any, error) {
	top := make(map[string]any, len(doc)+len(fs))
	for name, sec := range doc {
		top[name] = sec
	}
	if len(fs) > domain.MaxForeignSections {
		return nil, invalid(opEncode, &EntryError{Reason: fmt.Sprintf("more than %d foreign sections", domain.MaxForeignSections)})
	}
	if n := domain.ForeignSectionsSize(fs); n > domain.MaxStoredForeignSectionsBytes {
		return nil, invalid(opEncode, &EntryError{Reason: fmt.Sprintf("foreign sections of more than %d bytes in all", domain.MaxStoredForeignSectionsBytes)})
	}
	for _, f := range fs {
		reason := ""
		if err := domain.CheckStoredForeignSection(f); err != nil {
			reason = "foreign section: " + err.(*domain.Error).Description
		} else if _, ok := sectionNamed(f.Name); ok {
			reason = "a foreign section has the name of a schema section"
		} else if _, dup := top[f.Name]; dup {
			reason = "two foreign sections have this name"
		}
		if reason != "" {
			return nil, invalid(opEncode, &EntryError{Section: f.Name, Reason: reason})
		}
		top[f.Name] = json.RawMessage(f.Value)
	}
	return top, nil
}

// refreshTokenKey is the key a refresh token is written under: MSAL Go's
// (<home>-<env>-refreshtoken-<family_id or client_id>, lower-cased) for a realm-less
// token, else MSAL Python's with hexauth's realm (an OIDC issuer's path, which no MSAL
// key has a slot for). MSAL Go reads refresh tokens by their fields, picks among several
// that match in map order, and writes its rotation under its own key: under any other
// key the exported token, spent once MSAL Go redeems it, stays beside the rotation and
// is presented again at random (revoked: invalid_grant; with reuse detection the session
// ends). MSAL Python reads by fields and tries the newest last_modification_time first,
// so it does not mind the key. A key taken by another token (two apps of one family,
// OIDC subjects differing in case) falls back to MSAL Python's form (see Encode).
func refreshTokenKey(t domain.RefreshToken) string {
	if t.Realm == "" {
		return strings.ToLower(strings.Join([]string{t.HomeAccountID, t.Environment, "refreshtoken", cmp.Or(t.FamilyID, t.ClientID)}, "-"))
	}
	return pythonRefreshTokenKey(t)
}

// pythonRefreshTokenKey is MSAL Python's key of a refresh token, with hexauth's realm.
func pythonRefreshTokenKey(t domain.RefreshToken) string {
	return domain.FoldHomeAccountID(t.HomeAccountID) + "-" + strings.ToLower(strings.Join([]string{t.Environment, "refreshtoken", t.ClientID}, "-")) +
		"-" + t.Realm + "-" + strings.ToLower(t.Target)
}

// byKey returns a copy of es sorted by key, then by identity fields.
func byKey[E interface {
	Key() string
	KeyFields() [6]string
}](es []E) []E {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b E) int {
		fa, fb := a.KeyFields(), b.KeyFields()
		return cmp.Or(strings.Compare(a.Key(), b.Key()), slices.Compare(fa[:], fb[:]))
	})
	return es
}

// freeKey returns the first of keys not yet used in section, else the last one with
// "#2", "#3"... appended. Readers identify entries by their fields, so a document key
// only has to be unique.
func (w *writer) freeKey(section string, keys ...string) string {
	for _, k := range keys {
		if _, used := w.doc[section][k]; !used {
			return k
		}
	}
	last := keys[len(keys)-1]
	for i := 2; ; i++ {
		k := last + "#" + strconv.Itoa(i)
		if _, used := w.doc[section][k]; !used {
			return k
		}
	}
}

// writer builds the document and keeps the first error.
type writer struct {
	doc  map[string]map[string]object
	seen map[[6]string]bool // KeyFields (which name the kind) of the entries added
	err  error
}

func (w *writer) fail(section, key, field, reason string) {
	if w.err == nil {
		w.err = invalid(opEncode, &EntryError{Section: section, Key: key, Field: field, Reason: reason})
	}
}

// add files the standard members std and the Extra members of one entry under docKey.
func (w *writer) add(section string, id [6]string, docKey string, extra map[string]json.RawMessage, std object) {
	if w.err != nil {
		return
	}
	if w.seen == nil {
		w.seen = map[[6]string]bool{}
	}
	if w.seen[id] {
		w.fail(section, docKey, "", "two entries are one entry (equal identity fields)")
		return
	}
	w.seen[id] = true
	sec, _ := sectionNamed(section)
	if _, ok := extra[domain.SpentMember]; ok {
		// hexauth's own record of rotated-away tokens: no MSAL writer knows it.
		extra = maps.Clone(extra)
		delete(extra, domain.SpentMember)
	}
	if raw, ok := extra[ShapeMember]; ok {
		extra = maps.Clone(extra)
		delete(extra, ShapeMember)
		std = applyShape(sec, docKey, std, extra, raw)
	}
	for name, v := range extra {
		if strings.ContainsRune(name, 0) {
			w.fail(section, docKey, name, "an Extra member's name contains a NUL character")
			return
		}
		if std, ok := sec.standard(name); ok {
			w.fail(section, docKey, std, "an Extra member has the name of a schema field")
			return
		}
		if !json.Valid(v) {
			w.fail(section, docKey, name, "Extra value is not valid JSON")
			return
		}
		std[name] = v
	}
	w.doc[section][docKey] = std
}

// str encodes a string member without HTML escaping, as the whole document is.
func str(s string) json.RawMessage {
	if plainASCII(s) { // ids, hosts, scopes, timestamps, most secrets: nothing to escape
		b := make([]byte, 0, len(s)+2)
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// plainASCII reports whether s is printable ASCII without '"' or '\\': encoding/json
// writes such a string as it is between quotes (HTML escaping is off).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// setTime sets a timestamp member unless t is zero.
func (w *writer) setTime(o object, section, key, field string, t time.Time) {
	if t.IsZero() {
		return
	}
	sec := t.Unix()
	if sec < 0 || sec > maxUnix {
		w.fail(section, key, field, "time outside 1970 to 2^53 seconds")
		return
	}
	o[field] = str(strconv.FormatInt(sec, 10))
}

func setIf(o object, field, v string) {
	if v != "" {
		o[field] = str(v)
	}
}
