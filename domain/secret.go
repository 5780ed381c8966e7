package domain

import "log/slog"

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
