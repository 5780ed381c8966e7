package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Entries are copied on the way in and on the way out, so that neither the caller's
// values nor the values handed back share anything mutable (Extra maps and their byte
// slices) with the stored state. Strings are immutable and are shared.

func cloneExtra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// second truncates t to the second, the precision the cache schema keeps; zero stays
// zero.
func second(t time.Time) time.Time { return t.Truncate(time.Second) }

func cloneAccessToken(t domain.AccessToken) domain.AccessToken {
	t.Extra = cloneExtra(t.Extra)
	return t
}

func cloneRefreshToken(t domain.RefreshToken) domain.RefreshToken {
	t.Extra = cloneExtra(t.Extra)
	return t
}

func cloneIDToken(t domain.IDToken) domain.IDToken {
	t.Extra = cloneExtra(t.Extra)
	return t
}

func cloneAccount(a domain.Account) domain.Account {
	a.Extra = cloneExtra(a.Extra)
	return a
}

func cloneAppMetadata(m domain.AppMetadata) domain.AppMetadata {
	m.Extra = cloneExtra(m.Extra)
	return m
}

// Stored forms: a copy with times at second precision.

func storedAccessToken(t domain.AccessToken) domain.AccessToken {
	t = cloneAccessToken(t)
	t.CachedAt, t.ExpiresOn = second(t.CachedAt), second(t.ExpiresOn)
	t.ExtendedExpiresOn, t.RefreshOn = second(t.ExtendedExpiresOn), second(t.RefreshOn)
	return t
}

func storedRefreshToken(t domain.RefreshToken) domain.RefreshToken {
	t = cloneRefreshToken(t)
	t.CachedAt = second(t.CachedAt)
	return t
}

// badExtra returns the name of the first Extra field whose value is not JSON. Such a
// value could not be exported in MSAL's unified JSON, where it is written verbatim.
func badExtra(m map[string]json.RawMessage) (string, bool) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !json.Valid(m[name]) {
			return name, true
		}
	}
	return "", false
}

// copyIn is a validated, stored-form copy of the entries of a write or an import.
type copyIn struct {
	accessTokens  []domain.AccessToken
	refreshTokens []domain.RefreshToken
	idTokens      []domain.IDToken
	accounts      []domain.Account
	appMetadata   []domain.AppMetadata
	foreign       []domain.ForeignSection
}

// copyAll appends the stored form of every entry of in to out, or refuses the first
// entry whose Extra is not JSON. Only the field name appears in the error, never a
// value.
func copyAll[E any](kind string, in []E, extra func(*E) map[string]json.RawMessage, stored func(E) E, out *[]E) error {
	for i := range in {
		if name, bad := badExtra(extra(&in[i])); bad {
			return domain.Errorf(domain.ErrInvalidInput, "%s %d: extra field %q is not valid JSON", kind, i, name)
		}
	}
	*out = make([]E, 0, len(in))
	for _, e := range in {
		*out = append(*out, stored(e))
	}
	return nil
}

// copySnapshot validates and copies every entry of s; nothing is copied when an entry
// is refused.
func copySnapshot(s domain.CacheSnapshot) (copyIn, error) {
	var c copyIn
	err := errors.Join(
		copyAll("access token", s.AccessTokens, func(t *domain.AccessToken) map[string]json.RawMessage { return t.Extra }, storedAccessToken, &c.accessTokens),
		copyAll("refresh token", s.RefreshTokens, func(t *domain.RefreshToken) map[string]json.RawMessage { return t.Extra }, storedRefreshToken, &c.refreshTokens),
		copyAll("ID token", s.IDTokens, func(t *domain.IDToken) map[string]json.RawMessage { return t.Extra }, cloneIDToken, &c.idTokens),
		copyAll("account", s.Accounts, func(a *domain.Account) map[string]json.RawMessage { return a.Extra }, cloneAccount, &c.accounts),
		copyAll("app metadata", s.AppMetadata, func(m *domain.AppMetadata) map[string]json.RawMessage { return m.Extra }, cloneAppMetadata, &c.appMetadata),
	)
	if err != nil {
		return copyIn{}, err
	}
	if err := domain.CheckStoredForeignSections(s.ForeignSections); err != nil {
		return copyIn{}, err
	}
	for _, f := range s.ForeignSections {
		c.foreign = append(c.foreign, cloneForeignSection(f))
	}
	return c, nil
}

// cloneForeignSection copies a foreign section's value, so that neither the caller nor
// a later export can change what is stored.
func cloneForeignSection(f domain.ForeignSection) domain.ForeignSection {
	return domain.ForeignSection{Name: f.Name, Value: bytes.Clone(f.Value)}
}
