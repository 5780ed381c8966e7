package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/app"
)

// app.OpenCache without an Authority (hexauth cache import without --authority) does not
// import a realm-less refresh token of an OIDC host: kept, it would have realm "", the
// realm of the issuer at the host's root, which did not issue it (MSAL Python wrote it
// for https://idp.example/realms/a, account realm "realms"). From the final review: it
// was imported before.
func TestOpenCache_ImportCache_realmlessOIDCRefreshTokenIsNotTheRootIssuers(t *testing.T) {
	ctx := testContext(t)
	db := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "tokens.db"))
	cache, err := app.OpenCache(ctx, app.Config{Cache: db})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	doc := `{"Account":{"bob-idp.example-realms":{"home_account_id":"Bob","environment":"idp.example","realm":"realms","local_account_id":"Bob","username":"bob","authority_type":"MSSTS"}},
"RefreshToken":{"bob-idp.example-refreshtoken-app--":{"home_account_id":"Bob","environment":"idp.example","credential_type":"RefreshToken","client_id":"app","secret":"rt-bob"}}}`
	if _, err := cache.ImportCache(ctx, "p", strings.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := cache.ExportCache(ctx, "p", &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "rt-bob") {
		t.Errorf("OpenCache imported Bob's realm-less refresh token of issuer realm 'realms' as the root issuer's (realm \"\")")
	}
}
