package domain

import (
	"fmt"
	"log/slog"
)

// Secret is a token, password, authorization code, code verifier or client secret. It
// prints as "[redacted]" through fmt and log/slog, so that a struct holding one can be
// logged or formatted without leaking it; use string(s) where the value is needed.
type Secret string

// String implements fmt.Stringer with a redacted value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer with a redacted value.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue implements slog.LogValuer with a redacted value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Format implements fmt.Formatter: every verb formats the redacted value. Without it,
// verbs that bypass String (%d, say) print the raw value of a Secret inside a struct.
func (s Secret) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}
