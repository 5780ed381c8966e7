package domain

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret is a token, password, authorization code, code verifier or client secret. It
// prints as "[redacted]" through fmt (every verb), log/slog, encoding/json and
// encoding.TextMarshaler, so that a struct holding one can be logged, formatted or
// encoded without leaking it; string(s) is the one explicit way to the value.
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

// MarshalJSON implements json.Marshaler with the redacted value, so that encoding a
// struct that holds a Secret (a result, a request) does not publish it.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText implements encoding.TextMarshaler with the redacted value (map keys,
// text encoders, slog's text handler).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
