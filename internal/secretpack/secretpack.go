// Package secretpack stores token secrets a quarter smaller: a secret is opaque
// base64url text for Entra and most providers (or a JWT), whose every group of four
// characters encodes exactly three bytes and back. The memory store and the SQL stores
// pack refresh tokens with it; only a refresh reads one, never a silent hit.
//
// The format is a run of segments, each uvarint(n) and n literal bytes, then (when more
// follows) uvarint(g) and the 3g bytes that g four-character groups of base64url
// encode. Unpack returns the packed text byte for byte, whatever it was: a JWT, an
// opaque token, or text with no base64url in it (one literal segment, two bytes
// longer). It trusts no stored byte.
package secretpack

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
)

// Pack returns s packed.
func Pack(s string) []byte { return Append(make([]byte, 0, len(s)*3/4+16), s) }

// Append appends s packed to dst.
func Append(dst []byte, s string) []byte {
	lit := 0
	for i := 0; i < len(s); {
		if !isBase64URL(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isBase64URL(s[j]) {
			j++
		}
		g := (j - i) / 4
		if g < 2 { // too short to pay for its segment header
			i = j
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(i-lit))
		dst = append(dst, s[lit:i]...)
		dst = binary.AppendUvarint(dst, uint64(g))
		dst, _ = base64.RawURLEncoding.AppendDecode(dst, []byte(s[i:i+4*g])) // cannot fail: every byte is in the alphabet
		lit, i = i+4*g, j
	}
	dst = binary.AppendUvarint(dst, uint64(len(s)-lit))
	return append(dst, s[lit:]...)
}

// ErrMalformed says that a stored value is not one Pack wrote.
var ErrMalformed = errors.New("not a packed secret")

// Unpack returns the text Pack packed into p. A stored value is not
// trusted: one that is not well formed (a length past its end, a truncated varint) is
// an error, which quotes nothing of it, and nothing is allocated for lengths it does
// not hold.
func Unpack(p string) (string, error) {
	n, err := unpackedLen(p)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(n)
	for p != "" {
		lit, k := binary.Uvarint([]byte(p[:min(len(p), binary.MaxVarintLen64)]))
		sb.WriteString(p[k : k+int(lit)])
		p = p[k+int(lit):]
		if p == "" {
			break
		}
		g, k := binary.Uvarint([]byte(p[:min(len(p), binary.MaxVarintLen64)]))
		raw := p[k : k+3*int(g)]
		p = p[k+3*int(g):]
		var enc [256]byte // 192 bytes encode to 256 characters
		for raw != "" {
			c := raw[:min(len(raw), 192)]
			raw = raw[len(c):]
			base64.RawURLEncoding.Encode(enc[:], []byte(c))
			sb.Write(enc[:len(c)/3*4])
		}
	}
	return sb.String(), nil
}

// unpackedLen checks that p is well formed and returns the length of the text it
// holds.
func unpackedLen(p string) (int, error) {
	total, literal := 0, true
	for p != "" {
		v, k := binary.Uvarint([]byte(p[:min(len(p), binary.MaxVarintLen64)]))
		if k <= 0 {
			return 0, ErrMalformed
		}
		p = p[k:]
		size, text := v, v // a literal: v bytes of text
		if !literal {
			if v > uint64(len(p))/3 {
				return 0, ErrMalformed
			}
			size, text = 3*v, 4*v // base64url groups: 3 bytes each, 4 characters
		}
		if size > uint64(len(p)) {
			return 0, ErrMalformed
		}
		total += int(text)
		p = p[size:]
		literal = !literal
	}
	if literal { // the last segment read was base64url: a literal must end the text
		return 0, ErrMalformed
	}
	return total, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
