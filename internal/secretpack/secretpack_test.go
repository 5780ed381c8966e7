package secretpack

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

func TestPack_roundTrips(t *testing.T) {
	entra := "0.AXEA" + strings.Repeat("v3Jq_-9xZ", 130) // Entra's opaque form: a prefix, then base64url
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(`{"sub":"x"}`, 20))) + ".sig"
	for _, s := range []string{"", "a", "abcd", "abcdefgh", "rt-secret", "sealed:v1:" + strings.Repeat("QUJD", 50),
		entra, jwt, "ünïcode and spaces", "\x00\xff binary", strings.Repeat("-", 1000)} {
		p := Pack(s)
		got, err := Unpack(string(p))
		if err != nil || got != s {
			t.Errorf("Unpack(Pack(%.40q)) = %.40q, %v; want it back byte for byte", s, got, err)
		}
	}
	if p := Pack(entra); len(p) > len(entra)*3/4+8 {
		t.Errorf("Pack(an Entra-shaped token of %d bytes) = %d bytes; want about three quarters", len(entra), len(p))
	}
}

func TestUnpack_refusesWhatItDidNotPack(t *testing.T) {
	wraps := string(binary.AppendUvarint([]byte{0}, 0x5555555555555556)) + "xy\x00" // 3 × groups wraps to 2 bytes
	for _, p := range []string{
		wraps,
		"\x05abc",                  // a literal longer than what is left
		"\x00\x05abc",              // base64 groups past the end
		"\x00\x01abc",              // a base64 segment and no literal after it
		"\xff\xff\xff",             // a truncated varint
		"\x00\xff\xff\xff\xff\x0f", // four billion groups announced in a few bytes
	} {
		if got, err := Unpack(p); err == nil {
			t.Errorf("Unpack(%q) = %q, nil; want an error", p, got)
		} else if strings.Contains(err.Error(), "abc") {
			t.Errorf("Unpack(%q) = %v; want no stored byte quoted", p, err)
		}
	}
}

func FuzzPack(f *testing.F) {
	for _, c := range packSecretCases {
		f.Add(c.secret)
	}
	f.Add("0.AXEA" + strings.Repeat("abcd", 40))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Unpack(string(Pack(s)))
		if err != nil || got != s {
			t.Fatalf("round trip of %q = %q, %v", s, got, err)
		}
		_, _ = Unpack(s) // any stored value: an error or text, never a panic
	})
}

// Refresh tokens are kept packed (base64url runs as the bytes they encode): whatever a
// provider issued must come back byte for byte, or the next refresh presents a token
// the provider never issued.
var packSecretCases = []struct{ name, secret string }{
	{"empty", ""},
	{"entra opaque", "0.AXEA" + strings.Repeat("v3zR_x-9", 40) + ".AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wUA9P8"},
	{"jwt", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz"},
	{"google", "1//0gLm" + strings.Repeat("Ab+/", 30) + "=="},
	{"not base64", "a refresh token with spaces, ünïcödé and \x00 bytes"},
	{"short runs", "ab.cd.efg.h-i_j"},
	{"remainders", "abcde.abcdefghi.ABCDEFGHIJK"},
	{"long run", strings.Repeat("Zz09-_", 1000) + "xyz"},
}

func TestAppend_roundTripsProviderShapes(t *testing.T) {
	for _, c := range packSecretCases {
		t.Run(c.name, func(t *testing.T) {
			p := Append(nil, c.secret)
			if got := mustUnpack(t, string(p)); got != c.secret {
				t.Errorf("Unpack(Append(%q)) = %q; want it back byte for byte", c.secret, got)
			}
		})
	}
}

func TestAppend_base64ShrinksAQuarter(t *testing.T) {
	s := strings.Repeat("Zz09-_ab", 150) // 1,200 characters, as the benchmark's refresh token
	if n := len(Append(nil, s)); n > 3*len(s)/4+8 {
		t.Errorf("Append of %d base64url characters: %d bytes; want at most %d", len(s), n, 3*len(s)/4+8)
	}
}

func mustUnpack(t *testing.T, p string) string {
	t.Helper()
	s, err := Unpack(p)
	if err != nil {
		t.Fatalf("Unpack = %v; want the packed text", err)
	}
	return s
}
