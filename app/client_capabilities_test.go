package app_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// caeChallengeClaims is a decoded CAE claims challenge, as an API's 401 carries it.
const caeChallengeClaims = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`

// newCapableWebApp is newRecordedWebApp with the client capability "cp1" declared.
func newCapableWebApp(t *testing.T) (*idptest.Server, *app.ConfidentialClient, *formRecorder) {
	t.Helper()
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []idptest.Client{{ID: "web", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1:8400/callback"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	rec := &formRecorder{}
	cc, err := app.NewConfidentialClient(testContext(t), app.Config{
		ClientID: "web", Authority: srv.Issuer(), HTTPClient: &http.Client{Transport: rec},
		ClientCapabilities: []string{"cp1"},
	}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return srv, cc, rec
}

// sameJSON reports whether a and b encode the same JSON value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// Every request of a client with capabilities carries them in claims (MSAL's xms_cc);
// they do not bypass the cache, while a challenge's claims do and are merged with them.
func TestClientCapabilities_sentWithEveryRequest(t *testing.T) {
	ctx := testContext(t)
	srv, cc, rec := newCapableWebApp(t)
	const onlyCaps = `{"access_token":{"xms_cc":{"values":["cp1"]}}}`

	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(flow.AuthURI); !sameJSON(t, u.Query().Get("claims"), onlyCaps) {
		t.Fatalf("authorization URL claims = %q; want %s", u.Query().Get("claims"), onlyCaps)
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	signedIn, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatalf("the flow of a capable client does not complete: %v", err)
	}
	silent, err := cc.AcquireTokenSilent(ctx, []string{"api://orders/read"}, signedIn.Account)
	if err != nil || silent.TokenSource != domain.SourceCache {
		t.Fatalf("silent = %v, %v; want the cached token (capabilities alone do not bypass the cache)", silent.TokenSource, err)
	}
	challenged, err := cc.AcquireTokenSilent(ctx, []string{"api://orders/read"}, signedIn.Account, app.WithClaims(caeChallengeClaims))
	if err != nil || challenged.TokenSource != domain.SourceIdentityProvider || challenged.AccessToken == silent.AccessToken {
		t.Fatalf("silent with a challenge = %v, %v; want a new token from the provider", challenged.TokenSource, err)
	}
	app1, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	if err != nil {
		t.Fatal(err)
	}
	if app2, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}); err != nil || app2.AccessToken != app1.AccessToken {
		t.Fatalf("second app token = %v; want the cached one", err)
	}

	forms := rec.sent()
	want := []struct{ grant, claims string }{
		{"authorization_code", onlyCaps},
		{"refresh_token", `{"access_token":{"nbf":{"essential":true,"value":"1604106651"},"xms_cc":{"values":["cp1"]}}}`},
		{"client_credentials", onlyCaps},
	}
	if len(forms) != len(want) {
		t.Fatalf("%d token requests; want %d (code, the challenged refresh, client credentials)", len(forms), len(want))
	}
	for i, w := range want {
		if forms[i].Get("grant_type") != w.grant || !sameJSON(t, forms[i].Get("claims"), w.claims) {
			t.Errorf("request %d: grant %q claims %q; want %q with %s", i, forms[i].Get("grant_type"), forms[i].Get("claims"), w.grant, w.claims)
		}
	}
}

// Without capabilities the caller's claims go as they are, byte for byte.
func TestClientCapabilities_noneKeepsClaimsAsGiven(t *testing.T) {
	ctx := testContext(t)
	_, cc, rec := newRecordedWebApp(t)
	const claims = `{"access_token": {"nbf": {"essential": true}}}`
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithClaims(claims)); err != nil {
		t.Fatal(err)
	}
	if f := rec.sent(); len(f) != 1 || f[0].Get("claims") != claims {
		t.Fatalf("claims sent %v; want %q unchanged", f, claims)
	}
}

// Claims that are no JSON object cannot carry the capabilities: ErrInvalidInput before
// any request; and a capability outside the bounds is refused by the config.
func TestClientCapabilities_refused(t *testing.T) {
	ctx := testContext(t)
	_, cc, rec := newCapableWebApp(t)
	_, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithClaims(`["not","an","object"]`))
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error = %v; want ErrInvalidInput", err)
	}
	if n := len(rec.sent()); n != 0 {
		t.Fatalf("%d token requests sent; want none", n)
	}
	cfg := app.Config{ClientID: "web", Authority: "https://login.microsoftonline.com/common", ClientCapabilities: []string{"cp1", "bad\nline"}}
	if err := cfg.Validate(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Validate() = %v; want ErrInvalidInput for a control character", err)
	}
}

// A device authorization request of a capable public client carries them too.
func TestClientCapabilities_sentWithTheDeviceAuthorization(t *testing.T) {
	ctx := testContext(t)
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{Clients: []idptest.Client{{ID: "cli"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	rec := &formRecorder{}
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: "cli", Authority: srv.Issuer(), HTTPClient: &http.Client{Transport: rec}, ClientCapabilities: []string{"cp1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.InitiateDeviceFlow(ctx, []string{"api://orders/read"}, app.WithClaims(caeChallengeClaims)); err != nil {
		t.Fatal(err)
	}
	want := `{"access_token":{"nbf":{"essential":true,"value":"1604106651"},"xms_cc":{"values":["cp1"]}}}`
	if f := rec.sent(); len(f) != 1 || !sameJSON(t, f[0].Get("claims"), want) {
		t.Fatalf("device authorization forms %v; want one with claims %s", f, want)
	}
}
