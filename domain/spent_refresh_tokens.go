package domain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
)

// SpentMember is the Extra member of a cached refresh token that lists fingerprints of
// the refresh tokens it replaced by rotation: the ones this cache presented and got it
// back for, newest first, at most MaxSpentFingerprints. A NUL-led name is hexauth's
// own: MSAL documents cannot carry it (msalcache refuses such names on import) and
// exports leave it out.
//
// Why: a rotated-away refresh token is spent, and presenting it again can make a
// provider with reuse detection (RFC 9700 §4.14.2) revoke the whole family. An import
// of an older cache document would otherwise put such a token back in place of the live
// one (an undated document token replaces the stored one of its key, since its writer
// may have rotated in place); with the list, the import recognises it and keeps the live
// token.
const SpentMember = "\x00hexauth.spent"

// MaxSpentFingerprints bounds SpentMember: a document older than this many rotations is
// no longer recognised (its token is then replaced as any undated one is).
const MaxSpentFingerprints = 8

// RefreshFingerprint is the fingerprint of a refresh token's secret in SpentMember: the
// first 16 bytes of its SHA-256, base64url. A refresh token is a high-entropy bearer
// credential, so its digest reveals nothing usable; it is not a secret itself.
func RefreshFingerprint(secret Secret) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// Spent returns the fingerprints SpentMember lists for t; none when it lists none or is
// not a JSON array of strings.
func (t RefreshToken) Spent() []string {
	raw, ok := t.Extra[SpentMember]
	if !ok {
		return nil
	}
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

// Supersedes reports whether secret is a refresh token t replaced by rotation.
func (t RefreshToken) Supersedes(secret Secret) bool {
	return secret != t.Secret && slices.Contains(t.Spent(), RefreshFingerprint(secret))
}

// RecordRotation records in t that it replaced prev: prev's fingerprint, then the ones
// prev listed, newest first and at most MaxSpentFingerprints. When the secrets are equal
// (the provider kept the token: nothing new was spent) t carries prev's list on, or
// the write of the unchanged token would erase it: providers that rotate only some
// refreshes (node-oidc-provider's policy for confidential clients) answer most with the
// token presented, and the tokens it replaced earlier are spent still.
func (t *RefreshToken) RecordRotation(prev RefreshToken) {
	if prev.Secret == "" {
		return
	}
	var list []string
	if prev.Secret == t.Secret {
		if list = prev.Spent(); len(list) == 0 {
			return
		}
	} else {
		list = append([]string{RefreshFingerprint(prev.Secret)}, prev.Spent()...)
	}
	own := RefreshFingerprint(t.Secret)
	list = slices.DeleteFunc(slices.Compact(list), func(fp string) bool { return fp == own })
	if len(list) > MaxSpentFingerprints {
		list = list[:MaxSpentFingerprints]
	}
	b, _ := json.Marshal(list) // strings only: cannot fail
	t.Extra = cloneExtra(t.Extra)
	if t.Extra == nil {
		t.Extra = map[string]json.RawMessage{}
	}
	t.Extra[SpentMember] = b
}
