package msalcache

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Reasons an entry is skipped rather than imported.
const (
	reasonNoFields    = "not a cache entry: it carries none of the section's fields"
	reasonRepeatedKey = "the section holds this key more than once: the last entry under it is read, the earlier ones are not imported"
	reasonPoP         = "proof-of-possession access token (" + credentialTypePoP + "): hexauth caches bearer tokens only"
	reasonEmptySecret = "empty secret: the token cannot be used"
)

// reasonStamped is the notice of an undated refresh token stamped by DecodeImport.
const reasonStamped = "no timestamp (MSAL Go writes none): stamped with the import time, so it replaces an older stored token"

// reasonTimeDropped is the notice of an optional timestamp out of range.
const reasonTimeDropped = "out of range (0 to 2^53 seconds), as MSAL .NET writes DateTime.MinValue: read as absent"

// checkCredentialType reads credential_type: absent, or the section's own type in any
// case. It returns a skip reason for a proof-of-possession access token.
func (e *rawEntry) checkCredentialType() (skip string, err error) {
	ct, err := e.str(fieldCredentialType)
	if err != nil || ct == "" || strings.EqualFold(ct, e.section.credentialType) {
		return "", err
	}
	if e.section.name == SectionAccessToken && strings.EqualFold(ct, credentialTypePoP) {
		return reasonPoP, nil
	}
	// The value is not quoted (messages never quote a field's value): a writer that
	// misfiled an entry may have put anything there.
	return "", e.fail(fieldCredentialType, "not this section's credential type: the entry does not belong in this section")
}

// accessToken decodes an access token; skip is set when it is not imported.
func (e *rawEntry) accessToken() (at domain.AccessToken, skip string, err error) {
	if skip, err = e.checkCredentialType(); skip != "" || err != nil {
		return at, skip, err
	}
	var secret string
	if err = e.strs([]strField{
		{fieldHomeAccountID, &at.HomeAccountID}, {fieldEnvironment, &at.Environment}, {fieldClientID, &at.ClientID},
		{fieldRealm, &at.Realm}, {fieldTarget, &at.Target}, {fieldSecret, &secret}, {fieldTokenType, &at.TokenType},
		{fieldKeyID, &at.KeyID},
	}); err != nil {
		return at, "", err
	}
	if err = e.require(map[string]string{fieldEnvironment: at.Environment, fieldClientID: at.ClientID, fieldTarget: at.Target}); err != nil {
		return at, "", err
	}
	for _, f := range []timeField{{fieldCachedAt, &at.CachedAt}, {fieldExpiresOn, &at.ExpiresOn}} {
		if *f.dst, err = e.time(f.name); err != nil {
			return at, "", err
		}
	}
	for _, f := range []timeField{{fieldExtendedExpiresOn, &at.ExtendedExpiresOn}, {fieldRefreshOn, &at.RefreshOn}} {
		if *f.dst, err = e.optionalTime(f.name); err != nil {
			return at, "", err
		}
	}
	if secret == "" {
		return at, reasonEmptySecret, nil
	}
	at.Secret = domain.Secret(secret)
	if at.TokenType == "" {
		at.TokenType = "Bearer" // the schema's default; MSAL Go, Java and Node omit it
	}
	at.Extra = e.extra
	return at, "", nil
}

// refreshToken decodes a refresh token. Its CachedAt is the later of cached_at
// (hexauth's own field) and MSAL Python's last_modification_time, else the zero time:
// any refresh token a flow stores later is newer. MSAL Python keeps every field of an
// entry it rotates (hexauth's stale cached_at too) and dates the rotation in
// last_modification_time. exported reports an entry as a hexauth export wrote it and
// no MSAL Python touched: with cached_at and without last_modification_time (see better).
func (e *rawEntry) refreshToken() (rt domain.RefreshToken, exported bool, skip string, err error) {
	if _, err = e.checkCredentialType(); err != nil {
		return rt, false, "", err
	}
	var secret string
	if err = e.strs([]strField{
		{fieldHomeAccountID, &rt.HomeAccountID}, {fieldEnvironment, &rt.Environment}, {fieldClientID, &rt.ClientID},
		{fieldFamilyID, &rt.FamilyID}, {fieldTarget, &rt.Target}, {fieldSecret, &secret}, {fieldRealm, &rt.Realm},
	}); err != nil {
		return rt, false, "", err
	}
	if err = e.require(map[string]string{fieldHomeAccountID: rt.HomeAccountID, fieldEnvironment: rt.Environment, fieldClientID: rt.ClientID}); err != nil {
		return rt, false, "", err
	}
	if rt.CachedAt, err = e.time(fieldCachedAt); err != nil {
		return rt, false, "", err
	}
	_, exported = e.std[fieldCachedAt]
	if lm := e.lastModification(); !lm.IsZero() {
		exported = false // MSAL Python rewrote it (or hexauth imported it from MSAL Python)
		if lm.After(rt.CachedAt) {
			rt.CachedAt = lm
		}
	}
	if secret == "" {
		return rt, false, reasonEmptySecret, nil
	}
	rt.Secret = domain.Secret(secret)
	rt.Extra = e.extra
	return rt, exported, "", nil
}

// lastModification reads MSAL Python's last_modification_time from Extra, where it
// stays; a value that is not a timestamp is ignored, as hexauth does not own the field.
// The name matches ignoring case; the first in sorted order wins.
func (e *rawEntry) lastModification() time.Time {
	names := slices.Sorted(maps.Keys(e.extra))
	for _, name := range names {
		if !strings.EqualFold(name, fieldLastModification) {
			continue
		}
		probe := rawEntry{section: e.section, key: e.key, std: map[string]json.RawMessage{fieldLastModification: e.extra[name]}}
		if t, err := probe.time(fieldLastModification); err == nil {
			return t
		}
	}
	return time.Time{}
}

// idToken decodes an ID token. An empty secret is kept: an ID token authorises
// nothing, and MSAL's test caches use empty ones to make accounts visible.
func (e *rawEntry) idToken() (t domain.IDToken, err error) {
	if _, err = e.checkCredentialType(); err != nil {
		return t, err
	}
	var secret string
	if err = e.strs([]strField{
		{fieldHomeAccountID, &t.HomeAccountID}, {fieldEnvironment, &t.Environment}, {fieldClientID, &t.ClientID},
		{fieldRealm, &t.Realm}, {fieldSecret, &secret},
	}); err != nil {
		return t, err
	}
	if err = e.require(map[string]string{fieldHomeAccountID: t.HomeAccountID, fieldEnvironment: t.Environment, fieldClientID: t.ClientID}); err != nil {
		return t, err
	}
	t.Secret = domain.Secret(secret)
	t.Extra = e.extra
	return t, nil
}

// account decodes an account.
func (e *rawEntry) account() (a domain.Account, err error) {
	if err = e.strs([]strField{
		{fieldHomeAccountID, &a.HomeAccountID}, {fieldEnvironment, &a.Environment}, {fieldRealm, &a.Realm},
		{fieldLocalAccountID, &a.LocalAccountID}, {fieldUsername, &a.Username}, {fieldName, &a.Name},
		{fieldAuthorityType, &a.AuthorityType},
	}); err != nil {
		return a, err
	}
	if err = e.require(map[string]string{fieldHomeAccountID: a.HomeAccountID, fieldEnvironment: a.Environment}); err != nil {
		return a, err
	}
	a.Extra = e.extra
	return a, nil
}

// appMetadata decodes an app metadata entry.
func (e *rawEntry) appMetadata() (m domain.AppMetadata, err error) {
	if err = e.strs([]strField{
		{fieldClientID, &m.ClientID}, {fieldEnvironment, &m.Environment}, {fieldFamilyID, &m.FamilyID},
	}); err != nil {
		return m, err
	}
	if err = e.require(map[string]string{fieldClientID: m.ClientID, fieldEnvironment: m.Environment}); err != nil {
		return m, err
	}
	m.Extra = e.extra
	return m, nil
}
