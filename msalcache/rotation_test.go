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
