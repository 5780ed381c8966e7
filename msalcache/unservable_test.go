package msalcache_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/msalcache"
)

// accessTokenEntry is an AccessToken entry of target, with token_type tokenType
// (absent when empty).
func accessTokenEntry(target, tokenType string) string {
	tt := ""
	if tokenType != "" {
		tt = fmt.Sprintf(`, "token_type": %q`, tokenType)
	}
	return fmt.Sprintf(`{"home_account_id": "u.t", "environment": "login.windows.net", "client_id": "c",
		"realm": "t", "target": %q, "secret": "at-%s", "credential_type": "AccessToken",
		"cached_at": "1000", "expires_on": "4600"%s}`, target, target, tt)
}

// Access tokens of another type than Bearer are imported (an export gives them back to
// their writer) and named in the report as never served, with the reason; a Bearer
// token in any letter case, or without token_type (the schema's default), is not.
func TestDecodeReport_namesAccessTokensItWillNotServe(t *testing.T) {
	types := map[string]string{
		"bearer-key": "bearer", "absent-key": "", "upper-key": "BEARER",
		"ssh-key": "ssh-cert", "pop-key": "PoP", "mac-key": "secret-looking-type",
	}
	var entries []string
	for key, tt := range types {
		entries = append(entries, fmt.Sprintf("%q: %s", key, accessTokenEntry(strings.TrimSuffix(key, "-key"), tt)))
	}
	slices.Sort(entries)
	doc := `{"AccessToken": {` + strings.Join(entries, ",") + `}}`
	snap, report, err := msalcache.DecodeReport([]byte(doc))
	if err != nil {
		t.Fatalf("DecodeReport = %v; want nil", err)
	}
	if len(snap.AccessTokens) != 6 || report.Imported.AccessTokens != 6 || len(report.Skipped) != 0 {
		t.Fatalf("DecodeReport imported %d access tokens (counted %d, skipped %v); want all 6 imported", len(snap.AccessTokens), report.Imported.AccessTokens, report.Skipped)
	}
	var got []string
	for _, u := range report.Unservable {
		if u.Section != msalcache.SectionAccessToken {
			t.Errorf("Unservable entry %v: section %q; want %q", u, u.Section, msalcache.SectionAccessToken)
		}
		got = append(got, u.Key)
		if !strings.Contains(u.Reason, "Bearer tokens only") {
			t.Errorf("Unservable %q reason = %q; want it to say hexauth serves Bearer tokens only", u.Key, u.Reason)
		}
		if strings.Contains(u.Reason, "secret-looking-type") {
			t.Errorf("Unservable %q reason = %q; want an unknown token_type described, not quoted", u.Key, u.Reason)
		}
	}
	if want := []string{"mac-key", "pop-key", "ssh-key"}; !slices.Equal(got, want) {
		t.Fatalf("Report.Unservable keys = %q; want %q (sorted; Bearer in any case and an absent type are served)", got, want)
	}
	for _, c := range []struct {
		i    int
		want string
	}{{1, "token_type pop"}, {2, "token_type ssh-cert"}} {
		if r := report.Unservable[c.i].Reason; !strings.HasPrefix(r, c.want) {
			t.Errorf("Unservable %q reason = %q; want it to start with %q", report.Unservable[c.i].Key, r, c.want)
		}
	}
	if !report.Empty() {
		t.Errorf("Report.Empty() = false; want true: unservable tokens are imported, not left out")
	}
}
