package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A Config holds two secrets: SealingKey, and the password a postgres:// Cache URL may
// carry. Printing a Config with fmt (any verb) or logging it with slog shows every field
// but these: the key as "set (N bytes)" or "unset", and the URL with its password as
// "xxxxx". A Config is often printed while debugging a failed start-up, and its key is
// what keeps a stolen cache database useless.

// redactedPassword replaces a password, as url.URL.Redacted does.
const redactedPassword = "xxxxx"

// configField is one field of a Config as it may be shown.
type configField struct {
	name  string
	value any // string, bool, time.Duration, or a reference shown by its type
}

// shownFields returns c's fields in declaration order with the secrets redacted.
func (c Config) shownFields() []configField {
	return []configField{
		{"ClientID", c.ClientID},
		{"Authority", RedactedURL(c.Authority)},
		{"AuthorityKind", string(c.AuthorityKind)},
		{"Cache", RedactedURL(c.Cache)},
		{"CacheStore", reference(c.CacheStore)},
		{"ExpiryBuffer", c.ExpiryBuffer},
		{"FlowMaxAge", c.FlowMaxAge},
		{"InsecureSkipSignatureCheck", c.InsecureSkipSignatureCheck},
		{"Logger", reference(c.Logger)},
		{"SealingKey", sealingKeyState(c.SealingKey)},
		{"IdentityProvider", reference(c.IdentityProvider)},
		{"Clock", reference(c.Clock)},
		{"Browser", reference(c.Browser)},
		{"HTTPClient", reference(c.HTTPClient)},
		{"Transport", reference(c.Transport)},
		{"AllowedHosts", c.AllowedHosts},
	}
}

// typeRef shows a field that holds an implementation (a logger, a port) by its type:
// printing the value could print the implementation's own secrets.
type typeRef string

// reference returns v's type, or "<nil>" when v is nil (a nil pointer included).
func reference(v any) typeRef {
	if v == nil {
		return "<nil>"
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "<nil>"
	}
	return typeRef(fmt.Sprintf("%T", v))
}

// sealingKeyState says whether the key is set and its length, never its bytes.
func sealingKeyState(key []byte) string {
	if key == nil {
		return "unset"
	}
	return fmt.Sprintf("set (%d bytes)", len(key))
}

// String returns the configuration as fmt's %+v would, with SealingKey shown as
// "set (32 bytes)" or "unset" and the password of Cache (and of Authority) as "xxxxx".
// References (Logger, IdentityProvider, Clock, Browser) are shown by their type.
func (c Config) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range c.shownFields() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.name)
		b.WriteByte(':')
		fmt.Fprint(&b, f.value)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString returns the configuration as fmt's %#v would, redacted as String is.
func (c Config) GoString() string {
	var b strings.Builder
	b.WriteString("app.Config{")
	for i, f := range c.shownFields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.name)
		b.WriteByte(':')
		switch v := f.value.(type) {
		case typeRef:
			b.WriteString(string(v))
		case time.Duration:
			b.WriteString(strconv.FormatInt(int64(v), 10))
		default:
			fmt.Fprintf(&b, "%#v", v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// LogValue implements slog.LogValuer: a group of the fields, redacted as String is.
func (c Config) LogValue() slog.Value {
	fields := c.shownFields()
	attrs := make([]slog.Attr, len(fields))
	for i, f := range fields {
		switch v := f.value.(type) {
		case typeRef:
			attrs[i] = slog.String(f.name, string(v))
		default:
			attrs[i] = slog.Any(f.name, v)
		}
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON implements json.Marshaler: an object of the fields, redacted as String
// is. Without it encoding/json would write SealingKey in base64 and Cache with its
// password.
func (c Config) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range c.shownFields() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.name)
		b.Write(k)
		b.WriteByte(':')
		var v []byte
		var err error
		switch x := f.value.(type) {
		case typeRef:
			v, err = json.Marshal(string(x))
		case time.Duration:
			v, err = json.Marshal(x.String())
		default:
			v, err = json.Marshal(x)
		}
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalText implements encoding.TextMarshaler with String's redacted text.
func (c Config) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Format implements fmt.Formatter so that every verb prints the redacted text: without
// it, verbs that bypass String (%d, say) would print SealingKey's bytes and the Cache
// URL as they are.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), c.String())
}

// RedactedURL returns a cache URL or authority as it may be printed or logged: any
// password in it replaced by "xxxxx", the password of the user information
// (url.URL.Redacted) and the password and sslpassword query parameters libpq and pgx
// accept. When '@' is present but the URL does not parse into user information (a
// password holding '/', '?' or '#' unescaped), where the password ends cannot be known,
// so everything after the scheme is hidden. Config's String, GoString and LogValue
// print its Cache and Authority this way.
func RedactedURL(raw string) string {
	if !strings.Contains(raw, "@") && !strings.Contains(strings.ToLower(raw), "password") && !strings.Contains(raw, "%") {
		return raw // nothing here can be a password, even percent-encoded
	}
	u, err := url.Parse(raw)
	if err != nil || (u.User == nil && strings.Contains(raw, "@") && (u.Host != "" || u.Opaque != "")) {
		if scheme, _, ok := strings.Cut(raw, ":"); ok && scheme != "" && !strings.ContainsAny(scheme, "/@?#") {
			return scheme + "://" + redactedPassword
		}
		return redactedPassword
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q[k] = []string{redactedPassword}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// Format implements fmt.Formatter: an Engine prints as its Config, redacted. Without it
// fmt would print the Config inside an Engine field by field, key and password included,
// since it calls no method on an unexported field.
func (e Engine) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, "&app.Engine{Config:"+e.cfg.GoString()+"}")
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), "&{Config:"+e.cfg.String()+"}")
}
