package sqlcache

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// entraHome is an Entra home account id in mixed case: it folds to lower case, as an
// OIDC subject would not.
const entraHome = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"

// sampleSnapshot returns one entry of each kind, with mixed-case ids and Extra fields.
func sampleSnapshot() domain.CacheSnapshot {
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	extra := map[string]json.RawMessage{"x": json.RawMessage(` [1, 2] `)}
	return domain.CacheSnapshot{
		AccessTokens: []domain.AccessToken{{HomeAccountID: entraHome, Environment: "Login.Example.com", ClientID: "Client",
			Realm: "tenant", Target: "a b", Secret: "at-secret", TokenType: "Bearer", CachedAt: at, ExpiresOn: at.Add(time.Hour),
			ExtendedExpiresOn: at.Add(2 * time.Hour), KeyID: "kid", Extra: extra}},
		RefreshTokens: []domain.RefreshToken{{HomeAccountID: entraHome, Environment: "login.example.com", ClientID: "Client",
			FamilyID: "1", Realm: "realms/A", Target: "a b", Secret: "rt-secret", CachedAt: at}},
		IDTokens: []domain.IDToken{{HomeAccountID: entraHome, Environment: "login.example.com", ClientID: "Client",
			Realm: "tenant", Secret: "idt-secret", Extra: map[string]json.RawMessage{}}},
		Accounts: []domain.Account{{HomeAccountID: entraHome, Environment: "login.example.com", Realm: "tenant",
			LocalAccountID: "oid", Username: "Ann@Example.com", Name: "Ann", AuthorityType: "MSSTS", Extra: extra}},
		AppMetadata:     []domain.AppMetadata{{ClientID: "Client", Environment: "login.example.com", FamilyID: "1"}},
		ForeignSections: []domain.ForeignSection{{Name: "unknownEntity", Value: json.RawMessage(`{"a":"caf\u00e9"}`)}},
	}
}

// rowFromValues builds the union row a store would read back from a table row: each
// table column that is also a union column, by name, plus the kind.
func rowFromValues(t *testing.T, k KindRows, vals []any) Row {
	t.Helper()
	byName := map[string]Column{}
	for c := range NumColumns {
		byName[c.String()] = c
	}
	r := rowOf(map[Column]any{ColKind: int64(k.Kind)})
	for i, col := range k.Table.Columns {
		c, ok := byName[col.Name]
		if col.Name == "value" {
			c, ok = ColExtra, true // a foreign section's value is read back as extra
		}
		if !ok {
			continue // a folded column: written, never read back
		}
		v := vals[i]
		if col.Type == AsFolded && v.(*string) == nil { // read as coalesce(name, name_folded)
			v = vals[slices.IndexFunc(k.Table.Columns, func(c TableColumn) bool { return c.Name == col.Name+"_folded" })]
		}
		if b, ok := v.([]byte); ok {
			v = string(b) // the driver returns a BLOB as []byte; a Row keeps it as text
		}
		if s, ok := v.(*string); ok {
			v = nil
			if s != nil {
				v = *s
			}
		}
		r.cells[c].v = v
	}
	return r
}

func TestRowsOf_valuesMatchTheTables(t *testing.T) {
	snap := sampleSnapshot()
	for _, k := range RowsOf(snap, ExtraCodec{}) {
		t.Run(k.Kind.String(), func(t *testing.T) {
			if k.Len != 1 {
				t.Fatalf("Len = %d; want 1", k.Len)
			}
			vals, err := k.Values(0)
			if err != nil || len(vals) != len(k.Table.Columns) {
				t.Fatalf("Values(0) = %d values, %v; want %d (one per column of %s), nil", len(vals), err, len(k.Table.Columns), k.Table.Name)
			}
			for i, col := range k.Table.Columns {
				want := map[ColumnType]reflect.Type{Text: reflect.TypeFor[string](), Integer: reflect.TypeFor[int64](),
					JSON: reflect.TypeFor[*string](), AsFolded: reflect.TypeFor[*string](), NullText: reflect.TypeFor[*string](),
					Bytes: reflect.TypeFor[[]byte]()}[col.Type]
				if got := reflect.TypeOf(vals[i]); got != want {
					t.Errorf("%s.%s holds a %v; want %v", k.Table.Name, col.Name, got, want)
				}
				if i < len(k.Table.Identity) && col.Name != k.Table.Identity[i] {
					t.Errorf("%s column %d is %s; want the identity column %s (identity first)", k.Table.Name, i, col.Name, k.Table.Identity[i])
				}
				if col.Type == AsFolded && !slices.ContainsFunc(k.Table.Columns, func(c TableColumn) bool { return c.Name == col.Name+"_folded" }) {
					t.Errorf("%s.%s has no %s_folded column to be read from", k.Table.Name, col.Name, col.Name)
				}
			}
		})
	}
}

func TestRowsOf_roundTripsThroughARow(t *testing.T) {
	snap := sampleSnapshot()
	var got domain.CacheSnapshot
	for _, k := range RowsOf(snap, ExtraCodec{EmptyIsNull: true}) {
		for i := range k.Len {
			vals, err := k.Values(i)
			if err != nil {
				t.Fatalf("%v Values(%d) = %v", k.Kind, i, err)
			}
			r := rowFromValues(t, k, vals)
			if err := r.AppendTo(&got, ExtraCodec{EmptyIsNull: true}); err != nil {
				t.Fatalf("%v: AppendTo(row of its values) = %v; want nil", k.Kind, err)
			}
		}
	}
	want := sampleSnapshot()
	want.IDTokens[0].Extra = nil // an empty Extra is stored as NULL under EmptyIsNull
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip through rows:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestRowsOf_oidcSubjectKeepsItsCase(t *testing.T) {
	snap := domain.CacheSnapshot{Accounts: []domain.Account{{HomeAccountID: "Alice", Environment: "idp", Realm: "r"}}}
	vals, _ := RowsOf(snap, ExtraCodec{})[3].Values(0)
	for i, col := range Accounts.Columns {
		if col.Name == "home_account_id_folded" && vals[i] != "Alice" {
			t.Errorf("accounts.home_account_id_folded of subject Alice = %q; want Alice (OIDC subjects are case-sensitive)", vals[i])
		}
	}
}

func TestRowsOf_foldedColumns(t *testing.T) {
	for _, k := range RowsOf(sampleSnapshot(), ExtraCodec{}) {
		if k.Len == 0 {
			continue
		}
		vals, _ := k.Values(0)
		for i, col := range k.Table.Columns {
			if s, ok := vals[i].(string); ok && len(col.Name) > 7 && col.Name[len(col.Name)-7:] == "_folded" && s != Fold(s) {
				t.Errorf("%s.%s = %q; want it folded", k.Table.Name, col.Name, s)
			}
		}
	}
}

func TestRowsOf_refusedExtraNamesTheField(t *testing.T) {
	snap := domain.CacheSnapshot{Accounts: []domain.Account{{HomeAccountID: "h",
		Extra: map[string]json.RawMessage{"bad": json.RawMessage(`{"secret": `)}}}}
	for _, k := range RowsOf(snap, ExtraCodec{}) {
		if k.Kind != KindAccount {
			if k.Len != 0 {
				t.Errorf("%v Len = %d; want 0", k.Kind, k.Len)
			}
			continue
		}
		if _, err := k.Values(0); err == nil || err.Error() != `extra field "bad" is not valid JSON` {
			t.Errorf("Values(0) = %v; want the field named", err)
		}
	}
}

func TestOnConflictUpdate(t *testing.T) {
	small := Table{Name: "t", Identity: []string{"key"}, Columns: []TableColumn{{"key", Text}, {"a", Text}, {"n", Integer}}}
	tests := []struct {
		name    string
		t       Table
		replace string
		want    string
	}{
		{"every column but the identity", small, "",
			"\nON CONFLICT (partition, key) DO UPDATE SET a = excluded.a, n = excluded.n"},
		{"under a condition", small, "excluded.n >= t.n",
			"\nON CONFLICT (partition, key) DO UPDATE SET a = excluded.a, n = excluded.n\nWHERE excluded.n >= t.n"},
		{"app metadata", AppMetadata, "",
			"\nON CONFLICT (partition, client_id_folded, environment_folded) DO UPDATE SET client_id = excluded.client_id, " +
				"environment = excluded.environment, family_id = excluded.family_id, extra = excluded.extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnConflictUpdate(tt.t, tt.replace); got != tt.want {
				t.Errorf("OnConflictUpdate(%s, %q) =\n%q; want\n%q", tt.t.Name, tt.replace, got, tt.want)
			}
		})
	}
}
