package sqlcache

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestExtraCodec_EncodeDecode_keepsBytes(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]json.RawMessage
	}{
		{"one field", map[string]json.RawMessage{"a": json.RawMessage(`1`)}},
		{"spaced", map[string]json.RawMessage{"a": json.RawMessage(" {  \"b\" : 1,\n\t\"a\" : [ 1 , 2 ] } "), "b": json.RawMessage("\t2\r\n")}},
		{"escapes and unicode", map[string]json.RawMessage{`we"ird\key`: json.RawMessage(`"caf\u00e9 \"q\" \/ é 日本"`)}},
		{"numbers and literals", map[string]json.RawMessage{"n": json.RawMessage(`1.50e+03`), "z": json.RawMessage(`null`), "t": json.RawMessage(`true`), "l": json.RawMessage(`[]`)}},
	}
	for _, codec := range []ExtraCodec{{}, {ValidUTF8: true}, {EmptyIsNull: true}} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				enc, err := codec.Encode(tt.in)
				if err != nil || enc == nil {
					t.Fatalf("%+v.Encode = %v, %v; want text, nil", codec, enc, err)
				}
				if !json.Valid([]byte(*enc)) {
					t.Fatalf("%+v.Encode = %q; want valid JSON", codec, *enc)
				}
				got, err := codec.Decode(*enc)
				if err != nil || len(got) != len(tt.in) {
					t.Fatalf("Decode(%q) = %q, %v; want %d fields, nil", *enc, got, err, len(tt.in))
				}
				for k, want := range tt.in {
					if !bytes.Equal(got[k], want) {
						t.Errorf("field %q: got %q; want %q", k, got[k], want)
					}
				}
			})
		}
	}
}

func TestExtraCodec_Encode_nullAndEmpty(t *testing.T) {
	tests := []struct {
		name  string
		codec ExtraCodec
		in    map[string]json.RawMessage
		want  string // "NULL" for a nil result
	}{
		{"nil map", ExtraCodec{}, nil, "NULL"},
		{"empty map", ExtraCodec{}, map[string]json.RawMessage{}, "{}"},
		{"nil map, EmptyIsNull", ExtraCodec{EmptyIsNull: true}, nil, "NULL"},
		{"empty map, EmptyIsNull", ExtraCodec{EmptyIsNull: true}, map[string]json.RawMessage{}, "NULL"},
		{"keys sorted", ExtraCodec{}, map[string]json.RawMessage{"b": json.RawMessage(`2`), "a": json.RawMessage(`1`)}, `{"a":1,"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := tt.codec.Encode(tt.in)
			got := "NULL"
			if enc != nil {
				got = *enc
			}
			if err != nil || got != tt.want {
				t.Errorf("Encode(%#v) = %s, %v; want %s, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestExtraCodec_Encode_refusesBadValues(t *testing.T) {
	tests := []struct {
		name    string
		codec   ExtraCodec
		raw     string
		wantErr string // "" when the value is accepted
	}{
		{"unterminated", ExtraCodec{}, `{"secret-value": `, `extra field "k" is not valid JSON`},
		{"bare word", ExtraCodec{}, `nope`, `extra field "k" is not valid JSON`},
		{"empty", ExtraCodec{}, ``, `extra field "k" is not valid JSON`},
		{"invalid UTF-8 in a string", ExtraCodec{}, "\"\xff\"", ""},
		{"invalid UTF-8, ValidUTF8", ExtraCodec{ValidUTF8: true}, "\"\xff\"", `extra field "k" is not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := tt.codec.Encode(map[string]json.RawMessage{"k": json.RawMessage(tt.raw)})
			if tt.wantErr == "" {
				if err != nil || enc == nil {
					t.Errorf("Encode({k: %q}) = %v, %v; want text, nil", tt.raw, enc, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Encode({k: %q}) = %v; want %q", tt.raw, err, tt.wantErr)
			}
			if tt.raw != "" && strings.Contains(err.Error(), tt.raw) {
				t.Errorf("Encode error %q quotes the value; want the field named only", err)
			}
		})
	}
}

func TestExtraCodec_Decode_refusesWhatItDidNotWrite(t *testing.T) {
	tests := []struct {
		name  string
		codec ExtraCodec
		in    string
		want  string
	}{
		{"empty", ExtraCodec{}, ``, ErrExtraNotObject.Error()},
		{"array", ExtraCodec{}, `[1,2]`, ErrExtraNotObject.Error()},
		{"string", ExtraCodec{}, `"text"`, ErrExtraNotObject.Error()},
		{"null", ExtraCodec{}, `null`, ErrExtraNotObject.Error()},
		{"number", ExtraCodec{}, `1`, ErrExtraNotObject.Error()},
		{"unterminated", ExtraCodec{}, `{"a":1`, ErrExtraNotObject.Error()},
		{"trailing text", ExtraCodec{}, `{"a":1} trailing`, ErrExtraNotObject.Error()},
		{"no colon", ExtraCodec{}, `{"a" 1}`, ErrExtraNotObject.Error()},
		{"number key", ExtraCodec{}, `{1:2}`, ErrExtraNotObject.Error()},
		{"no value", ExtraCodec{}, `{"a":}`, ErrExtraNotObject.Error()},
		{"invalid UTF-8, ValidUTF8", ExtraCodec{ValidUTF8: true}, "{\"a\":\"\xff\"}", "extra is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.codec.Decode(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Decode(%q) = %q, %v; want an error %q", tt.in, m, err, tt.want)
			}
			if tt.want == ErrExtraNotObject.Error() && !errors.Is(err, ErrExtraNotObject) {
				t.Errorf("Decode(%q) error %v does not wrap ErrExtraNotObject", tt.in, err)
			}
		})
	}
}

func TestExtraCodec_Decode_spacedObject(t *testing.T) {
	got, err := ExtraCodec{}.Decode(" { \"x\" :\"y\" , \"e\": {} } ")
	if err != nil || string(got["x"]) != `"y" ` || string(got["e"]) != ` {} ` {
		t.Errorf("Decode(spaced) = %q, %v; want x=%q, e=%q", got, err, `"y" `, ` {} `)
	}
}

func FuzzExtraCodec_Decode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a" : [1, 2] , "b":{"c":null}}`, `[1]`, `{"a":}`, ` { "x" :"y" } `} {
		f.Add(s)
	}
	codec := ExtraCodec{ValidUTF8: true}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := codec.Decode(s)
		if err != nil {
			return
		}
		// What decodes re-encodes, and decodes again to the same bytes.
		enc, err := codec.Encode(m)
		if err != nil || enc == nil {
			t.Fatalf("Encode(Decode(%q)) = %v, %v; want text, nil", s, enc, err)
		}
		again, err := codec.Decode(*enc)
		if err != nil || len(again) != len(m) {
			t.Fatalf("Decode(%q) = %q, %v; want %q", *enc, again, err, m)
		}
		for k, v := range m {
			if !bytes.Equal(again[k], v) {
				t.Fatalf("field %q: got %q; want %q", k, again[k], v)
			}
		}
	})
}
