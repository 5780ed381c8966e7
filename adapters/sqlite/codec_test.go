package sqlite

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEncodeExtra_roundTripsByteForByte(t *testing.T) {
	in := map[string]json.RawMessage{
		"spaced":  json.RawMessage(" {  \"b\" : 1,\n\t\"a\" : [ 1 , 2 ] } "),
		"escaped": json.RawMessage(`"caf\u00e9 \"q\" \/ é"`),
		"number":  json.RawMessage(`1.50e+03`),
		"null":    json.RawMessage(`null`),
		"k\"ey":   json.RawMessage(`true`),
		"last":    json.RawMessage(`[]`),
	}
	enc, err := encodeExtra(in)
	if err != nil {
		t.Fatalf("encodeExtra = %v; want nil", err)
	}
	s, ok := enc.(string)
	if !ok || !json.Valid([]byte(s)) {
		t.Fatalf("encodeExtra = %#v; want a JSON text", enc)
	}
	out, err := decodeExtra(s)
	if err != nil {
		t.Fatalf("decodeExtra(%q) = %v; want nil", s, err)
	}
	if len(out) != len(in) {
		t.Errorf("decodeExtra returned %d fields; want %d", len(out), len(in))
	}
	for k, v := range in {
		if !bytes.Equal(out[k], v) {
			t.Errorf("field %q: got %q; want %q", k, out[k], v)
		}
	}
}

func TestEncodeExtra_emptyIsNull(t *testing.T) {
	for _, m := range []map[string]json.RawMessage{nil, {}} {
		if got, err := encodeExtra(m); got != nil || err != nil {
			t.Errorf("encodeExtra(%#v) = %#v, %v; want nil, nil (stored as NULL)", m, got, err)
		}
	}
}

func TestEncodeExtra_refusesInvalidJSON(t *testing.T) {
	_, err := encodeExtra(map[string]json.RawMessage{"broken": json.RawMessage(`{"secret-value": `)})
	if err == nil || !strings.Contains(err.Error(), `"broken"`) || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("encodeExtra(invalid JSON) = %v; want an error naming the field, not quoting the value", err)
	}
}

func TestDecodeExtra_refusesWhatItDidNotWrite(t *testing.T) {
	for _, s := range []string{``, `[1,2]`, `"text"`, `{"a":1`, `{"a":1} trailing`, `{"a" 1}`, `{1:2}`, `{"a":}`} {
		if m, err := decodeExtra(s); err == nil {
			t.Errorf("decodeExtra(%q) = %v, nil; want an error", s, m)
		}
	}
}

func TestFromUnix_zeroTimeRoundTrips(t *testing.T) {
	if got := fromUnix(time.Time{}.Unix()); !got.IsZero() {
		t.Errorf("fromUnix(zero time's Unix) = %v; want the zero time", got)
	}
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	if got := fromUnix(at.Unix()); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("fromUnix(%d) = %v; want %v in UTC", at.Unix(), got, at)
	}
}
