package msalcache_test

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/msalcache"
)

func TestDecode_errorsPointAtThePlace(t *testing.T) {
	const bom = "\uFEFF"
	for _, tc := range []struct {
		name                string
		doc                 string
		section, key, field string
		at                  string // the text the error points at: its last occurrence in doc
	}{
		{name: "field of the wrong type, BOM and CRLF",
			doc:     bom + "{\r\n  \"IdToken\": {\r\n    \"k\": {\"home_account_id\": 7}\r\n  }\r\n}",
			section: "IdToken", key: "k", field: "home_account_id", at: `"home_account_id"`},
		{name: "missing field points at the entry's key",
			doc:     "{\n\"AccessToken\": {\n  \"k\": {\"environment\": \"e\", \"target\": \"s\"}}}",
			section: "AccessToken", key: "k", field: "client_id", at: `"k"`},
		{name: "BOM counted on line 1",
			doc:     bom + `{"Account": {"k": {"home_account_id": "h", "environment": 1}}}`,
			section: "Account", key: "k", field: "environment", at: `"environment"`},
		{name: "section and field spelled in another case",
			doc:     "{\"accounT\": {\"k\": {\"home_account_id\": \"h\",\n\"Environment\": 1}}}",
			section: "Account", key: "k", field: "environment", at: `"Environment"`},
		{name: "the last of a name given twice, as encoding/json reads",
			doc:     "{\"IdToken\": {\"k\": {\"client_id\": \"c\"},\n \"k\": {\"client_id\": 1}}}",
			section: "IdToken", key: "k", field: "client_id", at: `"client_id"`},
		{name: "section that is not an object",
			doc:     "{\"x\": 1,\n\"RefreshToken\": 5}",
			section: "RefreshToken", at: `"RefreshToken"`},
		{name: "syntax error inside a field",
			doc:     bom + "{\"AccessToken\": {\"k\": {\n\"secret\": \"ab\tc\"}}}",
			section: "AccessToken", key: "k", field: "secret", at: "\t"},
		{name: "syntax error between entries",
			doc:     "{\"AccessToken\": {\"k\": {}\n,}}",
			section: "AccessToken", at: "}}"},
		{name: "truncated document",
			doc:     "{\"IdToken\": {\"k\": {\"secret\": \"x",
			section: "IdToken", key: "k", field: "secret", at: "x"},
		{name: "not UTF-8",
			doc: bom + "{\n\"Account\": {\"k\": {\"username\": \"a\xffb\"}}}",
			at:  "\xff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := msalcache.Decode([]byte(tc.doc))
			ee := entryError(t, err)
			if ee.Section != tc.section || ee.Key != tc.key || ee.Field != tc.field {
				t.Errorf("EntryError = {Section: %q, Key: %q, Field: %q}; want {%q, %q, %q}", ee.Section, ee.Key, ee.Field, tc.section, tc.key, tc.field)
			}
			// Bytes of the file as given, BOM included; lines end at "\n".
			off := strings.LastIndex(tc.doc, tc.at)
			line := 1 + strings.Count(tc.doc[:off], "\n")
			column := off - strings.LastIndex(tc.doc[:off], "\n")
			if ee.Line != line || ee.Column != column || ee.Offset != int64(off) {
				t.Errorf("place = line %d, column %d, offset %d; want %d, %d, %d (%v)", ee.Line, ee.Column, ee.Offset, line, column, off, err)
			}
			if want := "(line "; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not give the line", err)
			}
			if strings.Contains(err.Error(), "character '") {
				t.Errorf("error %q quotes a character of the document", err)
			}
		})
	}
}

// One place counted by hand: the BOM is bytes 0 to 2, "{" byte 3, the section's name
// starts at byte 4, column 5.
func TestDecode_errorPlaceCountedByHand(t *testing.T) {
	_, err := msalcache.Decode([]byte("\uFEFF{\"IdToken\": 1}"))
	if ee := entryError(t, err); ee.Line != 1 || ee.Column != 5 || ee.Offset != 4 || !strings.HasSuffix(err.Error(), "(line 1, column 5)") {
		t.Fatalf("error %v at line %d, column %d, offset %d; want line 1, column 5, offset 4", err, ee.Line, ee.Column, ee.Offset)
	}
}
