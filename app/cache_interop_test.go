package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// pythonCache writes the tokens of res as MSAL Python would have cached them for
// clientID at now: its keys, string timestamps, last_modification_time and
// account_source. familyID, when set, marks the refresh token and the app as family
// members; withAccessToken adds res's access token.
func pythonCache(t *testing.T, res app.AuthResult, clientID, familyID string, now time.Time, withAccessToken bool) string {
	t.Helper()
	a := res.Account
	target := strings.Join(res.Scopes, " ")
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	key := func(parts ...string) string { return strings.ToLower(strings.Join(parts, "-")) }
	rt := map[string]any{
		"credential_type": "RefreshToken", "secret": string(res.RefreshToken), "home_account_id": a.HomeAccountID,
		"environment": a.Environment, "client_id": clientID, "target": target, "last_modification_time": unix(now),
	}
	meta := map[string]any{"client_id": clientID, "environment": a.Environment}
	if familyID != "" {
		rt["family_id"] = familyID
		meta["family_id"] = familyID
	}
	doc := map[string]map[string]any{
		"RefreshToken": {key(a.HomeAccountID, a.Environment, "refreshtoken", clientID, "", target): rt},
		"IdToken": {key(a.HomeAccountID, a.Environment, "idtoken", clientID, a.Realm, ""): map[string]any{
			"credential_type": "IdToken", "secret": string(res.IDToken), "home_account_id": a.HomeAccountID,
			"environment": a.Environment, "realm": a.Realm, "client_id": clientID,
		}},
		"Account": {key(a.HomeAccountID, a.Environment, a.Realm): map[string]any{
			"home_account_id": a.HomeAccountID, "environment": a.Environment, "realm": a.Realm,
			"local_account_id": a.LocalAccountID, "username": a.Username, "authority_type": a.AuthorityType,
			"account_source": "password",
		}},
		"AppMetadata": {"appmetadata-" + a.Environment + "-" + clientID: meta},
		"AccessToken": {},
	}
	if withAccessToken {
		doc["AccessToken"][key(a.HomeAccountID, a.Environment, "accesstoken", clientID, a.Realm, target)] = map[string]any{
			"credential_type": "AccessToken", "secret": string(res.AccessToken), "home_account_id": a.HomeAccountID,
			"environment": a.Environment, "client_id": clientID, "target": target, "realm": a.Realm, "token_type": "Bearer",
			"cached_at": unix(now), "expires_on": unix(res.ExpiresOn), "extended_expires_on": unix(res.ExpiresOn),
		}
	}
	b, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPublicClient_ImportCache_silentCallsUseImportedTokens(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.Partition("msal-python").AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)

	imported := pc.Partition("imported")
	report, err := imported.ImportCache(ctx, strings.NewReader(pythonCache(t, res, clientID, "", exampleStart, true)))
	if err != nil || !report.Empty() {
		t.Fatalf("ImportCache = %+v, %v; want everything imported", report, err)
	}
	if want := (msalcache.Counts{Accounts: 1, AccessTokens: 1, RefreshTokens: 1, IDTokens: 1, AppMetadata: 1}); report.Imported != want {
		t.Fatalf("ImportCache report counts %+v; want %+v", report.Imported, want)
	}
	accounts, err := imported.Accounts(ctx)
	if err != nil || len(accounts) != 1 || accounts[0].Username != "alice@example.com" {
		t.Fatalf("Accounts after import = %v, %v; want alice", accounts, err)
	}

	hit, err := imported.AcquireTokenSilent(ctx, readOrders, accounts[0])
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent call with an unexpired imported token = %v, %v; want the imported token from the cache", hit.TokenSource, err)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 0 {
		t.Fatalf("refresh grants = %d; want 0 for a cache hit", n)
	}

	clock.Advance(2 * time.Hour) // the imported access token has expired
	refreshed, err := imported.AcquireTokenSilent(ctx, readOrders, accounts[0])
	if err != nil || refreshed.TokenSource != domain.SourceIdentityProvider || refreshed.AccessToken == res.AccessToken {
		t.Fatalf("silent call after expiry = %v, %v; want a new token from the provider", refreshed.TokenSource, err)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1 (the imported refresh token redeemed)", n)
	}
	again, err := imported.AcquireTokenSilent(ctx, readOrders, accounts[0])
	if err != nil || again.TokenSource != domain.SourceCache {
		t.Fatalf("next silent call = %v, %v; want the refreshed token from the cache", again.TokenSource, err)
	}
}

func TestPublicClient_ImportCache_familyRefreshTokenServesAnotherApp(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []memory.Client{{ID: "office", FamilyID: "1"}, {ID: "teams", FamilyID: "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(id string) *app.PublicClient {
		pc, err := app.NewPublicClient(ctx, app.Config{ClientID: id, Authority: authority, IdentityProvider: idp, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	office, teams := newClient("office"), newClient("teams")
	res, err := office.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}

	// Without family_id, office's refresh token is not teams' to use.
	plain := teams.Partition("plain")
	if _, err := plain.ImportCache(ctx, strings.NewReader(pythonCache(t, res, "office", "", exampleStart, false))); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.AcquireTokenSilent(ctx, readOrders, res.Account); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("silent call of teams with office's own refresh token = %v; want ErrNoTokens", err)
	}

	family := teams.Partition("family")
	if _, err := family.ImportCache(ctx, strings.NewReader(pythonCache(t, res, "office", "1", exampleStart, false))); err != nil {
		t.Fatal(err)
	}
	got, err := family.AcquireTokenSilent(ctx, readOrders, res.Account)
	if err != nil || got.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent call of teams with office's family refresh token = %v, %v; want a token from the provider", got.TokenSource, err)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
	if accounts, _ := family.Accounts(ctx); len(accounts) != 1 {
		t.Fatalf("teams' accounts after the family refresh = %v; want alice", accounts)
	}
}

func TestPublicClient_ImportCache_failureLeavesThePartitionAsItWas(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	p := pc.Partition("p")
	if _, err := p.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		t.Fatal(err)
	}
	before := exportString(t, p)

	const secret = "imported-secret-value"
	bad := `{
	  "Account": {"bob": {"home_account_id": "bob-home", "environment": "login.example.com", "realm": "tenant-a", "username": "bob"}},
	  "RefreshToken": {"bob-rt": {"home_account_id": "bob-home", "environment": "login.example.com", "client_id": "my-app", "secret": "` + secret + `"}},
	  "AccessToken": {"bob-at": {"home_account_id": "bob-home", "environment": "login.example.com", "target": "api://orders/read", "secret": "` + secret + `"}}
	}`
	report, err := p.ImportCache(ctx, strings.NewReader(bad))
	var ee *msalcache.EntryError
	if !errors.Is(err, domain.ErrInvalidInput) || !errors.As(err, &ee) || ee.Section != "AccessToken" || ee.Key != "bob-at" || ee.Field != "client_id" {
		t.Fatalf("ImportCache = %v; want invalid input at AccessToken[\"bob-at\"] field client_id", err)
	}
	if strings.Contains(err.Error(), secret) || !report.Empty() || report.Imported != (msalcache.Counts{}) {
		t.Fatalf("ImportCache error %q / report %+v; want no secret and no report", err, report)
	}
	if after := exportString(t, p); after != before {
		t.Fatalf("the partition changed after a failed import:\n%s\nwant\n%s", after, before)
	}
	if accounts, _ := p.Accounts(ctx); len(accounts) != 1 {
		t.Fatalf("accounts after a failed import = %v; want alice only", accounts)
	}
}

func TestPublicClient_ImportCache_keepsANewerRefreshToken(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	stale := res
	stale.RefreshToken = "an-older-refresh-token"
	if _, err := pc.ImportCache(ctx, strings.NewReader(pythonCache(t, stale, clientID, "", exampleStart.Add(-time.Hour), false))); err != nil {
		t.Fatal(err)
	}
	snap, err := msalcache.Decode([]byte(exportString(t, pc)))
	if err != nil || len(snap.RefreshTokens) != 1 || snap.RefreshTokens[0].Secret != res.RefreshToken {
		t.Fatalf("refresh tokens after importing an older one: %d, %v; want the newer one kept", len(snap.RefreshTokens), err)
	}
}

func exportString(t *testing.T, c interface {
	ExportCache(context.Context, io.Writer) error
}) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.ExportCache(testContext(t), &b); err != nil {
		t.Fatalf("ExportCache: %v", err)
	}
	return b.String()
}

// msalSamples are the whole-cache documents of msalcache/testdata, the client each was
// written for, and the accounts hexauth lists for that client: one per home account and
// environment of the authority's cloud that holds a token issued to the client.
var msalSamples = []struct {
	file     string
	clientID string
	accounts []string
}{
	{"msal-go/apps_internal_base_storage_testdata_test_serialized_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-go/apps_internal_base_storage_testdata_v1.0_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-go/apps_internal_base_storage_testdata_v1.0_v1.1_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-go/apps_tests_devapps_serialized_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-go/apps_tests_integration_serialized_cache_1.1.1.json", "4b0db8c2-9f26-4417-8bde-3f0e3656f8e0", []string{"idlab1@msidlab4.onmicrosoft.com"}},
	{"msal-java/samples_cache_sample_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-java/test_resources_AAD_cache_data_full_cache.json", "client_id", []string{"username"}},
	// login.microsoftonline.de is another cloud than the authority's.
	{"msal-java/test_resources_cache_data_multi-cloud-account-cache.json", "client_id", []string{"MultiCloudAccount"}},
	// The sample's ID tokens name "uid.utid1", not the accounts' "uid1.utid1".
	{"msal-java/test_resources_cache_data_multi-tenant-account-cache.json", "client_id", []string{"SingleTenantAccount", "TenantProfileNoHome"}},
	{"msal-java/test_resources_cache_data_serialized_cache.json", "my_client_id", []string{"John Doe"}},
	{"msal-js/lib_msal-node_test_cache_cache-test-files_cache-unrecognized-entities.json", "mock_client_id", []string{"John Doe"}},
	{"msal-js/lib_msal-node_test_cache_cache-test-files_default-cache.json", "mock_client_id", []string{"John Doe"}},
	{"msal-js/lib_msal-node_test_cache_serializer_Account.json", "mock_client_id", nil}, // no token for any client
	{"msal-js/lib_msal-node_test_cache_serializer_cache.json", "mock_client_id", []string{"johndoe@microsoft.com"}},
	{"msal-js/samples_msal-node-samples_refresh-token_data_msal.cacheTemplate.json", "mock_client_id", []string{"John Doe"}},
	{"msal-js/samples_msal-node-samples_silent-flow_data_cacheTemplate.json", "mock_client_id", nil},
	// Fixtures of each writer's shape (testdata/README.md): the stores keep each entry's
	// shape and the foreign sections, so the export is Encode's of the decoded document.
	{"writers/msal-python-1.x_azure-cli.json", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", []string{"user@contoso.example"}},
	{"writers/msal-dotnet_v4.json", "client", []string{"user@example.com"}},
	{"writers/msal-go-1.x_omitted-fields.json", "client", nil},
}

// TestPublicClient_ImportCache_msalSamples imports every whole-cache sample into a
// partition of each store (Postgres when HEXAUTH_TEST_POSTGRES_DSN is set), lists its accounts, and checks that the store's export is
// byte for byte msalcache.Encode of the decoded sample: the store keeps every field.
func TestPublicClient_ImportCache_msalSamples(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	caches := []string{"memory:", "sqlite::memory:"}
	if pg := postgresCacheURL(t); pg != "" {
		caches = append(caches, pg)
	}
	for _, cache := range caches {
		store, _, _ := strings.Cut(cache, ":")
		for _, tc := range msalSamples {
			t.Run(store+"/"+filepath.Base(tc.file), func(t *testing.T) {
				ctx := testContext(t)
				data, err := os.ReadFile(filepath.Join("..", "msalcache", "testdata", tc.file))
				if err != nil {
					t.Fatal(err)
				}
				pc, err := app.NewPublicClient(ctx, app.Config{
					ClientID: tc.clientID, Authority: "https://login.microsoftonline.com/common", Cache: cache,
					IdentityProvider: idp, Clock: clock,
				})
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				name := "imported-" + strconv.FormatInt(time.Now().UnixNano(), 10) // postgres is shared between runs
				p := pc.Partition(name)
				report, err := p.ImportCache(ctx, bytes.NewReader(data))
				if err != nil {
					t.Fatalf("ImportCache: %v", err)
				}
				accounts, err := p.Accounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, a := range accounts {
					names = append(names, a.Username)
				}
				if !slices.Equal(names, tc.accounts) {
					t.Errorf("Accounts = %q; want %q", names, tc.accounts)
				}
				// An import stamps undated refresh tokens with its clock's now.
				snap, _, err := msalcache.DecodeImport(data, clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				if got, want := report.Imported, (msalcache.Counts{Accounts: len(snap.Accounts), AccessTokens: len(snap.AccessTokens),
					RefreshTokens: len(snap.RefreshTokens), IDTokens: len(snap.IDTokens), AppMetadata: len(snap.AppMetadata)}); got != want {
					t.Errorf("ImportCache report counts %+v; want the document's %+v", got, want)
				}
				want, err := msalcache.Encode(snap)
				if err != nil {
					t.Fatal(err)
				}
				if got := exportString(t, p); got != string(want) {
					t.Errorf("ExportCache after import differs from the decoded sample:\n%s\nwant\n%s", got, want)
				}
				if other := exportString(t, pc.Partition(name+"-other")); !strings.Contains(other, `"AccessToken": {}`) || !strings.Contains(other, `"Account": {}`) {
					t.Errorf("another partition is not empty after the import:\n%s", other)
				}
			})
		}
	}
}

func TestPublicClient_ExportCache_opensSealedSecrets(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: newFake(clock), Clock: clock,
		SealingKey: bytes.Repeat([]byte{7}, 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	out := exportString(t, pc)
	for _, secret := range []string{string(res.AccessToken), string(res.RefreshToken), string(res.IDToken)} {
		if !strings.Contains(out, strconv.Quote(secret)) {
			t.Fatalf("export of a sealed store lacks a secret in clear; MSAL could not use it:\n%s", out)
		}
	}
	// And the export imports into a store without a sealing key.
	plain := newPublicClient(ctx, newFake(clock), clock)
	defer plain.Close()
	if _, err := plain.ImportCache(ctx, strings.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	if got := exportString(t, plain); got != out {
		t.Fatalf("re-export differs:\n%s\nwant\n%s", got, out)
	}
}

func TestPublicClient_ImportCache_unreadableDocument(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	// A valid document one byte over the limit: {"Account": {}} and spaces.
	tooBig := io.MultiReader(strings.NewReader(`{"Account": {}}`), io.LimitReader(spaces{}, app.MaxCacheDocument-14))
	for _, tc := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"read error", iotest.ErrReader(errors.New("disk on fire")), "read the document"},
		{"larger than MaxCacheDocument", tooBig, "larger than 64 MiB"},
		{"not JSON", strings.NewReader("<html>"), "malformed JSON"},
		// A reader's Len is the caller's: one that says less than nothing (a broken
		// wrapper) is read like any other reader, not trusted as an allocation size.
		{"a reader whose Len is negative", negativeLen{strings.NewReader("<html>")}, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pc.ImportCache(ctx, tc.r)
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ImportCache = %v; want invalid input saying %q", err, tc.want)
			}
		})
	}
}

// negativeLen is a reader whose Len method reports a negative length.
type negativeLen struct{ io.Reader }

func (negativeLen) Len() int { return -1 }

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestPublicClient_ImportCache_logsWhatWasLeftOut(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	var logs bytes.Buffer
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: newFake(clock), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	doc := `{"AccessToken": {"pop": {"credential_type": "AccessToken_With_AuthScheme", "environment": "e", "client_id": "c",
	  "target": "s", "secret": "pop-secret-value"}}, "unknownEntity": {}}`
	report, err := pc.ImportCache(ctx, strings.NewReader(doc))
	if err != nil || len(report.Skipped) != 1 || len(report.ForeignSections) != 1 {
		t.Fatalf("ImportCache = %+v, %v; want one skipped entry and one dropped section", report, err)
	}
	out := logs.String()
	if !strings.Contains(out, "cache entry not imported") || !strings.Contains(out, "key=pop") || !strings.Contains(out, "unknownEntity") {
		t.Fatalf("log lacks the report:\n%s", out)
	}
	if strings.Contains(out, "pop-secret-value") {
		t.Fatalf("log contains a secret:\n%s", out)
	}
}

// foreignDoc is an MSAL document holding only n foreign sections named prefix0..prefixN-1.
func foreignDoc(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q: {\"v\": %d}", fmt.Sprintf("%s%d", prefix, i), i)
	}
	b.WriteString("}")
	return b.String()
}

// The store keeps the union of the foreign sections of every import (the merge rule), so
// two imports each within MaxForeignSections — a user merging the caches of two tools —
// could leave a partition that ExportCache refuses for good, tokens and all. The store
// refuses the import that would exceed the bound, whole, and the partition still exports.
func TestImportCache_foreignSectionsOfTwoImportsStillExport(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: authority, IdentityProvider: newFake(clock), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		t.Fatal(err)
	}
	half := domain.MaxForeignSections/2 + 1
	if _, err := pc.ImportCache(ctx, strings.NewReader(foreignDoc("toolA-", half))); err != nil {
		t.Fatalf("import of %d foreign sections = %v; want nil (within the bound)", half, err)
	}
	_, err = pc.ImportCache(ctx, strings.NewReader(foreignDoc("toolB-", half)))
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("a second import of %d new foreign sections = %v; want ErrInvalidInput (the partition would hold %d, at most %d)", half, err, 2*half, domain.MaxForeignSections)
	}
	var out bytes.Buffer
	if err := pc.ExportCache(ctx, &out); err != nil {
		t.Fatalf("ExportCache after two imports = %v; want the cache exported", err)
	}
	snap, err := msalcache.Decode(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.ForeignSections) != half || len(snap.RefreshTokens) != 1 {
		t.Errorf("export = %d foreign sections, %d refresh tokens; want the first import's %d and the user's 1", len(snap.ForeignSections), len(snap.RefreshTokens), half)
	}
}
