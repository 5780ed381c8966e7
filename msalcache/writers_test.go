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
