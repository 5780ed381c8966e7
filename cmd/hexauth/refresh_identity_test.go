package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// startIdPWithoutRefreshIDTokens starts a provider that answers refreshes without an ID
// token, as Google, Okta and many OIDC providers do.
func startIdPWithoutRefreshIDTokens(t *testing.T) *idptest.Server {
	t.Helper()
	return idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: adaName, Password: adaPassword, Name: "Ada"}},
		Clients: []idptest.Client{{ID: testClient}}, Scopes: []string{testScope}, OmitIDTokenOnRefresh: true,
	}})
}

// After a refresh whose response has no ID token, --output json carries the claims of
// the cached ID token, as a cache hit does: a script reading id_token_claims gets them
// whichever way the token came.
func TestBinary_token_idTokenClaimsAfterARefresh(t *testing.T) {
	srv := startIdPWithoutRefreshIDTokens(t)
	env := clientEnv(srv, t.TempDir())
	if r := runBinary(t, invocation{args: []string{"ropc", "--username", adaName, "--password-stdin"}, env: env, stdin: adaPassword + "\n"}); r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	r := runBinary(t, invocation{args: []string{"token", "--force-refresh", "--output", "json"}, env: env})
	if r.code != exitOK {
		t.Fatalf("token --force-refresh: %s", r)
	}
	refreshed := decodeToken(t, r)
	if refreshed.TokenSource != "identity_provider" || refreshed.IDTokenClaims["preferred_username"] != adaName {
		t.Fatalf("after a refresh: %s; want ada's id_token_claims", r.stdout)
	}
	r = runBinary(t, invocation{args: []string{"token", "--output", "json"}, env: env})
	hit := decodeToken(t, r)
	if hit.TokenSource != "cache" || !reflect.DeepEqual(hit.IDTokenClaims, refreshed.IDTokenClaims) {
		t.Errorf("cache hit claims %v; want the refresh's %v", hit.IDTokenClaims, refreshed.IDTokenClaims)
	}
}

// refresh of a user's refresh token whose response names no account describes the
// token as a user's, not the application's.
func TestBinary_refresh_describesAUsersToken(t *testing.T) {
	srv := startIdPWithoutRefreshIDTokens(t)
	env := clientEnv(srv, t.TempDir())
	r := runBinary(t, invocation{args: []string{"refresh"}, env: with(env, "HEXAUTH_REFRESH_TOKEN", refreshTokenFor(t, srv))})
	if r.code != exitOK {
		t.Fatalf("refresh: %s", r)
	}
	if strings.Contains(r.stderr, "application") || !strings.Contains(r.stderr, "token for a user") {
		t.Errorf("stderr %q; want the token described as a user's", r.stderr)
	}
}

// token --app's token is the application's own and says so.
func TestBinary_tokenApp_describesTheApplicationsToken(t *testing.T) {
	srv := startIdP(t)
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_CLIENT_ID", webClient, "HEXAUTH_CLIENT_SECRET", webSecret)
	r := runBinary(t, invocation{args: []string{"token", "--app"}, env: env})
	if r.code != exitOK || !strings.Contains(r.stderr, "token for the application") {
		t.Errorf("token --app: %s; want the token described as the application's", r)
	}
}
