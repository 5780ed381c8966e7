package app_test

import (
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A process that starts while its provider is down serves what its cache holds, at
// cache speed: the cached ID token's issuer is known without the discovery document (an
// OIDC issuer's is its URL), and the failed fetch is remembered, so hits after the first
// neither wait through the retries nor send the provider more requests.
func TestPublicClient_restartDuringAnOutageServesTheCache(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t)
	cache := "sqlite://" + filepath.Join(t.TempDir(), "tokens.db")
	scopes := []string{"api://x/read"}

	before, err := app.NewPublicClient(ctx, app.Config{ClientID: "cli", Authority: srv.Issuer(), Cache: cache, Transport: &countingTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	signedIn, err := before.AcquireTokenByUsernamePassword(ctx, "ada@example.com", "pw", scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	srv.Script(idptest.Fault{Endpoint: idptest.EndpointAny, Status: 503, Times: -1})
	srv.ResetCounts()
	// Another Transport value: the restarted process shares no provider (and no cached
	// discovery document) with the one before.
	after, err := app.NewPublicClient(ctx, app.Config{ClientID: "cli", Authority: srv.Issuer(), Cache: cache, Transport: &countingTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	for i := range 20 {
		res, err := after.AcquireTokenSilent(ctx, scopes, signedIn.Account)
		if err != nil || res.TokenSource != domain.SourceCache || res.AccessToken != signedIn.AccessToken {
			t.Fatalf("hit %d during the outage = %q from %s, %v; want the cached access token", i, string(res.AccessToken), res.TokenSource, err)
		}
		if res.IDTokenClaims == nil || res.IDTokenClaims.Subject != signedIn.IDTokenClaims.Subject {
			t.Fatalf("hit %d during the outage served claims %+v; want the cached ID token's", i, res.IDTokenClaims)
		}
	}
	tried := srv.EndpointRequests(idptest.EndpointDiscovery)
	if tried == 0 || tried > 1+4 { // the first hit's fetch and its retries
		t.Fatalf("20 hits during the outage sent %d discovery requests; want only the first hit's fetch and its retries", tried)
	}
}
