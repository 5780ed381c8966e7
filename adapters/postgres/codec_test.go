package postgres

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestExtra_encodeDecode_keepsBytes(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]json.RawMessage
	}{
		{"nil", nil},
		{"empty", map[string]json.RawMessage{}},
		{"spaced", map[string]json.RawMessage{"a": json.RawMessage(" {  \"b\" : 1,\n\t\"a\" : [ 1 , 2 ] } "), "b": json.RawMessage("\t2\r\n")}},
		{"escapes and unicode", map[string]json.RawMessage{`we"ird\key`: json.RawMessage(`"caf\u00e9 \"q\" \/ é 日本"`)}},
		{"numbers and literals", map[string]json.RawMessage{"n": json.RawMessage(`1.50e+03`), "z": json.RawMessage(`null`), "t": json.RawMessage(`true`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := encodeExtra(tt.in)
			if err != nil {
				t.Fatalf("encodeExtra = %v; want nil error", err)
			}
			col := sql.NullString{}
			if enc != nil {
				if !json.Valid([]byte(*enc)) {
					t.Fatalf("encodeExtra = %q; want valid JSON", *enc)
				}
				col = sql.NullString{String: *enc, Valid: true}
			}
			got, err := decodeExtra(col)
			if err != nil {
				t.Fatalf("decodeExtra(%q) = %v; want nil error", col.String, err)
			}
			if (got == nil) != (tt.in == nil) || len(got) != len(tt.in) {
				t.Fatalf("decodeExtra(encodeExtra(%q)) = %q; want %q", tt.in, got, tt.in)
			}
			for k, want := range tt.in {
				if !bytes.Equal(got[k], want) {
					t.Errorf("field %q: got %q; want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestExtra_encode_refusesInvalidJSON(t *testing.T) {
	for _, raw := range []string{`{"a":`, `nope`, "", "\"\xff\""} {
		_, err := encodeExtra(map[string]json.RawMessage{"k": json.RawMessage(raw)})
		if err == nil || !strings.Contains(err.Error(), `extra field "k"`) {
			t.Errorf("encodeExtra({k: %q}) = %v; want an error naming the field", raw, err)
		}
	}
}

func TestExtra_decode_refusesNonObjects(t *testing.T) {
	for _, col := range []string{`[1,2]`, `"s"`, `null`, `1`, `{"a":1`, `{"a" 1}`, `{} x`} {
		if m, err := decodeExtra(sql.NullString{String: col, Valid: true}); err == nil {
			t.Errorf("decodeExtra(%q) = %q, nil; want an error", col, m)
		}
	}
}

func FuzzDecodeExtra(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a" : [1, 2] , "b":{"c":null}}`, `[1]`, `{"a":}`, ` { "x" :"y" } `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := decodeExtra(sql.NullString{String: s, Valid: true})
		if err != nil {
			return
		}
		// What decodes re-encodes, and decodes again to the same bytes.
		enc, err := encodeExtra(m)
		if err != nil {
			t.Fatalf("encodeExtra(decodeExtra(%q)) = %v; want nil error", s, err)
		}
		again, err := decodeExtra(sql.NullString{String: *enc, Valid: true})
		if err != nil || len(again) != len(m) {
			t.Fatalf("decodeExtra(%q) = %q, %v; want %q", *enc, again, err, m)
		}
		for k, v := range m {
			if !bytes.Equal(again[k], v) {
				t.Fatalf("field %q: got %q; want %q", k, again[k], v)
			}
		}
	})
}

func TestTime_unixSeconds_roundTrip(t *testing.T) {
	zone := time.FixedZone("x", 3600)
	for _, in := range []time.Time{
		{}, time.Unix(0, 0), time.Date(2031, 3, 4, 5, 6, 7, 999_999_999, zone), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		got := fromUnix(unixSeconds(in))
		if got.IsZero() != in.IsZero() || got.Unix() != in.Unix() {
			t.Errorf("fromUnix(unixSeconds(%v)) = %v; want the same second", in, got)
		}
	}
}

func TestSanitize_dropsServerDetail(t *testing.T) {
	secret := "eyJ0eXAi.secret-token"
	in := &pgconn.PgError{Severity: "ERROR", Code: "23502", Message: `null value in column "x" violates not-null constraint`,
		Detail: "Failing row contains (p, k, " + secret + ").", Where: "SQL statement " + secret, Hint: secret}
	got := sanitize(in)
	var pgErr *pgconn.PgError
	if !errors.As(got, &pgErr) || pgErr.Code != "23502" {
		t.Fatalf("sanitize(%v) = %v; want a *pgconn.PgError with code 23502", in, got)
	}
	if strings.Contains(pgErr.Detail+pgErr.Where+pgErr.Hint+got.Error(), secret) {
		t.Errorf("sanitize kept the row values: %+v; want detail, where and hint dropped", pgErr)
	}
}
