package msalcache_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// wholeSample is a whole-cache document of testdata/ (see testdata/README.md) and what
// reading it gives.
type wholeSample struct {
	file    string
	counts  [5]int // access, refresh and ID tokens, accounts, app metadata
	dropped string // comma-separated
	skipped int
	// accounts as MSAL lists them: one per home account and environment, the home
	// tenant's record preferred, as "username|home_account_id|environment|realm".
	accounts []string
}

var johnDoe = []string{"John Doe|uid.utid|login.windows.net|contoso"}

var wholeSamples = []wholeSample{
	{"msal-go/apps_internal_base_storage_testdata_test_serialized_cache.json", [5]int{1, 1, 1, 1, 1}, "unknownEntity", 1, johnDoe},
	{"msal-go/apps_internal_base_storage_testdata_v1.0_cache.json", [5]int{1, 1, 1, 1, 1}, "", 0, johnDoe},
	{"msal-go/apps_internal_base_storage_testdata_v1.0_v1.1_cache.json", [5]int{1, 1, 1, 1, 1}, "", 5, johnDoe},
	{"msal-go/apps_tests_devapps_serialized_cache.json", [5]int{1, 1, 1, 1, 1}, "", 0, johnDoe},
	{"msal-go/apps_tests_integration_serialized_cache_1.1.1.json", [5]int{1, 1, 1, 1, 1}, "", 0,
		[]string{"idlab1@msidlab4.onmicrosoft.com|597f86cd-13f3-44c0-bece-a1e77ba43228.f645ad92-e38d-4d1a-b510-d1b09a74a8ca|login.microsoftonline.com|organizations"}},
	{"msal-java/samples_cache_sample_cache.json", [5]int{1, 1, 1, 1, 1}, "", 0, johnDoe},
	{"msal-java/test_resources_AAD_cache_data_full_cache.json", [5]int{1, 1, 1, 1, 0}, "", 0,
		[]string{"username|home_account_id|login.windows.net|realm"}},
	{"msal-java/test_resources_cache_data_multi-cloud-account-cache.json", [5]int{0, 0, 2, 2, 0}, "", 4, []string{
		"MultiCloudAccount|de_uid.de_tid|login.microsoftonline.com|tid",
		"MultiCloudAccount|de_uid.de_tid|login.microsoftonline.de|de_tid",
	}},
	{"msal-java/test_resources_cache_data_multi-tenant-account-cache.json", [5]int{0, 0, 5, 5, 0}, "", 0, []string{
		"MultiTenantAccount|uid1.utid1|login.windows.net|utid1",
		"SingleTenantAccount|uid6.utid5|login.windows.net|utid5",
		"TenantProfileNoHome|uid5.utid4|login.windows.net|utid4",
	}},
	{"msal-java/test_resources_cache_data_serialized_cache.json", [5]int{1, 1, 1, 1, 1}, "unknownEntity", 1, johnDoe},
	// Its ID token (a real-looking mock) names another sub than the mock home account
	// id "uid.utid" it is filed under: skipped, as a swapped token would be.
	{"msal-js/lib_msal-node_test_cache_cache-test-files_cache-unrecognized-entities.json", [5]int{2, 1, 0, 1, 1}, "Unrecognized_Entity", 2,
		[]string{"John Doe|uid.utid|login.microsoftonline.com|utid"}},
	{"msal-js/lib_msal-node_test_cache_cache-test-files_default-cache.json", [5]int{2, 1, 1, 1, 1}, "", 2,
		[]string{"John Doe|uid.utid|login.microsoftonline.com|microsoft"}},
	{"msal-js/lib_msal-node_test_cache_serializer_Account.json", [5]int{0, 0, 0, 1, 0}, "", 0,
		[]string{"John Doe|uid.utid|login.microsoftonline.com|microsoft"}},
	{"msal-js/lib_msal-node_test_cache_serializer_cache.json", [5]int{2, 1, 1, 1, 1}, "", 2,
		[]string{"johndoe@microsoft.com|uid.utid|login.microsoftonline.com|utid"}},
	{"msal-js/samples_msal-node-samples_refresh-token_data_msal.cacheTemplate.json", [5]int{2, 1, 1, 1, 1}, "", 1,
		[]string{"John Doe|uid.utid|login.microsoftonline.com|microsoft"}},
	{"msal-js/samples_msal-node-samples_silent-flow_data_cacheTemplate.json", [5]int{}, "", 0, nil},
}

func readSample(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// msalAccounts lists accounts as MSAL does: one per home account and environment,
// the record of the home tenant (the tenant part of the home account id) preferred.
func msalAccounts(s domain.CacheSnapshot) []string {
	type home struct{ id, env string }
	byHome := map[home]domain.Account{}
	isHome := func(a domain.Account) bool {
		_, tenant, ok := strings.Cut(a.HomeAccountID, ".")
		return ok && strings.EqualFold(tenant, a.Realm)
	}
	for _, a := range s.Accounts {
		k := home{strings.ToLower(a.HomeAccountID), strings.ToLower(a.Environment)}
		if cur, ok := byHome[k]; !ok || (!isHome(cur) && isHome(a)) {
			byHome[k] = a
		}
	}
	var out []string
	for _, a := range byHome {
		out = append(out, strings.Join([]string{a.Username, a.HomeAccountID, a.Environment, a.Realm}, "|"))
	}
	slices.Sort(out)
	return out
}

func TestDecodeReport_wholeSamples(t *testing.T) {
	for _, tc := range wholeSamples {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			s, rep, err := msalcache.DecodeReport(readSample(t, tc.file))
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			got := [5]int{len(s.AccessTokens), len(s.RefreshTokens), len(s.IDTokens), len(s.Accounts), len(s.AppMetadata)}
			if got != tc.counts {
				t.Errorf("entries (AT, RT, ID, Account, AppMetadata) = %v; want %v", got, tc.counts)
			}
			want := msalcache.Counts{AccessTokens: tc.counts[0], RefreshTokens: tc.counts[1], IDTokens: tc.counts[2],
				Accounts: tc.counts[3], AppMetadata: tc.counts[4]}
			if rep.Imported != want {
				t.Errorf("Report.Imported = %+v; want %+v", rep.Imported, want)
			}
			if d := strings.Join(rep.ForeignSections, ","); d != tc.dropped {
				t.Errorf("ForeignSections = %q; want %q", d, tc.dropped)
			}
			if len(rep.Skipped) != tc.skipped {
				t.Errorf("Skipped = %v; want %d entries", rep.Skipped, tc.skipped)
			}
			if a := msalAccounts(s); !slices.Equal(a, tc.accounts) {
				t.Errorf("accounts = %q; want %q", a, tc.accounts)
			}
		})
	}
}

// TestEncode_wholeSamplesRoundTrip: export → import → export is byte-identical, and
// import → export → import gives the same snapshot.
func TestEncode_wholeSamplesRoundTrip(t *testing.T) {
	for _, tc := range wholeSamples {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			first, err := msalcache.Decode(readSample(t, tc.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			exported, err := msalcache.Encode(first)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			second, rep, err := msalcache.DecodeReport(exported)
			if err != nil {
				t.Fatalf("Decode(Encode(sample)): %v", err)
			}
			if !rep.Empty() {
				t.Errorf("re-reading the export left out %+v; want nothing", rep)
			}
			if want := countsOf(first); rep.Imported != want {
				t.Errorf("re-reading the export: Report.Imported = %+v; want the first read's %+v", rep.Imported, want)
			}
			if d := snapshotDiff(second, first); d != "" {
				t.Errorf("import → export → import changed the snapshot: %s", d)
			}
			again, err := msalcache.Encode(second)
			if err != nil || !bytes.Equal(again, exported) {
				t.Errorf("export → import → export is not byte-identical (err %v)", err)
			}
		})
	}
}

func TestDecode_samplesKeepWhatWritersAdded(t *testing.T) {
	s, err := msalcache.Decode(readSample(t, "msal-js/lib_msal-node_test_cache_serializer_cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.AccessTokens[0].Extra["userAssertionHash"]); got != `"mock_hash_string"` {
		t.Errorf("AccessToken Extra userAssertionHash = %s; want kept", got)
	}
	acct := s.Accounts[0]
	if got := string(acct.Extra["client_info"]); got != `"eyJ1aWQiOiJ1aWQiLCAidXRpZCI6InV0aWQifQ=="` {
		t.Errorf("Account Extra client_info = %s; want kept", got)
	}
	if got := string(acct.Extra["tenantProfiles"]); !strings.HasPrefix(got, `["{\"tenantId\":\"utid\"`) {
		t.Errorf("Account Extra tenantProfiles = %s; want kept", got)
	}
	if rt := s.RefreshTokens[0]; rt.FamilyID != "1" || rt.ClientID != "mock_client_id" || s.AppMetadata[0].FamilyID != "1" {
		t.Errorf("refresh token = %+v, app metadata %+v; want the family token and family 1 kept", rt, s.AppMetadata[0])
	}

	s, err = msalcache.Decode(readSample(t, "msal-js/lib_msal-node_test_cache_cache-test-files_cache-unrecognized-entities.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Accounts[0].Extra["unrecognized_entity"]); got != `{"abc123":"123"}` {
		t.Errorf("Account Extra unrecognized_entity = %s; want the nested object kept", got)
	}
}

func TestDecode_samplesFieldValues(t *testing.T) {
	s, err := msalcache.Decode(readSample(t, "msal-go/apps_internal_base_storage_testdata_v1.0_v1.1_cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	// MSAL Go 1.1 reads the lower-case keys; the mixed-case ones of 1.0 hold "wrong value".
	if s.AccessTokens[0].Secret != "an access token" || s.RefreshTokens[0].Secret != "a refresh token" ||
		!strings.HasPrefix(string(s.IDTokens[0].Secret), "header.") || s.Accounts[0].LocalAccountID != "object1234" {
		t.Errorf("the v1.0 entries won over the v1.1 ones")
	}
	at := s.AccessTokens[0]
	if !at.CachedAt.Equal(time.Unix(1000, 0)) || !at.ExpiresOn.Equal(time.Unix(4600, 0)) || at.Target != "s2 s1 s3" || at.Realm != "contoso" {
		t.Errorf("access token = %+v; want cached_at 1000, expires_on 4600, target \"s2 s1 s3\", realm contoso", at)
	}

	s, err = msalcache.Decode(readSample(t, "msal-java/test_resources_AAD_cache_data_full_cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AccessTokens[0].ExpiresOn.Unix(); got != 9999999999999 {
		t.Errorf("expires_on = %d; want 9999999999999", got)
	}
	if a := s.Accounts[0]; a.Name != "name" || a.AuthorityType != "authority_type" || string(a.Extra["client_info"]) != `"client_info"` {
		t.Errorf("account = %+v; want name, authority_type and client_info read", a)
	}

	s, err = msalcache.Decode(readSample(t, "msal-go/apps_tests_integration_serialized_cache_1.1.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(s.AccessTokens[0].Target)); n != 98 {
		t.Errorf("target has %d scopes; want all 98 of the sample", n)
	}
}
