package msalcache_test

import (
	"testing"
	"time"

	"github.com/hexauth/hexauth/msalcache"
)

// After hexauth → MSAL Go (which redeems the exported refresh token, the provider
// rotating it) the document holds two refresh tokens of one identity: the spent one, as
// hexauth exported it (MSAL Python's key, hexauth's cached_at, which MSAL Go keeps), and
// MSAL Go's new one under MSAL Go's key with no timestamp. The new one must be imported:
// the spent one is revoked, and a provider with reuse detection ends the session when
// it is presented (interop/msalgo proves the round trip against real MSAL Go).
func TestDecodeImport_msalGoRotationBesideHexauthExport(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	doc := `{"RefreshToken": {
	"h-e-refreshtoken-c--api://a openid": {"home_account_id": "h", "environment": "e", "credential_type": "RefreshToken", "client_id": "c", "secret": "spent", "target": "api://a openid", "cached_at": "1796414914"},
	"h-e-refreshtoken-c": {"home_account_id": "h", "environment": "e", "credential_type": "RefreshToken", "client_id": "c", "secret": "rotated"}}}`
	for name, decode := range map[string]func([]byte) (string, error){
		"DecodeImport": func(b []byte) (string, error) {
			s, _, err := msalcache.DecodeImport(b, now)
			if err != nil || len(s.RefreshTokens) != 1 {
				return "", err
			}
			return string(s.RefreshTokens[0].Secret), nil
		},
		"DecodeReport": func(b []byte) (string, error) {
			s, _, err := msalcache.DecodeReport(b)
			if err != nil || len(s.RefreshTokens) != 1 {
				return "", err
			}
			return string(s.RefreshTokens[0].Secret), nil
		},
	} {
		got, err := decode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != "rotated" {
			t.Errorf("%s kept %q; want MSAL Go's rotated token, not the one hexauth exported", name, got)
		}
	}
	// The rule is about hexauth's own field only: MSAL Python dates its rotations
	// (last_modification_time), and a dated rotation still beats an undated entry
	// (TestDecodeImport_stampsUndatedRefreshTokens).
}

// MSAL Python rotates a refresh token by rewriting the entry it read, every field kept
// (hexauth's cached_at too), under its own key with a new last_modification_time; the
// entry hexauth exported under MSAL Go's key stays beside it, spent. The rotation is
// imported, whether its last_modification_time is later than cached_at or, rotated in
// the second of the export, equal; and the later of the two dates an entry.
func TestDecodeImport_msalPythonRotationBesideHexauthExport(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, spentExtra, rotatedModified string
	}{
		{"rotated later", "", "1796414999"},
		{"rotated in the second of the export", "", "1796414914"},
		// An entry hexauth imported from MSAL Python carries its last_modification_time
		// on export: then the key decides (hexauth's own loses a tie).
		{"exported entry from MSAL Python, same second", `, "last_modification_time": "1796414914"`, "1796414914"},
	} {
		doc := `{"RefreshToken": {
	"h-e-refreshtoken-c": {"home_account_id": "h", "environment": "e", "credential_type": "RefreshToken", "client_id": "c", "secret": "spent", "target": "s", "cached_at": "1796414914"` + tt.spentExtra + `},
	"h-e-refreshtoken-c--s": {"home_account_id": "h", "environment": "e", "credential_type": "RefreshToken", "client_id": "c", "secret": "rotated", "target": "s", "cached_at": "1796414914", "last_modification_time": "` + tt.rotatedModified + `"}}}`
		s, _, err := msalcache.DecodeImport([]byte(doc), now)
		if err != nil || len(s.RefreshTokens) != 1 {
			t.Fatalf("%s: DecodeImport = %v, %d refresh tokens; want 1", tt.name, err, len(s.RefreshTokens))
		}
		want := time.Unix(1796414914, 0)
		if tt.rotatedModified == "1796414999" {
			want = time.Unix(1796414999, 0)
		}
		if rt := s.RefreshTokens[0]; rt.Secret != "rotated" || !rt.CachedAt.Equal(want) {
			t.Errorf("%s: DecodeImport kept %q dated %v; want MSAL Python's rotation dated %v", tt.name, rt.Secret, rt.CachedAt, want)
		}
	}
}

// An entry MSAL Python rewrote (last_modification_time) is not as hexauth exported it,
// whatever the keys: in the second of the export it still beats the untouched one.
func TestDecodeImport_lastModificationMarksAnotherWriter(t *testing.T) {
	doc := `{"RefreshToken": {
	"h-e-refreshtoken-c--": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": "spent", "cached_at": "1796414914"},
	"h-e-refreshtoken-c--s": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": "rotated", "target": "s", "cached_at": "1796414914", "last_modification_time": "1796414914"}}}`
	s, _, err := msalcache.DecodeImport([]byte(doc), time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	if err != nil || len(s.RefreshTokens) != 1 {
		t.Fatalf("DecodeImport = %v, %d refresh tokens; want 1", err, len(s.RefreshTokens))
	}
	if got := s.RefreshTokens[0].Secret; got != "rotated" {
		t.Errorf("DecodeImport kept %q; want the entry MSAL Python rewrote", got)
	}
}
