package msalcache

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
)

// EntryError locates what is wrong in a cache document: the section, the entry's key
// and the field, as far as they are known, and why. It never holds a field's value.
// Decode and Encode return it wrapped in a *domain.Error of class
// domain.ErrInvalidInput; errors.As finds it.
type EntryError struct {
	Section string // the section's name as the schema spells it; "" for the document
	Key     string // the entry's key as the document spells it; "" for a section
	Field   string // the field's schema name; "" for a whole entry
	Reason  string
	// Line and Column (from 1) and Offset (from 0) place the error in the file as it
	// was given, counting bytes (not characters) and a UTF-8 byte-order mark (3 bytes)
	// too; lines end at "\n". They point at the name of the innermost member named
	// (the field, else the entry's key, else the section) that the document holds, or
	// at the byte where the document stops being JSON or UTF-8. Line is 0 when unknown
	// (a document that is not an object, an Encode error).
	Line, Column int
	Offset       int64
}

// maxQuoted bounds how much of a key or name an error message quotes.
const maxQuoted = 120

// Error implements error: `AccessToken["<key>"]: field "expires_on": <reason>`.
func (e *EntryError) Error() string {
	var b strings.Builder
	if e.Section != "" {
		b.WriteString(e.Section)
		if e.Key != "" || e.Field != "" {
			b.WriteString("[")
			b.WriteString(quote(e.Key))
			b.WriteString("]")
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(quote(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(", column ")
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteString(")")
	}
	return b.String()
}

// quote returns s as a Go string literal, cut to maxQuoted runes.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		r := []rune(s)
		return strconv.Quote(string(r[:maxQuoted])) + "…"
	}
	return strconv.Quote(s)
}

// invalid wraps an EntryError for op ("msalcache: decode" or "msalcache: encode").
func invalid(op string, e *EntryError) error {
	return &domain.Error{Class: domain.ErrInvalidInput, Op: op, Err: e}
}

const (
	opDecode = "msalcache: decode"
	opEncode = "msalcache: encode"
)
