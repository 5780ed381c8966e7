package msalcache_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// FuzzDecode checks, for any input, that Decode never panics; that a refusal is an
// invalid_input *domain.Error wrapping an *EntryError, with no snapshot; and that what
// it accepts encodes, reads back to the same snapshot with nothing left out, and encodes
// to the same bytes again.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, file := range files {
		f.Add(readSample(f, file[len("testdata/"):]))
	}
	f.Add([]byte(sampleDocument))
	f.Add([]byte("\uFEFF{\"accesstoken\": {\"k\": {\"environment\": \"e\", \"client_id\": \"c\", \"target\": \"s\", \"secret\": \"x\", \"cached_at\": 1.5e3}}} \n"))
	f.Add([]byte(`{"RefreshToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": "c--x", "target": "y", "secret": "b", "last_modification_time": "7"},` +
		`"l": {"home_account_id": "h", "environment": "e", "client_id": "c", "target": "x--y", "secret": "a", "family_id": "1"}}}`))
	f.Add([]byte(`{"Account": {"k": {"home_account_id": "h", "environment": "e", "Name": "n", "x": [1, {"y": "<&>"}]}}}`))
	f.Add([]byte(`{"IdToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": 1}}}`))
	f.Add([]byte(`{"AppMetadata": [`))
	// The shapes of issue 12: MSAL .NET's DateTime.MinValue, early MSAL Python's array
	// targets and float timestamps, MSAL Go's undated refresh tokens, a BOM and CRLF
	// before a malformed entry.
	f.Add([]byte(`{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "secret": "x", "cached_at": "1", "expires_on": "2",` +
		` "extended_expires_on": "-62135596800", "refresh_on": -1.5, "ext_expires_on": "-62135596800"}}}`))
	f.Add([]byte(`{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": ["a", "b"], "secret": "x", "cached_at": 1538000000.123456, "expires_on": "1538003599.5"}},` +
		`"RefreshToken": {"r": {"home_account_id": "h", "environment": "e", "client_id": "c", "target": ["a"], "secret": "y"}}}`))
	f.Add([]byte("\uFEFF{\r\n \"IdToken\": {\r\n  \"k\": {\"home_account_id\": [\"h\"]}}}"))
	f.Add([]byte("\uFEFF{\"Account\": {\"k\": {\"username\": \"\xff\"}}}"))

	// Item 6 of issue 12: foreign sections of every JSON type (kept and written back),
	// absent and null fields (written back as the writer had them), a member name with
	// NUL (refused: hexauth's own shape member), and a foreign section named like a
	// schema section in another case (a schema section).
	f.Add([]byte(`{"unknownEntity": {"field1": "1"}, "Vendor": [1, "two", null], "n": null, "s": "str", "x": 1.50,` +
		` "RefreshToken": {"r": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": "y", "family_id": null, "target": null}},` +
		` "AppMetadata": {"m": {"client_id": "c", "environment": "e", "family_id": null}}}`))
	f.Add([]byte(`{"AccessToken": {"k": {"home_account_id": "", "environment": "e", "client_id": "c", "target": "s", "secret": "x", "realm": null, "key_id": ""}},` +
		` "Account": {"a": {"home_account_id": "h", "environment": "e", "username": null}}}`))
	f.Add([]byte(`{"Account": {"a": {"home_account_id": "h", "environment": "e", "\u0000msalcache.shape": {"absent": ["realm"]}}}}`))
	f.Add([]byte(`{"ACCOUNT": {}, "unknownentity": {"secret-canary": "do-not-print"}, "bad": {"x": }}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, rep, err := msalcache.DecodeReport(data)
		if err != nil {
			var ee *msalcache.EntryError
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalidInput) || !errors.As(err, &ee) {
				t.Fatalf("DecodeReport error = %v (%T); want an invalid_input *domain.Error wrapping an *EntryError", err, err)
			}
			if s.Len() != 0 || !rep.Empty() || rep.Imported != (msalcache.Counts{}) {
				t.Fatalf("DecodeReport returned %d entries and %+v with an error; want none", s.Len(), rep)
			}
			checkPlace(t, data, ee)
			checkNoValueQuoted(t, data, err)
			if _, _, err2 := msalcache.DecodeImport(data, fuzzNow); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("DecodeImport error = %v; want DecodeReport's %v", err2, err)
			}
			// The import path refuses it the same way, before any store is touched.
			if s2, _, err2 := msalcache.DecodeImportAs(data, fuzzNow, domain.Authority{}); err2 == nil || err2.Error() != err.Error() ||
				s2.Len() != 0 || len(s2.ForeignSections) != 0 {
				t.Fatalf("DecodeImportAs = %d entries, %v; want nothing and DecodeReport's %v", s2.Len(), err2, err)
			}
			return
		}
		stamped, rep3, err := msalcache.DecodeImport(data, fuzzNow)
		if err != nil || countsOf(stamped) != rep.Imported || len(rep3.Notices) < len(rep.Notices) {
			t.Fatalf("DecodeImport = %v, %+v; want DecodeReport's %+v and at least its notices", err, rep3.Imported, rep.Imported)
		}
		for _, rt := range stamped.RefreshTokens {
			if rt.CachedAt.IsZero() {
				t.Fatalf("DecodeImport left refresh token %q undated", rt.Key())
			}
		}
		if want := countsOf(s); rep.Imported != want {
			t.Fatalf("Report.Imported = %+v; want the snapshot's %+v", rep.Imported, want)
		}
		out, err := msalcache.Encode(s)
		if err != nil {
			t.Fatalf("Encode of a decoded snapshot: %v", err)
		}
		back, rep2, err := msalcache.DecodeReport(out)
		if err != nil {
			t.Fatalf("Decode(Encode(s)): %v\n%s", err, out)
		}
		// The export carries each entry as its writer wrote it (.NET's minimum date
		// too), so re-reading it may notice again what the first read noticed, no more.
		if len(rep2.Skipped) != 0 || len(rep2.Conflicts) != 0 || len(rep2.Notices) > len(rep.Notices) ||
			rep2.Imported != rep.Imported || !slices.Equal(rep2.ForeignSections, rep.ForeignSections) {
			t.Fatalf("re-reading the export gave %+v; want nothing left out, %+v imported, the same foreign sections, at most %d notices\n%s",
				rep2, rep.Imported, len(rep.Notices), out)
		}
		checkExactFields(t, data, rep, out)
		if d := snapshotDiff(back, s); d != "" {
			t.Fatalf("Decode(Encode(s)) differs from s: %s\n%s", d, out)
		}
		again, err := msalcache.Encode(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Encode is not stable (err %v):\n%s\n---\n%s", err, out, again)
		}
	})
}

// fuzzNow is the import time of FuzzDecode's DecodeImport calls.
var fuzzNow = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// checkPlace fails unless a refusal that gives a place gives one inside data, its line
// and column agreeing with its byte offset (bytes of data as given, lines ending at "\n").
func checkPlace(t *testing.T, data []byte, ee *msalcache.EntryError) {
	t.Helper()
	if ee.Line == 0 {
		if ee.Column != 0 || ee.Offset != 0 {
			t.Fatalf("EntryError has no line but column %d, offset %d", ee.Column, ee.Offset)
		}
		return
	}
	off := int(ee.Offset)
	if off < 0 || off > len(data) {
		t.Fatalf("EntryError.Offset = %d; want within the %d bytes of the document", off, len(data))
	}
	before := string(data[:off])
	if line, column := 1+strings.Count(before, "\n"), off-strings.LastIndex(before, "\n"); ee.Line != line || ee.Column != column {
		t.Fatalf("EntryError at line %d, column %d; offset %d is line %d, column %d", ee.Line, ee.Column, off, line, column)
	}
}

// valueStrings matches a JSON string that is a member's value (after a colon), 8
// characters or more and without escapes: what a secret looks like in a document.
var valueStrings = regexp.MustCompile(`:\s*"([^"\\]{8,})"`)

// checkNoValueQuoted fails when err quotes a string value of data that is not also a
// member name or section name there (names are quoted on purpose: they place the error).
func checkNoValueQuoted(t *testing.T, data []byte, err error) {
	t.Helper()
	msg := err.Error()
	for _, m := range valueStrings.FindAllSubmatch(data, -1) {
		v := string(m[1])
		if strings.Contains(msg, strconv.Quote(v)) && !usedAsName(data, v) && !schemaName(v) {
			t.Fatalf("error %q quotes the value %q of the document", msg, v)
		}
	}
}

// usedAsName reports whether the string v appears in data where a member name can
// stand: after "{" or "," (white space aside).
func usedAsName(data []byte, v string) bool {
	q := []byte(`"` + v + `"`)
	for i := bytes.Index(data, q); i >= 0; {
		before := bytes.TrimRight(data[:i], " \t\r\n")
		if n := len(before); n > 0 && (before[n-1] == '{' || before[n-1] == ',') {
			return true
		}
		j := bytes.Index(data[i+1:], q)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// schemaName reports whether v is a section or field name of the schema, which errors
// name on their own.
func schemaName(v string) bool {
	for _, n := range []string{"AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata", "home_account_id",
		"environment", "client_id", "realm", "target", "secret", "credential_type", "token_type", "cached_at", "expires_on",
		"extended_expires_on", "refresh_on", "key_id", "family_id", "local_account_id", "username", "name", "authority_type"} {
		if strings.EqualFold(n, v) {
			return true
		}
	}
	return false
}
