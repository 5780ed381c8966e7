package msalcache_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

var (
	t1000 = time.Unix(1000, 0).UTC()
	t4600 = time.Unix(4600, 0).UTC()
)

// sampleSnapshot has one entry of every kind, as a flow stores them, plus Extra.
func sampleSnapshot() domain.CacheSnapshot {
	return domain.CacheSnapshot{
		AccessTokens: []domain.AccessToken{
			{HomeAccountID: "uid.utid", Environment: "login.microsoftonline.com", ClientID: "app", Realm: "utid",
				Target: "User.Read", Secret: "at<&>", TokenType: "Bearer", CachedAt: t1000, ExpiresOn: t4600,
				ExtendedExpiresOn: t4600, Extra: map[string]json.RawMessage{"userAssertionHash": json.RawMessage(`"h"`)}},
			{Environment: "login.microsoftonline.com", ClientID: "app", Realm: "utid", Target: "api://x/.default",
				Secret: "app-token", TokenType: "Bearer", CachedAt: t1000, ExpiresOn: t4600, RefreshOn: time.Unix(2800, 0).UTC()},
		},
		RefreshTokens: []domain.RefreshToken{
			{HomeAccountID: "uid.utid", Environment: "login.microsoftonline.com", ClientID: "App", FamilyID: "1",
				Target: "User.Read", Secret: "rt", CachedAt: t1000},
		},
		IDTokens: []domain.IDToken{
			{HomeAccountID: "uid.utid", Environment: "login.microsoftonline.com", ClientID: "app", Realm: "utid", Secret: "h.p.s"},
		},
		Accounts: []domain.Account{
			{HomeAccountID: "uid.utid", Environment: "login.microsoftonline.com", Realm: "utid", LocalAccountID: "uid",
				Username: "alice@example.com", Name: "Alice", AuthorityType: "MSSTS",
				Extra: map[string]json.RawMessage{"tenantProfiles": json.RawMessage(`["x"]`)}},
		},
		AppMetadata: []domain.AppMetadata{{ClientID: "App", Environment: "Login.microsoftonline.com"}},
	}
}

const sampleDocument = `{
  "AccessToken": {
    "-login.microsoftonline.com-accesstoken-app-utid-api://x/.default": {
      "cached_at": "1000",
      "client_id": "app",
      "credential_type": "AccessToken",
      "environment": "login.microsoftonline.com",
      "expires_on": "4600",
      "home_account_id": null,
      "realm": "utid",
      "refresh_on": "2800",
      "secret": "app-token",
      "target": "api://x/.default",
      "token_type": "Bearer"
    },
    "uid.utid-login.microsoftonline.com-accesstoken-app-utid-user.read": {
      "cached_at": "1000",
      "client_id": "app",
      "credential_type": "AccessToken",
      "environment": "login.microsoftonline.com",
      "expires_on": "4600",
      "extended_expires_on": "4600",
      "home_account_id": "uid.utid",
      "realm": "utid",
      "secret": "at<&>",
      "target": "User.Read",
      "token_type": "Bearer",
      "userAssertionHash": "h"
    }
  },
  "Account": {
    "uid.utid-login.microsoftonline.com-utid": {
      "authority_type": "MSSTS",
      "environment": "login.microsoftonline.com",
      "home_account_id": "uid.utid",
      "local_account_id": "uid",
      "name": "Alice",
      "realm": "utid",
      "tenantProfiles": [
        "x"
      ],
      "username": "alice@example.com"
    }
  },
  "AppMetadata": {
    "appmetadata-Login.microsoftonline.com-App": {
      "client_id": "App",
      "environment": "Login.microsoftonline.com"
    }
  },
  "IdToken": {
    "uid.utid-login.microsoftonline.com-idtoken-app-utid-": {
      "client_id": "app",
      "credential_type": "IdToken",
      "environment": "login.microsoftonline.com",
      "home_account_id": "uid.utid",
      "realm": "utid",
      "secret": "h.p.s"
    }
  },
  "RefreshToken": {
    "uid.utid-login.microsoftonline.com-refreshtoken-1": {
      "cached_at": "1000",
      "client_id": "App",
      "credential_type": "RefreshToken",
      "environment": "login.microsoftonline.com",
      "family_id": "1",
      "home_account_id": "uid.utid",
      "secret": "rt",
      "target": "User.Read"
    }
  }
}
`

func TestEncode_layout(t *testing.T) {
	got, err := msalcache.Encode(sampleSnapshot())
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if string(got) != sampleDocument {
		t.Fatalf("Encode wrote\n%s\nwant\n%s", got, sampleDocument)
	}
}

func TestEncode_isIndependentOfEntryOrder(t *testing.T) {
	s := sampleSnapshot()
	slices.Reverse(s.AccessTokens)
	got, err := msalcache.Encode(s)
	if err != nil || string(got) != sampleDocument {
		t.Fatalf("Encode of reordered entries = %v; want the same document", err)
	}
}

func TestDecode_readsBackWhatEncodeWrote(t *testing.T) {
	want := sampleSnapshot()
	got, err := msalcache.Decode([]byte(sampleDocument))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// Decode returns entries sorted by key.
	slices.SortFunc(want.AccessTokens, func(a, b domain.AccessToken) int { return strings.Compare(a.Key(), b.Key()) })
	if d := snapshotDiff(got, want); d != "" {
		t.Fatalf("Decode(Encode(s)) differs from s: %s", d)
	}
}

func TestEncode_emptySnapshot(t *testing.T) {
	got, err := msalcache.Encode(domain.CacheSnapshot{})
	want := "{\n  \"AccessToken\": {},\n  \"Account\": {},\n  \"AppMetadata\": {},\n  \"IdToken\": {},\n  \"RefreshToken\": {}\n}\n"
	if err != nil || string(got) != want {
		t.Fatalf("Encode(empty) = %q, %v; want %q", got, err, want)
	}
}

func TestEncode_refusesWhatDecodeCouldNotReadBack(t *testing.T) {
	for _, tc := range []struct {
		name         string
		edit         func(*domain.CacheSnapshot)
		section, fld string
	}{
		{"two entries with one key", func(s *domain.CacheSnapshot) {
			dup := s.RefreshTokens[0]
			dup.Target = "other" // a refresh token's key has no target
			s.RefreshTokens = append(s.RefreshTokens, dup)
		}, "RefreshToken", ""},
		{"Extra named like a field", func(s *domain.CacheSnapshot) {
			s.IDTokens[0].Extra = map[string]json.RawMessage{"Secret": json.RawMessage(`"x"`)}
		}, "IdToken", "secret"},
		{"Extra named cached_at on a refresh token", func(s *domain.CacheSnapshot) {
			s.RefreshTokens[0].Extra = map[string]json.RawMessage{"cached_at": json.RawMessage(`"1"`)}
		}, "RefreshToken", "cached_at"},
		{"Extra not JSON", func(s *domain.CacheSnapshot) {
			s.Accounts[0].Extra = map[string]json.RawMessage{"client_info": json.RawMessage(`{`)}
		}, "Account", "client_info"},
		{"time before 1970", func(s *domain.CacheSnapshot) {
			s.AccessTokens[0].ExpiresOn = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
		}, "AccessToken", "expires_on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sampleSnapshot()
			tc.edit(&s)
			out, err := msalcache.Encode(s)
			if out != nil {
				t.Errorf("Encode returned a document with an error")
			}
			ee := entryError(t, err)
			if ee.Section != tc.section || ee.Field != tc.fld || ee.Key == "" {
				t.Errorf("EntryError = %+v; want section %q, field %q and a key", ee, tc.section, tc.fld)
			}
			if strings.Contains(err.Error(), "at<&>") || strings.Contains(err.Error(), `"rt"`) {
				t.Errorf("error %q quotes a secret", err)
			}
		})
	}
}

func TestEncode_zeroTimesAndEmptyOptionalFieldsAreLeftOut(t *testing.T) {
	s := domain.CacheSnapshot{
		AccessTokens:  []domain.AccessToken{{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "s", Secret: "x"}},
		RefreshTokens: []domain.RefreshToken{{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "y"}},
	}
	out, err := msalcache.Encode(s)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	for _, absent := range []string{"cached_at", "expires_on", "refresh_on", "family_id", "key_id"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("document has %q; want zero times and empty optional fields left out:\n%s", absent, out)
		}
	}
	if !strings.Contains(string(out), `"token_type": "Bearer"`) {
		t.Errorf("document lacks the default token type:\n%s", out)
	}
	back, err := msalcache.Decode(out)
	if err != nil || len(back.RefreshTokens) != 1 || !back.RefreshTokens[0].CachedAt.IsZero() || !back.AccessTokens[0].ExpiresOn.IsZero() {
		t.Fatalf("Decode(Encode(s)) = %+v, %v; want the zero times back", back, err)
	}
}

func TestEncode_refreshTokenKeys(t *testing.T) {
	// MSAL Go's key for a realm-less token (MSAL Go overwrites it when it rotates the
	// token); the key of the family for a family token, as MSAL Go files it; when two
	// apps of one family share that key, the second falls back to MSAL Python's key, and
	// when that is taken too (ids with "--" in them), to hexauth's own, then "#2": no
	// token is lost. An OIDC issuer's token keeps MSAL Python's key with its realm.
	s := domain.CacheSnapshot{RefreshTokens: []domain.RefreshToken{
		{HomeAccountID: "U.T", Environment: "Login.Example", ClientID: "App", Target: "s", Secret: "own"},
		{HomeAccountID: "f.t", Environment: "e", ClientID: "app1", FamilyID: "1", Secret: "fam1"},
		{HomeAccountID: "f.t", Environment: "e", ClientID: "app2", FamilyID: "1", Target: "x", Secret: "fam2"},
		{HomeAccountID: "Sub", Environment: "idp", ClientID: "c", Realm: "realms/A", Target: "s", Secret: "oidc"},
	}}
	out, err := msalcache.Encode(s)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var doc map[string]map[string]struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"u.t-login.example-refreshtoken-app": "own",
		"f.t-e-refreshtoken-1":               "fam1",
		"f.t-e-refreshtoken-app2--x":         "fam2",
		"Sub-idp-refreshtoken-c-realms/A-s":  "oidc",
	}
	if len(doc["RefreshToken"]) != len(want) {
		t.Fatalf("RefreshToken section has %d entries; want %d:\n%s", len(doc["RefreshToken"]), len(want), out)
	}
	for k, secret := range want {
		if got, ok := doc["RefreshToken"][k]; !ok || got.Secret != secret {
			t.Errorf("no refresh token %q under key %q:\n%s", secret, k, out)
		}
	}
	back, err := msalcache.Decode(out)
	if err != nil || len(back.RefreshTokens) != len(want) {
		t.Fatalf("Decode(Encode(s)) = %d refresh tokens, %v; want all", len(back.RefreshTokens), err)
	}
}

func TestEncode_refreshTokensWhoseKeysCollide(t *testing.T) {
	// "h-e-refreshtoken-c--" + "x--y" and "h-e-refreshtoken-c--x--" + "y" are one MSAL
	// Python key; with MSAL Go's key taken by a family token too, both fall back.
	s := domain.CacheSnapshot{RefreshTokens: []domain.RefreshToken{
		{HomeAccountID: "h", Environment: "e", ClientID: "c--x", FamilyID: "f", Target: "y", Secret: "b"},
		{HomeAccountID: "h", Environment: "e", ClientID: "c", FamilyID: "f", Target: "x--y", Secret: "a"},
		{HomeAccountID: "h", Environment: "e", ClientID: "d", FamilyID: "f", Secret: "d"},
	}}
	out, err := msalcache.Encode(s)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	back, err := msalcache.Decode(out)
	if err != nil || len(back.RefreshTokens) != 3 {
		t.Fatalf("Decode(Encode(s)) = %d refresh tokens, %v; want all 3:\n%s", len(back.RefreshTokens), err, out)
	}
}
