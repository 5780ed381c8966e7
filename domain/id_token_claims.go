package domain

import (
	"bytes"
	"encoding/json"
	"maps"
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
	var m map[string]any
	if err := decodeJSONObject(b, &m); err != nil || m == nil {
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token claims are not a JSON object")
	}
	return claimsFromMap(m)
}

// Claim returns the value of the claim name as decoded from the token's JSON (a
// string, json.Number, bool, nil, []any or map[string]any) and whether the token has
// it. A list or an object is a fresh deep copy: the claims are shared read-only data,
// and editing what Claim returns changes no other caller's claims.
func (c IDTokenClaims) Claim(name string) (any, bool) {
	v, ok := c.raw[name]
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
	if c.raw == nil {
		return nil
	}
	return cloneJSONObject(c.raw)
}

// claimCount is the number of claims, for String.
func (c IDTokenClaims) claimCount() int { return len(c.raw) }

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
	return json.Marshal(idTokenClaimsJSON{idTokenClaimsFields: idTokenClaimsFields(c), Raw: c.raw})
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
	c.raw = v.Raw
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
