package domain

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// NewIDTokenClaims returns the claims of an ID token whose payload is claims, checked
// as ParseIDToken checks a token's payload: iss, sub, aud and exp are required, the
// dates are JSON numbers, aud is a string or a list of strings, azp a string. It is
// for code that builds claims without a token (a parser of its own, tests). The typed
// fields are read from the claims, so the two never disagree.
//
// The claims are copied through JSON, as a parsed token holds them: numbers become
// json.Number, lists []any, objects map[string]any; a caller that edits claims
// afterwards changes nothing in the result. A value JSON cannot encode is
// ErrInvalidInput; a claim set ParseIDToken would refuse is ErrInvalidIDToken.
func NewIDTokenClaims(claims map[string]any) (IDTokenClaims, error) {
	b, err := json.Marshal(claims)
	if err != nil {
		return IDTokenClaims{}, Errorf(ErrInvalidInput, "ID token claims cannot be encoded as JSON")
	}
	if len(b) == 0 || b[0] != '{' { // json.Marshal of anything but a non-nil map
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token claims are not a JSON object")
	}
	c, err := claimsFromPayload(b)
	if err == errNotJSONObject {
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token claims are not a JSON object")
	}
	if err != nil {
		return IDTokenClaims{}, err
	}
	c.lazy = &lazyClaims{payload: string(b)}
	return c, nil
}

// Claim returns the value of the claim name as decoded from the token's JSON (a
// string, json.Number, bool, nil, []any or map[string]any) and whether the token has
// it. A list or an object is a fresh deep copy: the claims are shared read-only data,
// and editing what Claim returns changes no other caller's claims.
func (c IDTokenClaims) Claim(name string) (any, bool) {
	v, ok := c.lazy.claims()[name]
	if !ok {
		return nil, false
	}
	if cv, deep := cloneJSONValue(v); deep {
		return cv, true
	}
	return v, true
}

// RawClaims returns every claim of the token, as decoded from its JSON, in a fresh
// deep copy the caller may keep and edit; nil for claims built without any (the zero
// IDTokenClaims). Each call copies the whole set: to read a few claims, use the typed
// fields or Claim.
func (c IDTokenClaims) RawClaims() map[string]any {
	m := c.lazy.claims()
	if m == nil {
		return nil
	}
	return cloneJSONObject(m)
}

// claimCount is the number of claims, for String.
func (c IDTokenClaims) claimCount() int { return len(c.lazy.claims()) }

// Clone returns a copy of c for a holder of its own: the struct and the audience list
// are copied, and the full set of claims, decoded on first use (Claim, RawClaims), is
// decoded for the copy alone. A cache that hands out its claims hands out clones, so
// that a caller reading every claim of a hit neither changes nor grows the cache.
func (c *IDTokenClaims) Clone() *IDTokenClaims {
	// One allocation for the claims, a one-audience list and the lazy state, the
	// common case of a silent hit.
	buf := &struct {
		c    IDTokenClaims
		aud  [1]string
		lazy lazyClaims
	}{c: *c}
	out := &buf.c
	if len(c.Audience) == 1 {
		buf.aud[0] = c.Audience[0]
		out.Audience = buf.aud[:1:1]
	} else {
		out.Audience = slices.Clone(c.Audience)
	}
	if c.lazy != nil && c.lazy.payload != "" {
		buf.lazy.payload, buf.lazy.b64 = c.lazy.payload, c.lazy.b64
		out.lazy = &buf.lazy
	} // else claims decoded already (UnmarshalJSON), read-only and shared, or none
	return out
}

// idTokenClaimsFields is IDTokenClaims without its methods, so that its JSON encoding
// is the default one of its exported fields.
type idTokenClaimsFields IDTokenClaims

// idTokenClaimsJSON is the JSON form of IDTokenClaims: the exported fields by name,
// then every claim under "Raw", as encoding/json wrote the struct when the claims were
// an exported field of that name.
type idTokenClaimsJSON struct {
	idTokenClaimsFields
	Raw map[string]any
}

// MarshalJSON implements json.Marshaler: the typed fields by their Go names and every
// claim under "Raw". It holds personal data and the nonce, as the claims do: keep it
// out of logs (String and the fmt verbs redact).
func (c IDTokenClaims) MarshalJSON() ([]byte, error) {
	return json.Marshal(idTokenClaimsJSON{idTokenClaimsFields: idTokenClaimsFields(c), Raw: c.lazy.claims()})
}

// UnmarshalJSON implements json.Unmarshaler for what MarshalJSON writes, numbers in
// "Raw" kept exact (json.Number), as a parsed token holds them. Like decoding any
// struct, it checks no claim: claims read back from a caller's own storage are as
// trustworthy as that storage.
func (c *IDTokenClaims) UnmarshalJSON(b []byte) error {
	var v idTokenClaimsJSON
	if err := decodeJSONObject(b, &v); err != nil {
		return Errorf(ErrInvalidInput, "ID token claims: not the JSON of IDTokenClaims")
	}
	*c = IDTokenClaims(v.idTokenClaimsFields)
	c.lazy = nil
	if v.Raw != nil {
		c.lazy = &lazyClaims{m: v.Raw}
	}
	return nil
}

// decodeJSONObject decodes b into v with numbers kept as json.Number, as ID token
// payloads are decoded.
func decodeJSONObject(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// cloneJSONObject copies a decoded JSON object and every object and list inside it;
// scalars (strings, numbers, booleans, nulls) are immutable and shared.
func cloneJSONObject(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		if cv, deep := cloneJSONValue(v); deep {
			out[k] = cv
		}
	}
	return out
}

// cloneJSONValue copies a decoded JSON value that is a container; deep is false for a
// scalar, which is shared.
func cloneJSONValue(v any) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONObject(v), true
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			if cx, deep := cloneJSONValue(x); deep {
				out[i] = cx
			} else {
				out[i] = x
			}
		}
		return out, true
	}
	return v, false
}
