package bearer

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Bounds on what ParseChallenges reads: a WWW-Authenticate field is provider (or
// network path) text, and a parser without bounds is a memory amplifier.
const (
	MaxChallengeBytes     = 16 << 10 // all WWW-Authenticate values together
	MaxChallenges         = 32
	MaxParamsPerChallenge = 32
	// MaxClaimsBytes bounds a decoded claims challenge.
	MaxClaimsBytes = 8 << 10
)

// Challenge is one authentication challenge of a WWW-Authenticate field.
type Challenge struct {
	Scheme  string            // as sent; compare with strings.EqualFold
	Token68 string            // the token68 form (RFC 9110 §11.2), when sent instead of params
	Params  map[string]string // auth-params, names lower-cased, quoted values unescaped
}

// IsBearer reports whether c is a Bearer challenge (RFC 6750 §3).
func (c Challenge) IsBearer() bool { return strings.EqualFold(c.Scheme, "Bearer") }

// ParseChallenges parses every WWW-Authenticate field of h (RFC 9110 §11.6.1): several
// fields, several comma-separated challenges per field, auth-params whose values are
// tokens or quoted strings with backslash escapes, or a token68. Input beyond the
// bounds above, or that is not the RFC's syntax, is domain.ErrInvalidResponse: a
// malformed challenge is never half-read.
func ParseChallenges(h http.Header) ([]Challenge, error) {
	fields := h.Values("WWW-Authenticate")
	total := 0
	for _, f := range fields {
		total += len(f)
	}
	if total > MaxChallengeBytes {
		return nil, domain.Errorf(domain.ErrInvalidResponse, "bearer: WWW-Authenticate is %d bytes; the limit is %d", total, MaxChallengeBytes)
	}
	var out []Challenge
	for _, f := range fields {
		p := parser{s: f}
		cs, err := p.challenges(MaxChallenges - len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// InsufficientClaims returns the claims a Bearer challenge of h asks for with
// error="insufficient_claims" (Entra's continuous access evaluation; azcore and MSAL
// answer it the same way): the claims parameter decoded from base64 (any alphabet,
// padded or not) or taken as is when it is already JSON. It reports false when there
// is no such challenge, when h does not parse, or when the claims are not a JSON
// object within MaxClaimsBytes: provider text earns no retry unless it is well formed.
func InsufficientClaims(h http.Header) (string, bool) {
	cs, err := ParseChallenges(h)
	if err != nil {
		return "", false
	}
	for _, c := range cs {
		if !c.IsBearer() || c.Params["error"] != "insufficient_claims" {
			continue
		}
		if claims, ok := decodeClaims(c.Params["claims"]); ok {
			return claims, true
		}
	}
	return "", false
}

func decodeClaims(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 2*MaxClaimsBytes {
		return "", false
	}
	raw := []byte(v)
	if v[0] != '{' {
		raw = nil
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(v); err == nil {
				raw = b
				break
			}
		}
	}
	var obj map[string]json.RawMessage
	if len(raw) == 0 || len(raw) > MaxClaimsBytes || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", false
	}
	return string(raw), true
}

// parser reads one field value; pos only moves forward, so parsing is linear.
type parser struct {
	s   string
	pos int
}

func syntaxError(what string) error {
	return domain.Errorf(domain.ErrInvalidResponse, "bearer: WWW-Authenticate: %s", what)
}

func (p *parser) challenges(room int) ([]Challenge, error) {
	var out []Challenge
	for {
		p.skipListSeparators()
		if p.pos == len(p.s) {
			return out, nil
		}
		if len(out) == room {
			return nil, syntaxError("too many challenges")
		}
		c, err := p.challenge()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// challenge reads auth-scheme [ 1*SP ( token68 / #auth-param ) ].
func (p *parser) challenge() (Challenge, error) {
	c := Challenge{Scheme: p.token()}
	if c.Scheme == "" {
		return c, syntaxError("a challenge must start with an auth-scheme")
	}
	if p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' && p.s[p.pos] != ',' {
		return c, syntaxError("an auth-scheme must be followed by a space")
	}
	p.skipSpace()
	if p.pos == len(p.s) || p.s[p.pos] == ',' {
		return c, nil
	}
	if t68, ok := p.token68(); ok {
		c.Token68 = t68
		return c, nil
	}
	return c, p.params(&c)
}

// token68 reads a token68 that fills the rest of the challenge, or restores pos.
func (p *parser) token68() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) && isToken68(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", false
	}
	for p.pos < len(p.s) && p.s[p.pos] == '=' {
		p.pos++
	}
	end := p.pos
	p.skipSpace()
	if p.pos == len(p.s) || p.s[p.pos] == ',' {
		return p.s[start:end], true
	}
	p.pos = start
	return "", false
}

// params reads #auth-param until the next challenge or the end.
func (p *parser) params(c *Challenge) error {
	c.Params = map[string]string{}
	for {
		start := p.pos
		name := p.token()
		p.skipSpace()
		if name == "" || p.pos == len(p.s) || p.s[p.pos] != '=' {
			if name != "" && len(c.Params) > 0 {
				p.pos = start // the next challenge's scheme
				return nil
			}
			return syntaxError("expected an auth-param")
		}
		p.pos++
		p.skipSpace()
		value, err := p.value()
		if err != nil {
			return err
		}
		name = strings.ToLower(name)
		if _, dup := c.Params[name]; dup {
			return syntaxError("an auth-param is repeated in one challenge")
		}
		if len(c.Params) == MaxParamsPerChallenge {
			return syntaxError("too many auth-params")
		}
		c.Params[name] = value
		p.skipSpace()
		if p.pos == len(p.s) {
			return nil
		}
		if p.s[p.pos] != ',' {
			return syntaxError("auth-params must be separated by commas")
		}
		p.skipListSeparators()
		if p.pos == len(p.s) {
			return nil
		}
	}
}

func (p *parser) value() (string, error) {
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		return p.quoted()
	}
	if v := p.token(); v != "" {
		return v, nil
	}
	return "", syntaxError("an auth-param value must be a token or a quoted string")
}

// quoted reads a quoted-string, unescaping quoted-pairs (RFC 9110 §5.6.4).
func (p *parser) quoted() (string, error) {
	p.pos++ // the opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		ch := p.s[p.pos]
		p.pos++
		switch {
		case ch == '"':
			return b.String(), nil
		case ch == '\\':
			if p.pos == len(p.s) || !isQuotedPairChar(p.s[p.pos]) {
				return "", syntaxError("a bad escape in a quoted string")
			}
			b.WriteByte(p.s[p.pos])
			p.pos++
		case isQdtext(ch):
			b.WriteByte(ch)
		default:
			return "", syntaxError("a control character in a quoted string")
		}
	}
	return "", syntaxError("an unterminated quoted string")
}

func (p *parser) token() string {
	start := p.pos
	for p.pos < len(p.s) && isTchar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// skipListSeparators skips OWS and empty list elements (RFC 9110 §5.6.1).
func (p *parser) skipListSeparators() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == ',') {
		p.pos++
	}
}

// isTchar: RFC 9110 §5.6.2.
func isTchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68: RFC 9110 §11.2, without the trailing '='.
func isToken68(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0
}

func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5B || c >= 0x5D && c <= 0x7E || c >= 0x80
}

func isQuotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || c >= 0x21 && c <= 0x7E || c >= 0x80
}
