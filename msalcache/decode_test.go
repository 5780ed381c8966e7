package msalcache_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// secretValue appears as a secret in the documents below; no error may quote it.
const secretValue = "s3cr3t-token-value"

// entryError fails unless err is a *domain.Error of class ErrInvalidInput wrapping an
// *EntryError, and returns the latter.
func entryError(t *testing.T, err error) *msalcache.EntryError {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error = %v (%T); want a *domain.Error of class invalid_input", err, err)
	}
	var ee *msalcache.EntryError
	if !errors.As(err, &ee) {
		t.Fatalf("error = %v; want it to wrap an *msalcache.EntryError", err)
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Fatalf("error %q contains the secret", err)
	}
	if !strings.Contains(err.Error(), "msalcache: ") {
		t.Fatalf("error %q does not name the package", err)
	}
	return ee
}

func TestDecode_invalidDocument(t *testing.T) {
	for _, tc := range []struct {
		name                string
		doc                 string
		section, key, field string
		reasonHas           string
	}{
		{"malformed JSON", `{"AccessToken": {`, "AccessToken", "", "", "malformed JSON"},
		{"trailing garbage", `{} x`, "", "", "", "malformed JSON"},
		{"not an object", `["AccessToken"]`, "", "", "", "not a JSON object"},
		{"null document", `null`, "", "", "", "not a JSON object"},
		{"invalid UTF-8", "{\"Account\": {\"k\": {\"username\": \"\xff\"}}}", "", "", "", "UTF-8"},
		{"section not an object", `{"RefreshToken": [1]}`, "RefreshToken", "", "", "section is not a JSON object"},
		{"entry not an object", `{"IdToken": {"k": "` + secretValue + `"}}`, "IdToken", "k", "", "entry is not a JSON object"},
		{"entry null", `{"IdToken": {"k": null}}`, "IdToken", "k", "", "entry is not a JSON object"},
		{"secret of the wrong type", `{"RefreshToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": 42}}}`,
			"RefreshToken", "k", "secret", "want a string"},
		{"number as client id", `{"AppMetadata": {"k": {"client_id": 7, "environment": "e"}}}`, "AppMetadata", "k", "client_id", "want a string"},
		{"missing client id", `{"AccessToken": {"k": {"environment": "e", "target": "s", "secret": "` + secretValue + `"}}}`,
			"AccessToken", "k", "client_id", "missing"},
		{"missing target", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "secret": "` + secretValue + `"}}}`,
			"AccessToken", "k", "target", "missing"},
		{"empty home account of a refresh token", `{"RefreshToken": {"k": {"home_account_id": "", "environment": "e", "client_id": "c", "secret": "` + secretValue + `"}}}`,
			"RefreshToken", "k", "home_account_id", "missing"},
		{"null environment of an account", `{"Account": {"k": {"home_account_id": "h", "environment": null}}}`, "Account", "k", "environment", "missing"},
		{"ID token without client", `{"IdToken": {"k": {"home_account_id": "h", "environment": "e", "secret": "` + secretValue + `"}}}`,
			"IdToken", "k", "client_id", "missing"},
		{"placeholder timestamp", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "secret": "` + secretValue + `", "expires_on": "<expires_on>"}}}`,
			"AccessToken", "k", "expires_on", "Unix seconds"},
		{"negative timestamp", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "expires_on": -1}}}`,
			"AccessToken", "k", "expires_on", "Unix seconds"},
		{"timestamp past 2^53", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "cached_at": "9007199254740993"}}}`,
			"AccessToken", "k", "cached_at", "Unix seconds"},
		{"boolean timestamp", `{"RefreshToken": {"k": {"home_account_id": "h", "environment": "e", "client_id": "c", "cached_at": true}}}`,
			"RefreshToken", "k", "cached_at", "Unix seconds"},
		{"hexadecimal timestamp", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "refresh_on": "0x10"}}}`,
			"AccessToken", "k", "refresh_on", "Unix seconds"},
		{"infinite timestamp", `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "refresh_on": "1e400"}}}`,
			"AccessToken", "k", "refresh_on", "Unix seconds"},
		{"credential type of another section", `{"AccessToken": {"k": {"credential_type": "RefreshToken", "environment": "e", "client_id": "c", "target": "s"}}}`,
			"AccessToken", "k", "credential_type", "does not belong"},
		{"credential type holding a secret", `{"IdToken": {"k": {"credential_type": "` + secretValue + `", "home_account_id": "h", "environment": "e", "client_id": "c"}}}`,
			"IdToken", "k", "credential_type", "not this section's credential type"},
		{"field given twice", `{"Account": {"k": {"home_account_id": "h", "Home_Account_Id": "h2", "environment": "e"}}}`,
			"Account", "k", "home_account_id", "given twice"},
		{"NUL in a field", `{"Account": {"k": {"home_account_id": "h\u0000", "environment": "e"}}}`, "Account", "k", "home_account_id", "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := msalcache.Decode([]byte(tc.doc))
			if s.Len() != 0 {
				t.Errorf("Decode returned %d entries with an error; want none", s.Len())
			}
			ee := entryError(t, err)
			if ee.Section != tc.section || ee.Key != tc.key || ee.Field != tc.field {
				t.Errorf("EntryError = {Section: %q, Key: %q, Field: %q}; want {%q, %q, %q}", ee.Section, ee.Key, ee.Field, tc.section, tc.key, tc.field)
			}
			if !strings.Contains(ee.Reason, tc.reasonHas) {
				t.Errorf("reason = %q; want it to contain %q", ee.Reason, tc.reasonHas)
			}
		})
	}
}

func TestDecode_firstErrorIsDeterministic(t *testing.T) {
	doc := `{"RefreshToken": {"b": {"secret": 1}, "a": {"secret": 2}}, "AccessToken": {"z": {"target": 3}}}`
	for range 20 {
		_, err := msalcache.Decode([]byte(doc))
		if ee := entryError(t, err); ee.Section != "AccessToken" || ee.Key != "z" {
			t.Fatalf("first error at %s[%q]; want AccessToken[\"z\"] (sections in schema order, keys sorted)", ee.Section, ee.Key)
		}
	}
}

func TestEntryError_Error_longKeyIsCut(t *testing.T) {
	e := &msalcache.EntryError{Section: "AccessToken", Key: strings.Repeat("k", 500), Field: "target", Reason: "missing"}
	got := e.Error()
	if len(got) > 200 || !strings.HasPrefix(got, `AccessToken["kkk`) || !strings.HasSuffix(got, `…]: field "target": missing`) {
		t.Fatalf("Error() = %q; want the key cut to 120 characters", got)
	}
}

func TestDecode_tolerantReading(t *testing.T) {
	doc := "\uFEFF" + `{
	  "accesstoken": {"K1": {"Home_Account_ID": "uid.utid", "ENVIRONMENT": "login.microsoftonline.com", "client_id": "app",
	    "realm": "utid", "target": "User.Read", "secret": "at", "cached_at": 1000, "expires_on": "4600",
	    "extended_expires_on": 4600.9, "refresh_on": "", "credential_type": "accesstoken"}},
	  "REFRESHTOKEN": {"k2": {"home_account_id": "uid.utid", "environment": "login.microsoftonline.com", "client_id": "app",
	    "secret": "rt", "last_modification_time": "2000", "credential_type": "RefreshToken"}},
	  "idtoken": {"k3": {"home_account_id": "uid.utid", "environment": "login.microsoftonline.com", "client_id": "app",
	    "realm": "utid", "secret": "id", "credential_type": "IDToken"}},
	  "account": null,
	  "AppMetadata": {"k4": {"client_id": "app", "environment": "login.microsoftonline.com", "family_id": null}}
	}` + " \n\t\r\n"
	s, rep, err := msalcache.DecodeReport([]byte(doc))
	if err != nil {
		t.Fatalf("DecodeReport: %v", err)
	}
	if !rep.Empty() {
		t.Errorf("report = %+v; want nothing left out", rep)
	}
	if len(s.AccessTokens) != 1 || len(s.RefreshTokens) != 1 || len(s.IDTokens) != 1 || len(s.Accounts) != 0 || len(s.AppMetadata) != 1 {
		t.Fatalf("snapshot = %+v; want one access, refresh and ID token and one app metadata", s)
	}
	if want := (msalcache.Counts{AccessTokens: 1, RefreshTokens: 1, IDTokens: 1, AppMetadata: 1}); rep.Imported != want {
		t.Errorf("Report.Imported = %+v; want %+v", rep.Imported, want)
	}
	at := s.AccessTokens[0]
	if at.HomeAccountID != "uid.utid" || at.Environment != "login.microsoftonline.com" || at.Secret != "at" {
		t.Errorf("access token = %+v; want its fields read whatever their case", at)
	}
	for _, tc := range []struct {
		name      string
		got, want time.Time
	}{
		{"cached_at (number)", at.CachedAt, time.Unix(1000, 0)},
		{"expires_on (string)", at.ExpiresOn, time.Unix(4600, 0)},
		{"extended_expires_on (fraction dropped)", at.ExtendedExpiresOn, time.Unix(4600, 0)},
		{"refresh_on (empty string)", at.RefreshOn, time.Time{}},
		{"refresh token from last_modification_time", s.RefreshTokens[0].CachedAt, time.Unix(2000, 0)},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
	if at.TokenType != "Bearer" {
		t.Errorf("TokenType = %q; want Bearer when the writer left it out", at.TokenType)
	}
	if string(s.RefreshTokens[0].Extra["last_modification_time"]) != `"2000"` {
		t.Errorf("refresh token Extra = %v; want last_modification_time kept", s.RefreshTokens[0].Extra)
	}
}

func TestDecode_emptyDocumentIsAnEmptyCache(t *testing.T) {
	for _, doc := range []string{"", "  \n", "\uFEFF", "\uFEFF\r\n", "{}", `{"AccessToken": {}, "Account": null}`} {
		s, err := msalcache.Decode([]byte(doc))
		if err != nil || s.Len() != 0 {
			t.Errorf("Decode(%q) = %d entries, %v; want an empty snapshot, nil", doc, s.Len(), err)
		}
	}
}

func TestDecode_refreshTokenKeysOfEveryWriter(t *testing.T) {
	entry := `{"home_account_id": "uid.utid", "environment": "login.microsoftonline.com", "client_id": "app", "secret": "rt", "target": "s1 s2"}`
	for _, key := range []string{
		"uid.utid-login.microsoftonline.com-refreshtoken-app--s1 s2", // MSAL Python
		"uid.utid-login.microsoftonline.com-refreshtoken-app--",      // MSAL Java, hexauth
		"uid.utid-login.microsoftonline.com-refreshtoken-app",        // MSAL Go
		"uid.utid-login.microsoftonline.com-refreshtoken-app----",    // MSAL Node
		"uid.utid-login.microsoftonline.com-RefreshToken-app--s1 s2", // MSAL Go 1.0
		"anything at all",
	} {
		s, err := msalcache.Decode([]byte(`{"RefreshToken": {` + mustQuote(key) + `: ` + entry + `}}`))
		if err != nil || len(s.RefreshTokens) != 1 {
			t.Fatalf("Decode with key %q = %+v, %v; want one refresh token", key, s.RefreshTokens, err)
		}
		if got, want := s.RefreshTokens[0].Key(), "uid.utid-login.microsoftonline.com-refreshtoken-app--"; got != want {
			t.Errorf("key %q: Key() = %q; want %q (entries are identified by their fields)", key, got, want)
		}
	}
}

func TestDecodeReport_skipsWhatCannotBeImported(t *testing.T) {
	doc := `{
	  "AccessToken": {
	    "placeholder": {"foo": "bar"},
	    "pop": {"credential_type": "AccessToken_With_AuthScheme", "environment": "e", "client_id": "c", "target": "s", "secret": "p", "tokenType": "pop"},
	    "empty": {"environment": "e", "client_id": "c", "target": "t", "secret": ""}
	  },
	  "RefreshToken": {"empty": {"home_account_id": "h", "environment": "e", "client_id": "c"}},
	  "unknownEntity": {"field1": "1"},
	  "Zzz": 3
	}`
	s, rep, err := msalcache.DecodeReport([]byte(doc))
	if err != nil {
		t.Fatalf("DecodeReport: %v", err)
	}
	if s.Len() != 0 || rep.Imported != (msalcache.Counts{}) {
		t.Errorf("snapshot has %d entries, Report.Imported %+v; want none", s.Len(), rep.Imported)
	}
	if got := strings.Join(rep.ForeignSections, ","); got != "Zzz,unknownEntity" {
		t.Errorf("ForeignSections = %q; want Zzz,unknownEntity (sorted)", got)
	}
	want := []string{
		`AccessToken["empty"]: empty secret`,
		`AccessToken["placeholder"]: not a cache entry`,
		`AccessToken["pop"]: proof-of-possession`,
		`RefreshToken["empty"]: empty secret`,
	}
	if len(rep.Skipped) != len(want) {
		t.Fatalf("Skipped = %v; want %d entries", rep.Skipped, len(want))
	}
	for i, w := range want {
		if got := rep.Skipped[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("Skipped[%d] = %q; want it to start with %q", i, got, w)
		}
	}
}

func TestDecodeReport_duplicates(t *testing.T) {
	rt := func(secret, family, cachedAt string) string {
		e := map[string]string{"home_account_id": "h", "environment": "e", "client_id": "c", "secret": secret}
		if family != "" {
			e["family_id"] = family
		}
		if cachedAt != "" {
			e["cached_at"] = cachedAt
		}
		b, _ := json.Marshal(e)
		return string(b)
	}
	for _, tc := range []struct {
		name       string
		entries    string
		wantSecret string
		wantLoser  string
	}{
		{"newer wins", `"h-e-refreshtoken-c--": ` + rt("old", "", "10") + `, "h-e-refreshtoken-c--x": ` + rt("new", "", "20"), "new", "h-e-refreshtoken-c--"},
		{"lower-case key wins", `"h-e-RefreshToken-c--": ` + rt("v1.0", "", "") + `, "h-e-refreshtoken-c--": ` + rt("v1.1", "", ""), "v1.1", "h-e-RefreshToken-c--"},
		{"family token wins", `"h-e-refreshtoken-c----": ` + rt("own", "", "") + `, "h-e-refreshtoken-1----": ` + rt("frt", "1", ""), "frt", "h-e-refreshtoken-c----"},
		{"smallest key wins", `"b": ` + rt("b", "", "") + `, "a": ` + rt("a", "", ""), "a", "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rep, err := msalcache.DecodeReport([]byte(`{"RefreshToken": {` + tc.entries + `}}`))
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			if len(s.RefreshTokens) != 1 || string(s.RefreshTokens[0].Secret) != tc.wantSecret {
				t.Fatalf("kept %d refresh tokens; want the one with secret %q", len(s.RefreshTokens), tc.wantSecret)
			}
			if len(rep.Skipped) != 1 || rep.Skipped[0].Key != tc.wantLoser || !strings.Contains(rep.Skipped[0].Reason, "duplicate") {
				t.Fatalf("Skipped = %v; want %q reported as a duplicate", rep.Skipped, tc.wantLoser)
			}
			if want := (msalcache.Counts{RefreshTokens: 1}); rep.Imported != want {
				t.Fatalf("Report.Imported = %+v; want %+v: the duplicate is not counted", rep.Imported, want)
			}
		})
	}
}

func TestDecode_bearerAccessTokenWinsOverAnotherType(t *testing.T) {
	at := `{"environment": "e", "client_id": "c", "target": "s", "secret": "%s", "token_type": "%s", "cached_at": "%s"}`
	doc := `{"AccessToken": {"a": ` + fmt.Sprintf(at, "ssh", "ssh-cert", "20") + `, "b": ` + fmt.Sprintf(at, "bearer", "bearer", "10") + `}}`
	s, err := msalcache.Decode([]byte(doc))
	if err != nil || len(s.AccessTokens) != 1 || s.AccessTokens[0].Secret != "bearer" {
		t.Fatalf("Decode = %+v, %v; want the bearer token kept", s.AccessTokens, err)
	}
	if s.AccessTokens[0].TokenType != "bearer" {
		t.Errorf("TokenType = %q; want it kept as written", s.AccessTokens[0].TokenType)
	}
}

func TestDecode_appTokenWithNullHomeAccount(t *testing.T) {
	doc := `{"AccessToken": {"-login.microsoftonline.com-accesstoken-app-tenant-api://x/.default": {
	  "home_account_id": null, "environment": "login.microsoftonline.com", "client_id": "app", "realm": "tenant",
	  "target": "api://x/.default", "secret": "at", "token_type": "Bearer", "key_id": "kid-1"}}}`
	s, err := msalcache.Decode([]byte(doc))
	if err != nil || len(s.AccessTokens) != 1 {
		t.Fatalf("Decode = %+v, %v; want one app token", s.AccessTokens, err)
	}
	if at := s.AccessTokens[0]; at.HomeAccountID != "" || at.KeyID != "kid-1" || at.Realm != "tenant" {
		t.Errorf("app token = %+v; want no home account, key id and realm read", at)
	}
}

func TestDecode_extraFieldsAreKeptCompact(t *testing.T) {
	doc := `{"Account": {"k": {"home_account_id": "h", "environment": "e", "client_info": "abc",
	  "tenantProfiles": [ "x" ,  {"a" : 1} ], "nested": {"b": null}}}}`
	s, err := msalcache.Decode([]byte(doc))
	if err != nil || len(s.Accounts) != 1 {
		t.Fatalf("Decode = %+v, %v", s.Accounts, err)
	}
	// The writer left out realm, local_account_id, username and authority_type, which
	// hexauth writes: the shape says so, so that an export leaves them out too.
	want := map[string]string{"client_info": `"abc"`, "tenantProfiles": `["x",{"a":1}]`, "nested": `{"b":null}`,
		msalcache.ShapeMember: `{"absent":["authority_type","local_account_id","realm","username"]}`}
	if len(s.Accounts[0].Extra) != len(want) {
		t.Fatalf("Extra = %v; want %d members", s.Accounts[0].Extra, len(want))
	}
	for k, v := range want {
		if got := string(s.Accounts[0].Extra[k]); got != v {
			t.Errorf("Extra[%q] = %s; want %s", k, got, v)
		}
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
