package domain

import (
	"encoding/json"
	"unicode/utf8"
)

// ForeignSection is a top-level section of an MSAL unified-cache document other than
// the five of the schema (MSAL Go's "unknownEntity", another writer's extension): its
// name and its value, compact JSON kept byte for byte. hexauth does not read it; a store
// keeps it per partition so that an export gives it back to its writer.
//
// The value may hold secrets of its writer: it is never logged and never quoted in an
// error, and a sealing store seals it as it seals token secrets.
//
// Merge rule: an import replaces a stored section of the same name (exactly, as JSON
// member names compare) whole and keeps the others; RemoveAccount never touches one (it
// belongs to no account hexauth can name).
type ForeignSection struct {
	Name  string
	Value json.RawMessage
}

// Bounds of the foreign sections of one snapshot (see input_bounds.go): a document is
// at most 64 MiB, so the bounds keep a store's rows and a log line's list of names small
// without refusing what MSAL writers produce (one or two small sections).
//
// MaxForeignSections and MaxForeignSectionsBytes bound a partition as well as a
// snapshot: an import keeps the sections of earlier imports (the merge rule), so a
// store checks the union of what it holds and what it imports, and refuses an import
// that would leave the partition past them — else two imports within the bounds would
// leave a partition that no export can write.
const (
	MaxForeignSections         = 64       // sections per snapshot, and per partition
	MaxForeignSectionNameBytes = 256      // a section's name
	MaxForeignSectionBytes     = 16 << 20 // a section's JSON value
	MaxForeignSectionsBytes    = 16 << 20 // the values of all the sections together
)

// Bounds of foreign sections as a store holds them. A sealing store
// (usecases.SealedStore) stores each value sealed: a JSON string of the base64 of the
// sealed value, a third larger than the value plus a prefix, a nonce and a tag. So a
// store checks the values it is given against the plaintext bounds grown by base64 and
// foreignSealSlack bytes per section of room for a sealer's overhead; the plaintext
// bounds are checked on the values themselves, before sealing (by the codec and by the
// sealing store). An export accepts whatever a store accepted.
const (
	foreignSealSlack = 1 << 10
	// MaxStoredForeignSectionBytes bounds one section's value as a store holds it.
	MaxStoredForeignSectionBytes = (MaxForeignSectionBytes+2)/3*4 + foreignSealSlack
	// MaxStoredForeignSectionsBytes bounds the values of a partition's sections
	// together, as a store holds them.
	MaxStoredForeignSectionsBytes = (MaxForeignSectionsBytes+2)/3*4 + MaxForeignSections*foreignSealSlack
)

// ForeignSectionsSize returns the bytes of the values of fs together, the measure of
// MaxForeignSectionsBytes and MaxStoredForeignSectionsBytes (names have their own bound).
func ForeignSectionsSize(fs []ForeignSection) int64 {
	var n int64
	for _, f := range fs {
		n += int64(len(f.Value))
	}
	return n
}

// CheckForeignSections checks the foreign sections of a snapshot: at most
// MaxForeignSections, each passing CheckForeignSection, at most MaxForeignSectionsBytes
// in all. Two sections of one name are allowed (the last wins, as for entries of one
// key). The error is ErrInvalidInput naming the section by its index and the rule, never
// quoting a name or a value.
func CheckForeignSections(fs []ForeignSection) error {
	return checkForeignSections(fs, MaxForeignSectionBytes, MaxForeignSectionsBytes)
}

// CheckStoredForeignSections is CheckForeignSections with the bounds of what a store
// holds (MaxStoredForeignSectionBytes, MaxStoredForeignSectionsBytes): stores check the
// snapshots they import with it, as their values may be sealed.
func CheckStoredForeignSections(fs []ForeignSection) error {
	return checkForeignSections(fs, MaxStoredForeignSectionBytes, MaxStoredForeignSectionsBytes)
}

func checkForeignSections(fs []ForeignSection, maxValue int, maxTotal int64) error {
	if len(fs) > MaxForeignSections {
		return Errorf(ErrInvalidInput, "foreign sections: %d sections; at most %d", len(fs), MaxForeignSections)
	}
	for i, f := range fs {
		if err := checkForeignSection(f, maxValue); err != nil {
			return Errorf(ErrInvalidInput, "foreign section %d: %s", i, err.(*Error).Description)
		}
	}
	if n := ForeignSectionsSize(fs); n > maxTotal {
		return Errorf(ErrInvalidInput, "foreign sections: %d bytes in all; at most %d", n, maxTotal)
	}
	return nil
}

// CheckStoredForeignSectionTotals checks what a partition would hold after an import:
// count sections of size bytes in all (ForeignSectionsSize of the union of the stored
// sections and the imported ones, a section of the same name counted once, as
// imported). A store calls it before the import is committed and refuses the import
// whole on its error, of class ErrInvalidInput.
func CheckStoredForeignSectionTotals(count int, size int64) error {
	switch {
	case count > MaxForeignSections:
		return Errorf(ErrInvalidInput, "foreign sections: the partition would hold %d sections; at most %d", count, MaxForeignSections)
	case size > MaxStoredForeignSectionsBytes:
		return Errorf(ErrInvalidInput, "foreign sections: the partition would hold %d bytes of them; at most %d", size, int64(MaxStoredForeignSectionsBytes))
	}
	return nil
}

// CheckForeignSection checks one foreign section: a non-empty name within
// MaxForeignSectionNameBytes, valid UTF-8 and free of control characters (it is logged
// and printed), and a value of valid JSON (and UTF-8) within MaxForeignSectionBytes. The
// error is a *Error of class ErrInvalidInput that quotes neither.
func CheckForeignSection(f ForeignSection) error {
	return checkForeignSection(f, MaxForeignSectionBytes)
}

// CheckStoredForeignSection is CheckForeignSection with the bound of a value as a store
// holds it (MaxStoredForeignSectionBytes).
func CheckStoredForeignSection(f ForeignSection) error {
	return checkForeignSection(f, MaxStoredForeignSectionBytes)
}

func checkForeignSection(f ForeignSection, maxValue int) error {
	if f.Name == "" {
		return Errorf(ErrInvalidInput, "empty name")
	}
	if err := CheckText("name", f.Name, MaxForeignSectionNameBytes); err != nil {
		return err
	}
	switch {
	case len(f.Value) > maxValue:
		return Errorf(ErrInvalidInput, "value exceeds %d bytes", maxValue)
	case !utf8.Valid(f.Value) || !json.Valid(f.Value):
		return Errorf(ErrInvalidInput, "value is not valid JSON")
	}
	return nil
}
