package domain

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Redacted replaces a secret in text the engine keeps or prints.
const Redacted = "[redacted]"

// withheld replaces provider text that could not be scrubbed safely (a secret so short
// or so shaped that it survives its own replacement).
const withheld = "[provider text withheld: it held a secret of the request]"

// ScrubProviderText makes text a provider sent back (error_description, error_uri, an
// echoed body) safe to keep in an error, print and log (DESIGN §5): every occurrence of
// each secret — raw, URL-encoded (%XX and +, either hex case), base64 and base64url of
// the raw or URL-encoded secret (padded or not, at any offset inside a longer base64
// run, as in a Basic header),
// JSON-escaped and hex — becomes "[redacted]"; control characters, invalid UTF-8 and
// terminal or bidirectional controls are escaped (\x1b, \u2028) so that the text cannot
// drive a terminal or reorder a log line; the result is at most max bytes (plus "…").
// Providers echo requests, Authorization headers included, in their error text, and
// that text reaches err.Error(), logs and the CLI. When a secret would survive anyway
// (a one-letter password inside "[redacted]"), the whole text is withheld. Empty
// secrets are ignored.
func ScrubProviderText(text string, max int, secrets ...string) string {
	needles := secretForms(secrets)
	out := replaceAll(text, needles)
	out = EscapeControl(out)
	out = replaceAll(out, needles) // an escaped form may spell a JSON-escaped secret
	out = truncate(out, max)
	switch {
	case !containsAny(out, needles):
		return out
	case !containsAny(withheld, needles):
		return withheld
	}
	return ""
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// Scrub applies ScrubProviderText to every free-text field of e that came from the
// provider, with the secrets of the request that provoked it. The claims challenge is
// kept verbatim: it must be sent back as it came, and it is never printed by Error.
func (e *Error) Scrub(secrets ...string) {
	e.Code = ScrubProviderText(e.Code, maxErrorField, secrets...)
	e.Description = ScrubProviderText(e.Description, maxErrorDescription, secrets...)
	e.SubError = ScrubProviderText(e.SubError, maxErrorField, secrets...)
	e.CorrelationID = ScrubProviderText(e.CorrelationID, maxErrorField, secrets...)
	e.TraceID = ScrubProviderText(e.TraceID, maxErrorField, secrets...)
	e.Timestamp = ScrubProviderText(e.Timestamp, maxErrorField, secrets...)
}

// Secrets returns what of r must never come back in provider text: the code, verifier,
// password, refresh token, device code and client secret, and the username (personal data that
// providers echo). Adapters add what they derive from these (a Basic header, a client
// assertion).
func (r TokenRequest) Secrets() []string {
	return append([]string{string(r.Code), string(r.CodeVerifier), string(r.Password), string(r.RefreshToken),
		string(r.DeviceCode), string(r.Credential.Secret), r.Username}, ExtraSecrets(r.Extra)...)
}

// secretForms returns every encoding of every non-empty secret that ScrubProviderText
// looks for, longest first so that a longer form is replaced before a shorter one
// inside it.
func secretForms(secrets []string) []string {
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		q := url.QueryEscape(s)
		p := url.PathEscape(s)
		for _, v := range []string{s, q, p, lowerPercent(q), lowerPercent(p), hex.EncodeToString([]byte(s)),
			strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			add(v)
		}
		for _, v := range jsonForms(s) {
			add(v)
		}
		for _, v := range append(base64Forms(s), base64Forms(q)...) {
			add(v) // a Basic header encodes the secret URL-encoded (RFC 6749 §2.3.1)
		}
	}
	// Longest first: a form that contains another is matched whole.
	for i := 1; i < len(forms); i++ {
		for j := i; j > 0 && len(forms[j]) > len(forms[j-1]); j-- {
			forms[j], forms[j-1] = forms[j-1], forms[j]
		}
	}
	return forms
}

// jsonForms returns s as a JSON string's contents: as encoding/json writes it (with and
// without HTML escaping) and with every non-ASCII rune as \uXXXX, as other encoders do.
func jsonForms(s string) []string {
	var out []string
	html, _ := json.Marshal(s)
	out = append(out, string(html[1:len(html)-1]))
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := strings.TrimSuffix(b.String(), "\n")
	out = append(out, plain[1:len(plain)-1])
	var ascii strings.Builder
	for _, r := range plain[1 : len(plain)-1] {
		switch {
		case r == utf8.RuneError || r < utf8.RuneSelf:
			ascii.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&ascii, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&ascii, `\u%04x`, r)
		}
	}
	out = append(out, ascii.String(), strings.ReplaceAll(out[1], "/", `\/`))
	return out
}

// base64Forms returns the base64 and base64url encodings of s as they appear at each of
// the three offsets a secret can take inside a longer base64 run (a Basic header encodes
// "client:secret"): the characters that depend on s alone. At offset 0 the padded and
// unpadded whole encodings are included too.
func base64Forms(s string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(s)))
		for off := 0; off < 3; off++ {
			buf := append(make([]byte, off), s...)
			e := enc.WithPadding(base64.NoPadding).EncodeToString(buf)
			// Characters 4k.. of a run cover bytes 3k..; the first group of a
			// non-zero offset mixes in the prefix, the last (partial) group the suffix.
			start := 0
			if off > 0 {
				start = 4
			}
			end := (len(buf) / 3) * 4
			if end-start >= 4 {
				out = append(out, e[start:end])
			}
		}
	}
	return out
}

// lowerPercent writes the hex digits of %XX escapes in lower case.
func lowerPercent(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// minCutHead is the shortest head of a secret hidden at the end of text that was cut.
const minCutHead = 4

// replaceAll replaces every occurrence of every needle in s with Redacted. Matches are
// found on s itself, not on a partly replaced s, and overlapping matches merge, so a
// replacement never creates or splits a match.
func replaceAll(s string, needles []string) string {
	if len(needles) == 0 || s == "" {
		return s
	}
	hit := make([]bool, len(s))
	found := false
	for _, n := range needles {
		marked := 0 // hit is set below this index for n's earlier matches
		for i := 0; ; {
			j := strings.Index(s[i:], n)
			if j < 0 {
				break
			}
			for k := max(i+j, marked); k < i+j+len(n); k++ {
				hit[k] = true
			}
			marked = i + j + len(n)
			found = true
			i += j + 1
		}
	}
	if tail, cut := strings.CutSuffix(s, "…"); cut {
		// The provider's text was cut to a bound before it came here: a secret may end
		// where it was cut. Hide a tail that is the head of a secret.
		for _, n := range needles {
			for k := min(len(n)-1, len(tail)); k >= minCutHead; k-- {
				if strings.HasSuffix(tail, n[:k]) {
					for i := len(tail) - k; i < len(tail); i++ {
						hit[i] = true
					}
					found = true
					break
				}
			}
		}
	}
	if !found {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !hit[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Redacted)
		for i < len(s) && hit[i] {
			i++
		}
	}
	return b.String()
}

// EscapeControl returns s with everything that could drive a terminal or mislead a
// reader escaped in Go's notation: C0 and C1 control characters (ESC, and so CSI and
// OSC sequences, included), DEL, the line and paragraph separators U+2028/U+2029, the
// bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and bytes that
// are not UTF-8. Other text, backslashes included, is unchanged, so escaping twice
// changes nothing more.
func EscapeControl(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r) || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether r is a control character or a line, paragraph or
// bidirectional control.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029, r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
