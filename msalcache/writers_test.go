package msalcache_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/msalcache"
)

// Fixtures of testdata/writers/ are built by hand from each writer's serialisation code
// (see testdata/README.md); these tests pin the quirks docs/cache-schema.md lists.

func TestDecodeReport_dotnetMinimumDateIsDroppedWithANotice(t *testing.T) {
	s, rep, err := msalcache.DecodeReport(readSample(t, "writers/msal-dotnet_min-date.json"))
	if err != nil {
		t.Fatalf("DecodeReport(MSAL .NET's DateTime.MinValue) = %v; want it read", err)
	}
	if len(s.AccessTokens) != 1 {
		t.Fatalf("got %d access tokens; want 1", len(s.AccessTokens))
	}
	at := s.AccessTokens[0]
	if !at.ExtendedExpiresOn.IsZero() {
		t.Errorf("ExtendedExpiresOn = %v; want the zero time", at.ExtendedExpiresOn)
	}
	if want := time.Unix(1700003600, 0).UTC(); !at.ExpiresOn.Equal(want) {
		t.Errorf("ExpiresOn = %v; want %v", at.ExpiresOn, want)
	}
	if len(rep.Notices) != 1 || rep.Notices[0].Field != "extended_expires_on" || rep.Notices[0].Section != msalcache.SectionAccessToken {
		t.Fatalf("Notices = %v; want one for AccessToken field extended_expires_on", rep.Notices)
	}
	if got := rep.Notices[0].String(); strings.Contains(got, "62135596800") {
		t.Errorf("notice %q quotes the value", got)
	}
	if rep.Empty() {
		t.Error("Report.Empty() = true with a notice; want false")
	}
}

func TestDecode_outOfRangeTimestamps(t *testing.T) {
	doc := func(field, value string) string {
		return `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "secret": "` + secretValue +
			`", "cached_at": "1700000000", "expires_on": "1700003600", "` + field + `": ` + value + `}}}`
	}
	for _, tc := range []struct {
		name, field, value string
		ok                 bool
	}{
		{"optional extended_expires_on negative", "extended_expires_on", `"-62135596800"`, true},
		{"optional refresh_on negative number", "refresh_on", `-1`, true},
		{"optional refresh_on beyond 2^53", "refresh_on", `"9007199254740993"`, true},
		{"optional field not a number", "extended_expires_on", `"soon"`, false},
		{"required expires_on negative", "expires_on", `"-62135596800"`, false},
		{"required cached_at negative", "cached_at", `"-1"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep, err := msalcache.DecodeReport([]byte(doc(tc.field, tc.value)))
			if tc.ok {
				if err != nil || len(rep.Notices) != 1 || rep.Notices[0].Field != tc.field {
					t.Fatalf("DecodeReport = %v, notices %v; want one notice for %s", err, rep.Notices, tc.field)
				}
				return
			}
			if ee := entryError(t, err); ee.Field != tc.field {
				t.Fatalf("EntryError.Field = %q; want %q", ee.Field, tc.field)
			}
		})
	}
}

func TestDecode_earlyMSALPythonListTargetAndFloatTimes(t *testing.T) {
	s, rep, err := msalcache.DecodeReport(readSample(t, "writers/msal-python-0.1_list-target.json"))
	if err != nil {
		t.Fatalf("DecodeReport(MSAL Python 0.1's cache) = %v; want it read", err)
	}
	if !rep.Empty() || len(s.AccessTokens) != 1 || len(s.RefreshTokens) != 1 || len(s.Accounts) != 1 {
		t.Fatalf("got %+v, report %+v; want 1 access token, 1 refresh token, 1 account, nothing left out", countsOf(s), rep)
	}
	at, rt := s.AccessTokens[0], s.RefreshTokens[0]
	if at.Target != "User.Read Mail.Read" || rt.Target != "User.Read Mail.Read" {
		t.Errorf("targets = %q, %q; want %q (the array joined in its order)", at.Target, rt.Target, "User.Read Mail.Read")
	}
	for _, c := range []struct {
		name      string
		got, want time.Time
	}{
		{"cached_at", at.CachedAt, time.Unix(1538000000, 0)},
		{"expires_on", at.ExpiresOn, time.Unix(1538003599, 0)},
		{"extended_expires_on", at.ExtendedExpiresOn, time.Unix(1538000000, 0)},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %v; want %v (the fraction dropped)", c.name, c.got, c.want.UTC())
		}
	}
}

func TestDecode_targetAndTimestampShapes(t *testing.T) {
	doc := func(target, cachedAt string) string {
		return `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": ` + target + `, "secret": "` + secretValue +
			`", "cached_at": ` + cachedAt + `, "expires_on": "1700003600"}}}`
	}
	for _, tc := range []struct {
		name, target, cachedAt string
		wantTarget             string
		wantCachedAt           int64
		badField               string
	}{
		{name: "string fraction", target: `"a b"`, cachedAt: `"1700000000.5"`, wantTarget: "a b", wantCachedAt: 1700000000},
		{name: "number exponent", target: `["a"]`, cachedAt: `1.7e9`, wantTarget: "a", wantCachedAt: 1700000000},
		{name: "array of one", target: `["x/.default"]`, cachedAt: `"1"`, wantTarget: "x/.default", wantCachedAt: 1},
		{name: "array with a number", target: `["a", 1]`, cachedAt: `"1"`, badField: "target"},
		{name: "array with an empty scope", target: `["a", ""]`, cachedAt: `"1"`, badField: "target"},
		{name: "array with a space", target: `["a b"]`, cachedAt: `"1"`, badField: "target"},
		{name: "empty array", target: `[]`, cachedAt: `"1"`, badField: "target"},
		{name: "object target", target: `{}`, cachedAt: `"1"`, badField: "target"},
		{name: "negative fraction", target: `"a"`, cachedAt: `"-0.5"`, badField: "cached_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := msalcache.Decode([]byte(doc(tc.target, tc.cachedAt)))
			if tc.badField != "" {
				if ee := entryError(t, err); ee.Field != tc.badField {
					t.Fatalf("EntryError.Field = %q; want %q", ee.Field, tc.badField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode = %v; want it read", err)
			}
			at := s.AccessTokens[0]
			if at.Target != tc.wantTarget || at.CachedAt.Unix() != tc.wantCachedAt {
				t.Fatalf("Target, CachedAt = %q, %d; want %q, %d", at.Target, at.CachedAt.Unix(), tc.wantTarget, tc.wantCachedAt)
			}
		})
	}
}

func TestDecodeImport_stampsUndatedRefreshTokens(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 500, time.UTC)
	// Two entries of one hexauth key (MSAL Python's key by target, MSAL Go's without):
	// the dated one wins inside the document, before any stamp. Another account's token
	// has no timestamp and is stamped.
	doc := `{"RefreshToken": {
	"h-e-refreshtoken-c--a": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": "dated", "last_modification_time": "1700000000"},
	"h-e-refreshtoken-c": {"home_account_id": "h", "environment": "e", "client_id": "c", "secret": "undated"},
	"g-e-refreshtoken-c": {"home_account_id": "g", "environment": "e", "client_id": "c", "secret": "go"}}}`
	s, rep, err := msalcache.DecodeImport([]byte(doc), now)
	if err != nil || len(s.RefreshTokens) != 2 {
		t.Fatalf("DecodeImport = %v with %d refresh tokens; want 2", err, len(s.RefreshTokens))
	}
	for _, rt := range s.RefreshTokens {
		want := now.Truncate(time.Second)
		if rt.HomeAccountID == "h" {
			want = time.Unix(1700000000, 0)
			if rt.Secret != "dated" {
				t.Errorf("account h kept the undated duplicate; want the dated one")
			}
		}
		if !rt.CachedAt.Equal(want) {
			t.Errorf("%s: CachedAt = %v; want %v", rt.HomeAccountID, rt.CachedAt, want)
		}
	}
	if len(rep.Notices) != 1 || rep.Notices[0].Key != "g-e-refreshtoken-c" || rep.Notices[0].Field != "cached_at" {
		t.Fatalf("Notices = %v; want one for g-e-refreshtoken-c's cached_at", rep.Notices)
	}
	// DecodeReport stamps nothing.
	s, rep, err = msalcache.DecodeReport([]byte(doc))
	if err != nil || len(rep.Notices) != 0 {
		t.Fatalf("DecodeReport = %v, notices %v; want none", err, rep.Notices)
	}
	for _, rt := range s.RefreshTokens {
		if rt.HomeAccountID == "g" && !rt.CachedAt.IsZero() {
			t.Errorf("DecodeReport stamped an undated token: %v", rt.CachedAt)
		}
	}
}

func TestDecodeReport_skippedEntryHasNoNotice(t *testing.T) {
	doc := `{"AccessToken": {"k": {"environment": "e", "client_id": "c", "target": "s", "secret": "",
	"cached_at": "1", "expires_on": "2", "extended_expires_on": "-62135596800"}}}`
	_, rep, err := msalcache.DecodeReport([]byte(doc))
	if err != nil || len(rep.Skipped) != 1 || len(rep.Notices) != 0 {
		t.Fatalf("DecodeReport = %v, skipped %v, notices %v; want the entry skipped and no notice of it", err, rep.Skipped, rep.Notices)
	}
}

func TestReport_Empty_conflicts(t *testing.T) {
	r := msalcache.Report{Conflicts: []msalcache.Conflict{{Section: msalcache.SectionRefreshToken, Key: "k", Resolution: msalcache.ResolutionReplaced}}}
	if r.Empty() {
		t.Fatal("Report.Empty() = true with a conflict; want false")
	}
	if got, want := r.Conflicts[0].String(), `RefreshToken["k"]: replaced a stored refresh token`; got != want {
		t.Fatalf("Conflict.String() = %q; want %q", got, want)
	}
}
