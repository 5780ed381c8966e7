package domain_test

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// FoldedASCII checks eight bytes at a time: every byte value, at every position of a
// word and in the tail, must give what the byte-by-byte definition gives.
func TestFoldedASCII_everyByteEveryPosition(t *testing.T) {
	want := func(s string) bool {
		return strings.ToLower(s) == s && !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 })
	}
	base := []byte("00000001-0000-4000-8000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47")
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			for _, s := range []string{string(b), string(b[:pos+1]), string(b[pos:]), string(b[pos : pos+9])} {
				if got := domain.FoldedASCII(s); got != want(s) {
					t.Fatalf("FoldedASCII(%q) = %t; want %t", s, got, want(s))
				}
			}
		}
	}
}
