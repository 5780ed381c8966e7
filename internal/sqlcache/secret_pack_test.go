package sqlcache

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

func TestPackSecret_roundTrips(t *testing.T) {
	entra := "0.AXEA" + strings.Repeat("v3Jq_-9xZ", 130) // Entra's opaque form: a prefix, then base64url
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(`{"sub":"x"}`, 20))) + ".sig"
	for _, s := range []string{"", "a", "abcd", "abcdefgh", "rt-secret", "sealed:v1:" + strings.Repeat("QUJD", 50),
		entra, jwt, "ünïcode and spaces", "\x00\xff binary", strings.Repeat("-", 1000)} {
		p := PackSecret(s)
		got, err := UnpackSecret(string(p))
		if err != nil || got != s {
			t.Errorf("UnpackSecret(PackSecret(%.40q)) = %.40q, %v; want it back byte for byte", s, got, err)
		}
	}
	if p := PackSecret(entra); len(p) > len(entra)*3/4+8 {
		t.Errorf("PackSecret(an Entra-shaped token of %d bytes) = %d bytes; want about three quarters", len(entra), len(p))
	}
}

func TestUnpackSecret_refusesWhatItDidNotPack(t *testing.T) {
	wraps := string(binary.AppendUvarint([]byte{0}, 0x5555555555555556)) + "xy\x00" // 3 × groups wraps to 2 bytes
	for _, p := range []string{
		wraps,
		"\x05abc",                  // a literal longer than what is left
		"\x00\x05abc",              // base64 groups past the end
		"\x00\x01abc",              // a base64 segment and no literal after it
		"\xff\xff\xff",             // a truncated varint
		"\x00\xff\xff\xff\xff\x0f", // four billion groups announced in a few bytes
	} {
		if got, err := UnpackSecret(p); err == nil {
			t.Errorf("UnpackSecret(%q) = %q, nil; want an error", p, got)
		} else if strings.Contains(err.Error(), "abc") {
			t.Errorf("UnpackSecret(%q) = %v; want no stored byte quoted", p, err)
		}
	}
}

func FuzzPackSecret(f *testing.F) {
	f.Add("0.AXEA" + strings.Repeat("abcd", 40))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := UnpackSecret(string(PackSecret(s)))
		if err != nil || got != s {
			t.Fatalf("round trip of %q = %q, %v", s, got, err)
		}
		_, _ = UnpackSecret(s) // any stored value: an error or text, never a panic
	})
}
