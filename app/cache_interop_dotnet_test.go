package app_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// dotnetCache writes the tokens of res as MSAL .NET leaves them for clientID at now,
// built from its published cache format (TokenCacheJsonSerializer and the
// Msal*CacheItem classes of microsoft-authentication-library-for-dotnet): timestamps as
// strings, ext_expires_on beside extended_expires_on, client_info on the account and
// on the tokens, and the account record under one alias host (login.microsoft.com)
// while the access and refresh tokens are under another (login.windows.net) and the
// ID token under a third (sts.windows.net), as .NET spreads one Entra account over its
// instance-discovery aliases.
func dotnetCache(t *testing.T, res app.AuthResult, clientID string, now time.Time) string {
	t.Helper()
	const acctEnv, tokenEnv, idEnv = "login.microsoft.com", "login.windows.net", "sts.windows.net"
	a := res.Account
	target := strings.Join(res.Scopes, " ")
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	key := func(parts ...string) string { return strings.ToLower(strings.Join(parts, "-")) }
	clientInfo := "eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ" // {"uid":"u","utid":"t"}: .NET keeps it; hexauth carries it as is
	doc := map[string]map[string]any{
		"AccessToken": {key(a.HomeAccountID, tokenEnv, "accesstoken", clientID, a.Realm, target): map[string]any{
			"home_account_id": a.HomeAccountID, "environment": tokenEnv, "client_info": clientInfo,
			"client_id": clientID, "secret": string(res.AccessToken), "credential_type": "AccessToken",
			"realm": a.Realm, "target": target, "cached_at": unix(now), "expires_on": unix(res.ExpiresOn),
			"extended_expires_on": unix(res.ExpiresOn), "ext_expires_on": unix(res.ExpiresOn),
		}},
		"RefreshToken": {key(a.HomeAccountID, tokenEnv, "refreshtoken", clientID, "", "") + "-": map[string]any{
			"home_account_id": a.HomeAccountID, "environment": tokenEnv, "client_info": clientInfo,
			"client_id": clientID, "secret": string(res.RefreshToken), "credential_type": "RefreshToken",
		}},
		"IdToken": {key(a.HomeAccountID, idEnv, "idtoken", clientID, a.Realm, ""): map[string]any{
			"home_account_id": a.HomeAccountID, "environment": idEnv, "client_info": clientInfo,
			"client_id": clientID, "secret": string(res.IDToken), "credential_type": "IdToken", "realm": a.Realm,
		}},
		"Account": {key(a.HomeAccountID, acctEnv, a.Realm): map[string]any{
			"home_account_id": a.HomeAccountID, "environment": acctEnv, "realm": a.Realm, "client_info": clientInfo,
			"local_account_id": a.LocalAccountID, "username": a.Username, "authority_type": "MSSTS",
		}},
		"AppMetadata": {"appmetadata-" + tokenEnv + "-" + clientID: map[string]any{
			"client_id": clientID, "environment": tokenEnv,
		}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An MSAL .NET cache, whose account and tokens sit under three alias hosts of one Entra
// cloud, is listed, served from the cache, refreshed and removed by a client configured
// with a fourth alias (DESIGN §3: aliases match each other on every path).
func TestPublicClient_ImportCache_dotnetAliasHosts(t *testing.T) {
	for _, cache := range []string{"memory:", "sqlite"} {
		t.Run(cache, func(t *testing.T) {
			if cache == "sqlite" {
				cache = "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "tokens.db"))
			}
			testDotnetAliasHosts(t, cache)
		})
	}
}

func testDotnetAliasHosts(t *testing.T, cache string) {
	const tenant = "aaaaaaaa-0000-0000-0000-00000000000a"
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, ClientInfo: true, Clients: []memory.Client{{ID: clientID}},
		Users:  []memory.User{{Username: "alice@a.example", Password: "pw", TenantID: tenant}},
		Scopes: readOrders, RotateRefreshTokens: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: "https://login.microsoftonline.com/organizations",
		Cache: cache, IdentityProvider: idp, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.Partition("source").AcquireTokenByUsernamePassword(ctx, "alice@a.example", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}

	dotnet := pc.Partition("dotnet")
	if _, err := dotnet.ImportCache(ctx, strings.NewReader(dotnetCache(t, res, clientID, exampleStart))); err != nil {
		t.Fatalf("ImportCache(MSAL .NET document) = %v; want nil", err)
	}
	accounts, err := dotnet.Accounts(ctx)
	if err != nil || len(accounts) != 1 || accounts[0].Username != "alice@a.example" || accounts[0].Environment != "login.microsoft.com" {
		t.Fatalf("Accounts after a .NET import = %+v, %v; want alice under login.microsoft.com (its tokens are under aliases)", accounts, err)
	}
	hit, err := dotnet.AcquireTokenSilent(ctx, readOrders, accounts[0])
	if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
		t.Fatalf("silent call = %q, %v; want the imported access token (under login.windows.net) from the cache", hit.TokenSource, err)
	}
	clock.Advance(2 * time.Hour)
	refreshed, err := dotnet.AcquireTokenSilent(ctx, readOrders, accounts[0])
	if err != nil || refreshed.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent call after expiry = %q, %v; want a refresh with the imported refresh token", refreshed.TokenSource, err)
	}
	// The refresh rotated the imported refresh token away; the rotated one, cached under
	// the authority's host beside the stale one under login.windows.net, must be the one
	// redeemed next.
	clock.Advance(2 * time.Hour)
	if next, err := dotnet.AcquireTokenSilent(ctx, readOrders, accounts[0]); err != nil || next.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("second refresh = %q, %v; want the rotated refresh token redeemed, not the stale alias copy", next.TokenSource, err)
	}
	if again, err := dotnet.Accounts(ctx); err != nil || len(again) != 1 || again[0].Environment != "login.microsoftonline.com" {
		t.Fatalf("Accounts after a refresh under the configured host = %+v, %v; want one account (aliases are one environment), its record under the authority's host", again, err)
	}

	if err := dotnet.RemoveAccount(ctx, accounts[0]); err != nil {
		t.Fatalf("RemoveAccount = %v; want nil", err)
	}
	var out bytes.Buffer
	if err := dotnet.ExportCache(ctx, &out); err != nil {
		t.Fatal(err)
	}
	left, err := msalcache.Decode(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(left.AccessTokens) + len(left.RefreshTokens) + len(left.IDTokens) + len(left.Accounts); n != 0 {
		t.Errorf("export after RemoveAccount holds %d tokens and accounts; want every alias's removed", n)
	}
	if accts, err := dotnet.Accounts(ctx); err != nil || len(accts) != 0 {
		t.Fatalf("Accounts after RemoveAccount = %+v, %v; want none", accts, err)
	}
}

// An older MSAL .NET document imported beside hexauth's own tokens leaves two refresh
// tokens of the client under two aliases of one host: silent redeems the newer one,
// whatever order the store returns them in, not the imported copy the provider has
// since rotated away.
func TestPublicClient_ImportCache_dotnetStaleAliasRefreshTokenNotRedeemed(t *testing.T) {
	const tenant = "aaaaaaaa-0000-0000-0000-00000000000a"
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, ClientInfo: true, Clients: []memory.Client{{ID: clientID}},
		Users:  []memory.User{{Username: "alice@a.example", Password: "pw", TenantID: tenant}},
		Scopes: readOrders, RotateRefreshTokens: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: "https://login.microsoftonline.com/organizations",
		Cache: "memory:", IdentityProvider: idp, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@a.example", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	old := dotnetCache(t, first, clientID, exampleStart) // its refresh token is about to be rotated away
	clock.Advance(2 * time.Hour)
	if res, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account); err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("refresh = %q, %v; want a rotated refresh token", res.TokenSource, err)
	}
	if _, err := pc.ImportCache(ctx, strings.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if res, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account); err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("refresh after importing an older .NET cache = %q, %v; want the newer refresh token redeemed", res.TokenSource, err)
	}
}
