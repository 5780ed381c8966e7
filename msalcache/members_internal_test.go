package msalcache

import (
	"bytes"
	"encoding/json"
	"testing"
)

// members reads an object as json.Unmarshal into a map of json.RawMessage does: the same
// names, the same values (the last of a name given twice), and not an object for the
// rest.
func FuzzMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}],"d":"x\"}"}`, `{"a":1,"a":{"b":null}}`,
		`{"\u0041\"":true,"e":false,"n":null,"num":-1.5e+3,"s":"\\"}`, `{"a":"\\\""}`,
		`[]`, `null`, `"{}"`, `5`, "{\n\t\"k\"\r\n:\n[ ]\n}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var want map[string]json.RawMessage
		wantOK := json.Unmarshal(b, &want) == nil && want != nil
		got, ok := members(b)
		if ok != wantOK {
			t.Fatalf("members(%q) ok = %v; json.Unmarshal says an object: %v", b, ok, wantOK)
		}
		if len(got) != len(want) {
			t.Fatalf("members(%q) = %d members; want %d", b, len(got), len(want))
		}
		for name, w := range want {
			if g, ok := got[name]; !ok || !bytes.Equal(g, w) {
				t.Fatalf("members(%q)[%q] = %q, %v; want %q", b, name, g, ok, w)
			}
		}
	})
}
