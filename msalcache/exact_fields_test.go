package msalcache_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// ownFields are the fields hexauth adds to an entry of another writer (documented in
// docs/cache-schema.md): a refresh token's cached_at (from last_modification_time, or
// the import's stamp) and realm (an OIDC issuer's path).
var ownFields = map[string][]string{msalcache.SectionRefreshToken: {"cached_at", "realm"}}

var schemaSections = []string{msalcache.SectionAccessToken, msalcache.SectionRefreshToken, msalcache.SectionIDToken,
	msalcache.SectionAccount, msalcache.SectionAppMetadata}

// entriesByKey reads every entry of a document that decodes, one at a time, and files
// its members under (section, hexauth's key): the writer's key is not kept by an export.
func entriesByKey(t *testing.T, doc []byte, skipped []msalcache.Skipped) map[string]map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	body := bytes.TrimSpace(bytes.TrimPrefix(doc, []byte("\uFEFF")))
	if len(body) == 0 {
		return nil // an empty document is an empty cache
	}
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("the document is not a JSON object: %v", err)
	}
	out := map[string]map[string]json.RawMessage{}
	for name, raw := range top {
		i := slices.IndexFunc(schemaSections, func(s string) bool { return strings.EqualFold(s, name) })
		if i < 0 {
			continue
		}
		section := schemaSections[i]
		var entries map[string]json.RawMessage
		if json.Unmarshal(raw, &entries) != nil {
			continue // null
		}
		for key, e := range entries {
			if slices.ContainsFunc(skipped, func(s msalcache.Skipped) bool { return s.Section == section && s.Key == key }) {
				continue
			}
			one, _ := json.Marshal(map[string]map[string]json.RawMessage{section: {key: e}})
			s, err := msalcache.Decode(one)
			if err != nil || s.Len() != 1 {
				t.Fatalf("%s[%q] alone = %d entries, %v; want the entry", section, key, s.Len(), err)
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal(e, &members); err != nil {
				t.Fatal(err)
			}
			out[section+"\x00"+keyOf(s)] = members
		}
	}
	return out
}

// keyOf returns the Key() of the one entry of s.
func keyOf(s domain.CacheSnapshot) string {
	switch {
	case len(s.AccessTokens) == 1:
		return s.AccessTokens[0].Key()
	case len(s.RefreshTokens) == 1:
		return s.RefreshTokens[0].Key()
	case len(s.IDTokens) == 1:
		return s.IDTokens[0].Key()
	case len(s.Accounts) == 1:
		return s.Accounts[0].Key()
	default:
		return s.AppMetadata[0].Key()
	}
}

// throughMemoryStore imports s into a memory store and returns its export: what a
// store keeps of an entry (its Extra, so its shape) is what Encode sees.
func throughMemoryStore(t *testing.T, s domain.CacheSnapshot) domain.CacheSnapshot {
	t.Helper()
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Import(t.Context(), "p", s); err != nil {
		t.Fatalf("Import: %v", err)
	}
	out, err := store.Export(t.Context(), "p")
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}

// checkExactFields fails unless every entry of in that was read (not skipped) comes out
// of out with exactly the fields it was written with — names (ignoring case) and values
// (compact JSON, the secret by its decoded value) — plus only hexauth's own fields.
func checkExactFields(t *testing.T, in []byte, rep msalcache.Report, out []byte) {
	t.Helper()
	before := entriesByKey(t, in, rep.Skipped)
	after := entriesByKey(t, out, nil)
	for id, want := range before {
		section, key, _ := strings.Cut(id, "\x00")
		got, ok := after[id]
		if !ok {
			t.Errorf("%s[%q]: not in the export", section, key)
			continue
		}
		if d := fieldDiff(section, got, want); d != "" {
			t.Errorf("%s[%q]: exported fields differ from the imported ones: %s", section, key, d)
		}
	}
}

// fieldDiff compares the members of one entry, names ignoring case.
func fieldDiff(section string, got, want map[string]json.RawMessage) string {
	fold := func(m map[string]json.RawMessage) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for k, v := range m {
			var c bytes.Buffer
			if json.Compact(&c, v) == nil {
				v = c.Bytes()
			}
			out[strings.ToLower(k)] = v
		}
		return out
	}
	g, w := fold(got), fold(want)
	var diffs []string
	for name, wv := range w {
		gv, ok := g[name]
		switch {
		case !ok:
			diffs = append(diffs, "lost "+name)
		case name == "secret":
			var a, b string
			if json.Unmarshal(gv, &a) != nil || json.Unmarshal(wv, &b) != nil || a != b {
				diffs = append(diffs, "secret changed")
			}
		case !bytes.Equal(gv, wv):
			diffs = append(diffs, name+" = "+string(gv)+"; want "+string(wv))
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok && !slices.Contains(ownFields[section], name) {
			diffs = append(diffs, "gained "+name)
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, ", ")
}

// Every shared sample and writer fixture: decode → import (a memory store) → export
// gives every entry read back with exactly its fields.
func TestEncode_exportedEntriesHaveTheirImportedFields(t *testing.T) {
	var files []string
	for _, dir := range []string{"msal-go", "msal-java", "msal-js", "writers"} {
		names, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, names...)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, rep, err := msalcache.DecodeReport(data)
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			out, err := msalcache.Encode(throughMemoryStore(t, s))
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			checkExactFields(t, data, rep, out)
		})
	}
}

// The brief's example: MSAL Go's refresh token without "target" gains no "target": ""
// on export, and its app token keeps home_account_id "" (hexauth writes null for its
// own app tokens); the unknown section comes back.
func TestEncode_msalGoOmittedFieldsStayOmitted(t *testing.T) {
	data := readSample(t, "writers/msal-go-1.x_omitted-fields.json")
	s, err := msalcache.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := msalcache.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	doc := sectionsOf(t, out)
	for _, rt := range doc["RefreshToken"] {
		if _, ok := rt["target"]; ok {
			t.Errorf("exported refresh token has target %s; MSAL Go's had none", rt["target"])
		}
	}
	for _, at := range doc["AccessToken"] {
		if got := string(at["home_account_id"]); got != `""` {
			t.Errorf("exported app token home_account_id = %s; want \"\" as MSAL Go wrote it", got)
		}
		if _, ok := at["token_type"]; ok {
			t.Errorf("exported access token has token_type; MSAL Go's had none")
		}
	}
	if !bytes.Contains(out, []byte(`"unknownEntity": {`)) || !bytes.Contains(out, []byte(`"field2": "whats"`)) {
		t.Errorf("unknownEntity is not written back:\n%s", out)
	}
}

// A shape describes the entry it came with only: once the entry holds other values (a
// row edited, an entry rebuilt from another), the export writes hexauth's layout with
// the current values, never the writer's stale ones.
func TestEncode_staleShapeIsIgnored(t *testing.T) {
	s, err := msalcache.Decode(readSample(t, "writers/msal-python-0.1_list-target.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.AccessTokens[0].Target = "Other.Scope"
	s.AccessTokens[0].ExpiresOn = s.AccessTokens[0].ExpiresOn.Add(time.Hour)
	out, err := msalcache.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := msalcache.Decode(out)
	if err != nil || len(back.AccessTokens) != 1 {
		t.Fatalf("Decode(export) = %v", err)
	}
	if at := back.AccessTokens[0]; at.Target != "Other.Scope" || !at.ExpiresOn.Equal(s.AccessTokens[0].ExpiresOn) {
		t.Errorf("exported access token = target %q, expires_on %v; want the entry's current values", at.Target, at.ExpiresOn)
	}
	for _, at := range sectionsOf(t, out)[msalcache.SectionAccessToken] {
		if got := string(at["target"]); got != `"Other.Scope"` {
			t.Errorf("exported target = %s; want \"Other.Scope\", not the writer's stale array", got)
		}
	}
	// A field the writer left out comes back once the entry has a value for it.
	acct, err := msalcache.Decode([]byte(`{"Account": {"k": {"home_account_id": "h", "environment": "e"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	acct.Accounts[0].Realm = "tenant"
	if out, err := msalcache.Encode(acct); err != nil || !bytes.Contains(out, []byte(`"realm": "tenant"`)) {
		t.Errorf("export of an account given a realm after import = %v:\n%s", err, out)
	}
}

// No document can name hexauth's shape member: a member name holding NUL is refused,
// naming the place, so a crafted document cannot plant a shape.
func TestDecode_memberNameWithNULIsRefused(t *testing.T) {
	_, err := msalcache.Decode([]byte(`{"Account": {"k": {"home_account_id": "h", "environment": "e", "\u0000msalcache.shape": {"absent": ["username"]}}}}`))
	var ee *msalcache.EntryError
	if !errors.As(err, &ee) || ee.Section != msalcache.SectionAccount || ee.Key != "k" || ee.Line != 1 {
		t.Fatalf("Decode = %v; want an EntryError at Account[\"k\"] with a line", err)
	}
}

// sectionsOf returns the five sections of a document, entry members by key.
func sectionsOf(t *testing.T, doc []byte) map[string]map[string]map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[string]json.RawMessage{}
	for _, name := range schemaSections {
		var sec map[string]map[string]json.RawMessage
		if err := json.Unmarshal(top[name], &sec); err != nil {
			t.Fatalf("section %s: %v", name, err)
		}
		out[name] = sec
	}
	return out
}

// A shape never holds a secret (Extra is not sealed by a sealing store): a secret the
// writer escaped differently from hexauth is written back in hexauth's escaping.
func TestDecode_shapeNeverRecordsTheSecret(t *testing.T) {
	s, err := msalcache.Decode([]byte(`{"RefreshToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": "c",` +
		` "secret": "can\u0061ry-secret\/x"}}}`))
	if err != nil || len(s.RefreshTokens) != 1 {
		t.Fatalf("Decode = %v", err)
	}
	for name, v := range s.RefreshTokens[0].Extra {
		if bytes.Contains(v, []byte("secret")) || bytes.Contains(v, []byte("ry-")) {
			t.Errorf("Extra[%q] = %s holds the secret", name, v)
		}
	}
}
