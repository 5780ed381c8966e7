package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// foreign returns a foreign section of name holding value.
func foreign(name, value string) domain.ForeignSection {
	return domain.ForeignSection{Name: name, Value: json.RawMessage(value)}
}

// foreignCases hold stores to the foreign-section rules of domain.ForeignSection: kept
// per partition byte for byte, a section of the same name replaced whole by a later
// import, untouched by writes and RemoveAccount, a bad one refused with the whole
// import, and the partition's bounds held across imports.
func foreignCases() []storeCase {
	// MSAL Go's unknownEntity as its samples hold it, and a section whose value holds
	// escapes, non-ASCII text and numbers a re-encoding would change.
	unknown := foreign("unknownEntity", `{"field1":"1","field2":"whats"}`)
	odd := foreign("Vendor.Ext", `{"k":"caf\u00e9 \"q\" é","n":[1,2.50,-0,1e2],"x":null}`)
	return []storeCase{
		{"ImportKeepsThemByteForByte", func(t *testing.T, s ports.CacheStore) {
			snap := richSnapshot()
			snap.ForeignSections = []domain.ForeignSection{unknown, odd, foreign("arr", `[true,"s"]`)}
			mustImport(t, s, "p", snap)
			sameSnapshot(t, fmt.Sprintf("Export(%q) after an Import with foreign sections", "p"), mustExport(t, s, "p"), snap)
		}},
		{"ASecondImportReplacesASectionOfTheSameName", func(t *testing.T, s ports.CacheStore) {
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{unknown, foreign("b", `{"v":1}`)}})
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{foreign("b", `{"w":2}`), foreign("c", `3`)}})
			want := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{unknown, foreign("b", `{"w":2}`), foreign("c", `3`)}}
			sameSnapshot(t, "Export after two imports naming section \"b\"", mustExport(t, s, "p"), want)
		}},
		{"NamesCompareExactly", func(t *testing.T, s ports.CacheStore) {
			fs := []domain.ForeignSection{foreign("unknownEntity", `1`), foreign("UnknownEntity", `2`)}
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: fs})
			sameSnapshot(t, "Export after importing two sections whose names differ in case", mustExport(t, s, "p"), domain.CacheSnapshot{ForeignSections: fs})
		}},
		{"ArePerPartition", func(t *testing.T, s ports.CacheStore) {
			mustImport(t, s, "p1", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{unknown}})
			if got := mustExport(t, s, "p2"); len(got.ForeignSections) != 0 {
				t.Errorf("Export(%q) after an import into %q holds %d foreign sections; want none", "p2", "p1", len(got.ForeignSections))
			}
			if got := mustExport(t, s, ""); len(got.ForeignSections) != 0 {
				t.Errorf("Export(%q) after an import into %q holds %d foreign sections; want none", "", "p1", len(got.ForeignSections))
			}
		}},
		{"WritesAndRemoveAccountKeepThem", func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
			snap := snapshotOf(a.write("1"))
			snap.ForeignSections = []domain.ForeignSection{unknown}
			mustImport(t, s, "p", snap)
			mustWrite(t, s, a.write("2"))
			mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "h", ClientID: "c"})
			sameSnapshot(t, "Export after a write and RemoveAccount of the partition's only account", mustExport(t, s, "p"),
				domain.CacheSnapshot{AppMetadata: []domain.AppMetadata{a.appMetadata()}, ForeignSections: []domain.ForeignSection{unknown}})
		}},
		{"ABadOneFailsTheWholeImport", func(t *testing.T, s ports.CacheStore) {
			before := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{unknown}}
			mustImport(t, s, "p", before)
			bad := map[string]domain.ForeignSection{
				"a value that is not JSON": foreign("x", `{"secret":`),
				"an empty name":            foreign("", `1`),
				"a name with a newline":    foreign("a\nb", `1`),
				"a name over the bound":    foreign(strings.Repeat("n", domain.MaxForeignSectionNameBytes+1), `1`),
				"a value not UTF-8":        foreign("x", "\"\xff\""),
			}
			for what, f := range bad {
				snap := richSnapshot()
				snap.ForeignSections = []domain.ForeignSection{foreign("fine", `{}`), f}
				err := s.Import(t.Context(), "p", snap)
				wantStoreError(t, fmt.Sprintf("Import with a foreign section of %s", what), err, domain.ErrInvalidInput)
				if err != nil && strings.Contains(err.Error(), "secret") {
					t.Errorf("Import's error quotes the section's value: %v", err)
				}
				sameSnapshot(t, fmt.Sprintf("Export after an Import refused for %s (nothing of it may land)", what), mustExport(t, s, "p"), before)
			}
			many := make([]domain.ForeignSection, domain.MaxForeignSections+1)
			for i := range many {
				many[i] = foreign(fmt.Sprintf("s%d", i), `1`)
			}
			err := s.Import(t.Context(), "p", domain.CacheSnapshot{ForeignSections: many})
			wantStoreError(t, fmt.Sprintf("Import of %d foreign sections", len(many)), err, domain.ErrInvalidInput)
			sameSnapshot(t, "Export after an Import refused for too many foreign sections", mustExport(t, s, "p"), before)
		}},
		{"ThePartitionStaysWithinTheCountBoundAcrossImports", func(t *testing.T, s ports.CacheStore) {
			half := domain.MaxForeignSections/2 + 1
			first := namedSections("a", half)
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: first})
			err := s.Import(t.Context(), "p", domain.CacheSnapshot{ForeignSections: namedSections("b", half)})
			wantStoreError(t, fmt.Sprintf("a second Import of %d new foreign sections into a partition holding %d (at most %d)", half, half, domain.MaxForeignSections), err, domain.ErrInvalidInput)
			sameSnapshot(t, "Export after an Import refused for leaving the partition over the bound (nothing of it may land)",
				mustExport(t, s, "p"), domain.CacheSnapshot{ForeignSections: first})
			// Sections of the same names replace the stored ones: no more are held.
			again := namedSections("a", half)
			again[0].Value = json.RawMessage(`"replaced"`)
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: again})
			// Up to the bound in all is fine, and the partition still exports.
			rest := namedSections("c", domain.MaxForeignSections-half)
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: rest})
			if got := mustExport(t, s, "p"); len(got.ForeignSections) != domain.MaxForeignSections {
				t.Errorf("Export after imports of %d sections in all = %d sections; want %d", domain.MaxForeignSections, len(got.ForeignSections), domain.MaxForeignSections)
			}
			// The bound is the partition's: another partition has its own.
			mustImport(t, s, "q", domain.CacheSnapshot{ForeignSections: namedSections("b", half)})
		}},
		{"ThePartitionStaysWithinTheByteBoundAcrossImports", func(t *testing.T, s ports.CacheStore) {
			big := func(name string) domain.ForeignSection {
				n := domain.MaxStoredForeignSectionsBytes/2 + 1
				return foreign(name, `"`+strings.Repeat("a", n-2)+`"`)
			}
			before := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{big("one")}}
			mustImport(t, s, "p", before)
			err := s.Import(t.Context(), "p", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{big("two")}})
			wantStoreError(t, fmt.Sprintf("Import of a section leaving the partition over %d bytes of foreign sections", domain.MaxStoredForeignSectionsBytes), err, domain.ErrInvalidInput)
			if got := mustExport(t, s, "p"); len(got.ForeignSections) != 1 || got.ForeignSections[0].Name != "one" {
				t.Errorf("Export after an Import refused for the byte bound holds %d sections; want only the first import's", len(got.ForeignSections))
			}
			// Replacing the big section with another as big stays within the bound.
			mustImport(t, s, "p", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{big("one")}})
		}},
		{"ConcurrentImportsStayWithinTheBound", func(t *testing.T, s ports.CacheStore) {
			// Eight imports of nine new sections each, at once: 72 in all, over the bound.
			const imports, each = 8, 9
			start := make(chan struct{})
			errs := make(chan error, imports)
			for i := range imports {
				go func() {
					<-start
					errs <- s.Import(t.Context(), "p", domain.CacheSnapshot{ForeignSections: namedSections(fmt.Sprintf("i%d-", i), each)})
				}()
			}
			close(start)
			var ok int
			for range imports {
				if err := <-errs; err == nil {
					ok++
				} else {
					wantStoreError(t, "one of concurrent Imports that together exceed the bound", err, domain.ErrInvalidInput)
				}
			}
			got := len(mustExport(t, s, "p").ForeignSections)
			if got > domain.MaxForeignSections || got != ok*each || ok == 0 {
				t.Errorf("%d concurrent Imports of %d sections each: %d succeeded, the partition holds %d sections; want at most %d, %d per success",
					imports, each, ok, got, domain.MaxForeignSections, each)
			}
		}},
	}
}

// namedSections returns n small foreign sections named prefix0, prefix1, ...
func namedSections(prefix string, n int) []domain.ForeignSection {
	fs := make([]domain.ForeignSection, n)
	for i := range fs {
		fs[i] = foreign(fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf(`{"v":%d}`, i))
	}
	return fs
}
