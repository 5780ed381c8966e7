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
const (
	MaxForeignSections         = 64       // sections per snapshot
	MaxForeignSectionNameBytes = 256      // a section's name
	MaxForeignSectionBytes     = 16 << 20 // a section's JSON value
)

// CheckForeignSections checks the foreign sections of a snapshot: at most
// MaxForeignSections, each passing CheckForeignSection. Two sections of one name are
// allowed (the last wins, as for entries of one key). The error is ErrInvalidInput naming
// the section by its index and the rule, never quoting a name or a value.
func CheckForeignSections(fs []ForeignSection) error {
	if len(fs) > MaxForeignSections {
		return Errorf(ErrInvalidInput, "foreign sections: %d sections; at most %d", len(fs), MaxForeignSections)
	}
	for i, f := range fs {
		if err := CheckForeignSection(f); err != nil {
			return Errorf(ErrInvalidInput, "foreign section %d: %s", i, err.(*Error).Description)
		}
	}
	return nil
}

// CheckForeignSection checks one foreign section: a non-empty name within
// MaxForeignSectionNameBytes, valid UTF-8 and free of control characters (it is logged
// and printed), and a value of valid JSON (and UTF-8) within MaxForeignSectionBytes. The
// error is a *Error of class ErrInvalidInput that quotes neither.
func CheckForeignSection(f ForeignSection) error {
	if f.Name == "" {
		return Errorf(ErrInvalidInput, "empty name")
	}
	if err := CheckText("name", f.Name, MaxForeignSectionNameBytes); err != nil {
		return err
	}
	switch {
	case len(f.Value) > MaxForeignSectionBytes:
		return Errorf(ErrInvalidInput, "value exceeds %d bytes", MaxForeignSectionBytes)
	case !utf8.Valid(f.Value) || !json.Valid(f.Value):
		return Errorf(ErrInvalidInput, "value is not valid JSON")
	}
	return nil
}
