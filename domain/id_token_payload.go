package domain

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An ID token's payload is read in one pass into the typed fields, as decoding it into a
// map[string]any and reading the claims from the map did — the same claims accepted and
// refused, the same values (FuzzClaimsFromPayload compares the two on every input) — but
// without building the map: a silent cache hit reads the claims of the cached ID token,
// and the map of every claim cost ten times the rest of the hit. The full set of claims
// (Claim, RawClaims) is decoded from the payload on first use (lazyClaims).
//
// encoding/json is not used for the walk: decoding into a struct matches object keys
// case-insensitively ("ISS" would set the issuer), which a map does not.

// maxJSONDepth is encoding/json's nesting limit: a payload nested deeper does not decode.
const maxJSONDepth = 10000

// claimField names a claim the typed fields are read from.
type claimField int

const (
	fieldIss claimField = iota
	fieldSub
	fieldNonce
	fieldTid
	fieldOid
	fieldPreferredUsername
	fieldUPN
	fieldEmail
	fieldName
	fieldAzp // the last string field
	fieldAud
	fieldExp
	fieldIat
	fieldNbf
	fieldAuthTime
	numClaimFields
	numStringFields = fieldAzp + 1
)

// claimFieldOf returns the field read from the claim whose key is the quoted JSON
// string q.
func claimFieldOf(q []byte) (claimField, bool) {
	key := q[1 : len(q)-1]
	if !plainJSONString(q) {
		key = []byte(jsonStringValue(q))
	}
	switch string(key) { // compared, not kept: the conversion does not allocate
	case "iss":
		return fieldIss, true
	case "sub":
		return fieldSub, true
	case "nonce":
		return fieldNonce, true
	case "tid":
		return fieldTid, true
	case "oid":
		return fieldOid, true
	case "preferred_username":
		return fieldPreferredUsername, true
	case "upn":
		return fieldUPN, true
	case "email":
		return fieldEmail, true
	case "name":
		return fieldName, true
	case "azp":
		return fieldAzp, true
	case "aud":
		return fieldAud, true
	case "exp":
		return fieldExp, true
	case "iat":
		return fieldIat, true
	case "nbf":
		return fieldNbf, true
	case "auth_time":
		return fieldAuthTime, true
	}
	return 0, false
}

// errNotJSONObject is what a payload that encoding/json would not decode into a map gets.
const errNotJSONObject = errString("not a JSON object")

// claimsFromPayload reads the claims of the JSON payload p. isNull reports a payload
// whose first value is null (a nil map: no claims at all, refused for its missing iss).
// A payload that is not a JSON object is errNotJSONObject; claims ParseIDToken refuses
// are ErrInvalidIDToken. As json.Decoder.Decode, it reads the first JSON value of p and
// ignores what follows it. lazy is left unset.
func claimsFromPayload(p []byte) (c IDTokenClaims, err error) {
	start := skipJSONSpace(p, 0)
	if start < len(p) && p[start] == 'n' {
		if len(p)-start >= 4 && string(p[start:start+4]) == "null" {
			return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no iss")
		}
		return IDTokenClaims{}, errNotJSONObject
	}
	if start >= len(p) || p[start] != '{' {
		return IDTokenClaims{}, errNotJSONObject
	}
	if _, ok := validJSONValue(p, start); !ok {
		return IDTokenClaims{}, errNotJSONObject
	}
	var spans [numClaimFields][]byte // the last value of each claim, as a map keeps the last
	i := skipJSONSpace(p, start+1)
	if p[i] != '}' {
		for {
			kEnd := skipJSONString(p, i)
			key := p[i:kEnd]
			i = skipJSONSpace(p, kEnd)
			i = skipJSONSpace(p, i+1) // the colon
			vEnd := skipJSONValue(p, i)
			if f, ok := claimFieldOf(key); ok {
				spans[f] = p[i:vEnd]
			}
			i = skipJSONSpace(p, vEnd)
			if p[i] == '}' {
				break
			}
			i = skipJSONSpace(p, i+1) // the comma
		}
	}
	return claimsFromSpans(&spans)
}

// claimsFromSpans applies the rules of the claims (which are required, which types
// each may have) to the JSON values found, in the order the map reading applied them.
func claimsFromSpans(spans *[numClaimFields][]byte) (IDTokenClaims, error) {
	// Every string the typed fields keep is cut from one allocation.
	var strs [numStringFields][]byte
	var n int
	for f := range numStringFields {
		if s := spans[f]; len(s) > 0 && s[0] == '"' {
			strs[f] = jsonStringBytes(s)
			n += len(strs[f])
		}
	}
	if s := spans[fieldAzp]; len(s) > 0 && s[0] != '"' && s[0] != 'n' {
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token azp is not a string")
	}
	var audBuf [1][]byte
	aud := audBuf[:0]
	switch s := spans[fieldAud]; {
	case len(s) > 0 && s[0] == '"':
		if a := jsonStringBytes(s); len(a) > 0 {
			aud = append(aud, a)
			n += len(a)
		}
	case len(s) > 0 && s[0] == '[':
		i := skipJSONSpace(s, 1)
		for s[i] != ']' {
			end := skipJSONValue(s, i)
			if s[i] != '"' {
				return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token aud holds a non-string")
			}
			if a := jsonStringBytes(s[i:end]); len(a) > 0 { // an empty string names no audience, as an empty iss names no issuer
				aud = append(aud, a)
				n += len(a)
			}
			i = skipJSONSpace(s, end)
			if s[i] == ',' {
				i = skipJSONSpace(s, i+1)
			}
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range strs {
		b.Write(s)
	}
	for _, a := range aud {
		b.Write(a)
	}
	all := b.String()
	cut := func(s []byte) string {
		out := all[:len(s)]
		all = all[len(s):]
		return out
	}
	c := IDTokenClaims{
		Issuer: cut(strs[fieldIss]), Subject: cut(strs[fieldSub]), Nonce: cut(strs[fieldNonce]), TenantID: cut(strs[fieldTid]),
		ObjectID: cut(strs[fieldOid]), PreferredUsername: cut(strs[fieldPreferredUsername]), UPN: cut(strs[fieldUPN]),
		Email: cut(strs[fieldEmail]), Name: cut(strs[fieldName]), AuthorizedParty: cut(strs[fieldAzp]),
	}
	if len(aud) > 0 {
		c.Audience = make([]string, len(aud))
		for k, a := range aud {
			c.Audience[k] = cut(a)
		}
	}
	var err error
	if c.Expiry, err = numericDateOf(spans[fieldExp], "exp"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.IssuedAt, err = numericDateOf(spans[fieldIat], "iat"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.NotBefore, err = numericDateOf(spans[fieldNbf], "nbf"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.AuthTime, err = numericDateOf(spans[fieldAuthTime], "auth_time"); err != nil {
		return IDTokenClaims{}, err
	}
	switch {
	case c.Issuer == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no iss")
	case c.Subject == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no sub")
	case len(c.Audience) == 0:
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no aud")
	case c.Expiry.IsZero():
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no exp")
	}
	return c, nil
}

// numericDateOf reads a JWT NumericDate (RFC 7519 §2): a JSON number of seconds. A
// string is refused, as RFC 7519 §2 defines the type as a JSON numeric value: reading
// "exp": "1e99" or "soon" leniently is how expiry checks get skipped. v is the claim's
// JSON value, nil when absent.
func numericDateOf(v []byte, k string) (time.Time, error) {
	if len(v) == 0 || v[0] == 'n' {
		return time.Time{}, nil
	}
	if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a JSON number (RFC 7519 §2 NumericDate)", k)
	}
	var f float64
	if n, ok := smallUint(v); ok {
		f = float64(n) // exact, as ParseFloat reads a short integer
	} else {
		var err error
		if f, err = strconv.ParseFloat(string(v), 64); err != nil {
			return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a valid date", k)
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a valid date", k)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// smallUint reads v when it is a JSON integer of at most 15 digits, which a float64
// holds exactly; ok is false for any other number.
func smallUint(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// jsonStringBytes returns the value of the valid quoted JSON string q: q's own bytes
// when it needs no decoding.
func jsonStringBytes(q []byte) []byte {
	if plainJSONString(q) {
		return q[1 : len(q)-1]
	}
	return []byte(jsonStringValue(q))
}

// jsonStringValue decodes the valid quoted JSON string q as encoding/json does (escapes,
// invalid UTF-8 replaced).
func jsonStringValue(q []byte) string {
	if plainJSONString(q) {
		return string(q[1 : len(q)-1])
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "" // unreachable for a string validJSONValue accepted
	}
	return s
}

// plainJSONString reports whether the quoted JSON string q is its own value: no escape,
// nothing but ASCII.
func plainJSONString(q []byte) bool {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipJSONSpace(p []byte, i int) int {
	for i < len(p) && isJSONSpace(p[i]) {
		i++
	}
	return i
}

// skipJSONString returns the index after the string that starts at p[i], which is valid.
func skipJSONString(p []byte, i int) int {
	for i++; ; i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// skipJSONValue returns the index after the value that starts at p[i], which is valid.
func skipJSONValue(p []byte, i int) int {
	switch p[i] {
	case '"':
		return skipJSONString(p, i)
	case '{', '[':
		depth := 0
		for {
			switch p[i] {
			case '"':
				i = skipJSONString(p, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(p) && p[i] != ',' && p[i] != '}' && p[i] != ']' && !isJSONSpace(p[i]) {
		i++
	}
	return i
}

// validJSONValue reports whether p holds a valid JSON value at i, as encoding/json's
// scanner decides (RFC 8259, strings may hold invalid UTF-8, at most maxJSONDepth
// nested objects and arrays), and where it ends.
func validJSONValue(p []byte, i int) (int, bool) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // the open containers, '{' or '['
	for {
		// A value starts at i (after space).
		i = skipJSONSpace(p, i)
		if i >= len(p) {
			return 0, false
		}
		switch c := p[i]; {
		case c == '{' || c == '[':
			if len(stack) == maxJSONDepth {
				return 0, false
			}
			stack = append(stack, c)
			i = skipJSONSpace(p, i+1)
			if i >= len(p) {
				return 0, false
			}
			if c == '{' && p[i] == '}' || c == '[' && p[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = validJSONKey(p, i); !ok {
					return 0, false
				}
			}
			continue
		case c == '"':
			var ok bool
			if i, ok = validJSONString(p, i); !ok {
				return 0, false
			}
		case c == '-' || c >= '0' && c <= '9':
			var ok bool
			if i, ok = validJSONNumber(p, i); !ok {
				return 0, false
			}
		case c == 't' || c == 'f' || c == 'n':
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if len(p)-i < len(lit) || string(p[i:i+len(lit)]) != lit {
				return 0, false
			}
			i += len(lit)
		default:
			return 0, false
		}
		// A value ended at i: close containers, or find the next value.
		for {
			if len(stack) == 0 {
				return i, true
			}
			i = skipJSONSpace(p, i)
			if i >= len(p) {
				return 0, false
			}
			top := stack[len(stack)-1]
			if p[i] == ',' {
				i++
				if top == '{' {
					var ok bool
					if i, ok = validJSONKey(p, skipJSONSpace(p, i)); !ok {
						return 0, false
					}
				}
				break
			}
			if top == '{' && p[i] == '}' || top == '[' && p[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return 0, false
		}
	}
}

// validJSONKey checks a key and its colon at p[i]; it returns the index after the colon.
func validJSONKey(p []byte, i int) (int, bool) {
	if i >= len(p) || p[i] != '"' {
		return 0, false
	}
	i, ok := validJSONString(p, i)
	if !ok {
		return 0, false
	}
	i = skipJSONSpace(p, i)
	if i >= len(p) || p[i] != ':' {
		return 0, false
	}
	return i + 1, true
}

// validJSONString checks the string that starts at p[i] (a quote) and returns the index
// after it: no control character, only JSON's escapes.
func validJSONString(p []byte, i int) (int, bool) {
	for i++; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(p) {
				return 0, false
			}
			switch p[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(p)-i <= 4 {
					return 0, false
				}
				for _, h := range p[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false
					}
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// validJSONNumber checks the number that starts at p[i] and returns the index after it.
func validJSONNumber(p []byte, i int) (int, bool) {
	digits := func(i int) (int, bool) {
		start := i
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		return i, i > start
	}
	if p[i] == '-' {
		i++
	}
	if i >= len(p) {
		return 0, false
	}
	if p[i] == '0' {
		i++
	} else {
		var ok bool
		if i, ok = digits(i); !ok {
			return 0, false
		}
	}
	if i < len(p) && p[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			return 0, false
		}
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(i); !ok {
			return 0, false
		}
	}
	return i, true
}

// lazyClaims is the full set of an ID token's claims, decoded from the token's payload
// on first use. Copies of an IDTokenClaims share it, so it decodes once, under once;
// after that it is read-only.
type lazyClaims struct {
	once    sync.Once
	payload string // the payload: base64url of JSON when b64, else JSON
	b64     bool
	m       map[string]any
}

// claims returns every claim, decoding them on first use; nil for none.
func (l *lazyClaims) claims() map[string]any {
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		if l.m != nil || l.payload == "" {
			return
		}
		var b []byte
		if l.b64 {
			var err error
			if b, err = base64.RawURLEncoding.DecodeString(l.payload); err != nil {
				return // unreachable: the payload decoded when the token was parsed
			}
		} else {
			b = []byte(l.payload)
		}
		var m map[string]any
		if decodeJSONObject(b, &m) == nil {
			l.m = m
		}
	})
	return l.m
}
