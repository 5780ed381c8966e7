package msalcache_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// A foreign section past domain's bounds fails the document, naming the section and
// its place, never quoting its value.
func TestDecode_foreignSectionPastItsBoundsIsRefused(t *testing.T) {
	long := strings.Repeat("n", domain.MaxForeignSectionNameBytes+1)
	var many strings.Builder
	many.WriteString("{")
	for i := range domain.MaxForeignSections + 1 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"s` + strings.Repeat("x", i) + `": 1`)
	}
	many.WriteString("}")
	// Two sections, each within MaxForeignSectionBytes, over MaxForeignSectionsBytes together.
	half := `"` + strings.Repeat("a", domain.MaxForeignSectionsBytes/2) + `"`
	for name, doc := range map[string]string{
		"sections over 16 MiB in all":     `{"one": ` + half + `, "two": ` + half + `}`,
		"a name with a control character": `{"AccessToken": {}, "bad\u0001name": {"secret": "do-not-print"}}`,
		"a name over 256 bytes":           `{"` + long + `": {"secret": "do-not-print"}}`,
		"more than 64 sections":           many.String(),
	} {
		t.Run(name, func(t *testing.T) {
			s, _, err := msalcache.DecodeReport([]byte(doc))
			var ee *msalcache.EntryError
			if !errors.As(err, &ee) || !errors.Is(err, domain.ErrInvalidInput) || ee.Line == 0 {
				t.Fatalf("DecodeReport = %v; want an invalid_input EntryError with a place", err)
			}
			if len(s.ForeignSections) != 0 || strings.Contains(err.Error(), "do-not-print") {
				t.Errorf("refused document: %d foreign sections returned, error %q; want none and no value quoted", len(s.ForeignSections), err)
			}
		})
	}
}

// Encode refuses a foreign section named as one of the schema's sections (in any case):
// written out, a reader would take it for that section.
func TestEncode_foreignSectionNamedAsASchemaSectionIsRefused(t *testing.T) {
	for _, name := range []string{"AccessToken", "refreshtoken"} {
		_, err := msalcache.Encode(domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: name, Value: []byte(`{}`)}}})
		var ee *msalcache.EntryError
		if !errors.As(err, &ee) || ee.Section != name {
			t.Errorf("Encode with a foreign section %q = %v; want an EntryError naming it", name, err)
		}
	}
}

// Encode writes whatever a store accepted: a store holds values sealed (a third larger
// than the plaintext bound), so Encode's bounds are the stored ones, and only a section
// past them is refused. Otherwise a partition a store holds could never be exported.
func TestEncode_foreignSectionsWithinTheStoredBoundsAreWritten(t *testing.T) {
	value := func(n int) []byte { return []byte(`"` + strings.Repeat("a", n-2) + `"`) }
	ok := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "sealed", Value: value(domain.MaxForeignSectionBytes + 1<<20)}}}
	if _, err := msalcache.Encode(ok); err != nil {
		t.Errorf("Encode of a section of %d bytes (within MaxStoredForeignSectionBytes) = %v; want nil", len(ok.ForeignSections[0].Value), err)
	}
	over := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "huge", Value: value(domain.MaxStoredForeignSectionBytes + 1)}}}
	if _, err := msalcache.Encode(over); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Encode of a section over MaxStoredForeignSectionBytes = %v; want ErrInvalidInput", err)
	}
}
