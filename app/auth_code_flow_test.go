package app_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// newWebApp returns the in-process fake provider and a confidential web client of it,
// closed when the test ends.
func newWebApp(t *testing.T) (*memory.IdentityProvider, *app.ConfidentialClient) {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(testContext(t), app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return idp, cc
}

// WithScopes redeems a flow's code for some of its scopes (MSAL's scopes argument); a
// scope the flow did not ask for is refused before the code is spent.
func TestAcquireTokenByAuthCodeFlow_withScopes(t *testing.T) {
	ctx := testContext(t)
	idp, cc := newWebApp(t)
	both := []string{"api://orders/read", "api://orders/write"}
	flow, err := cc.InitiateAuthCodeFlow(ctx, both, "https://app.example.com/callback")
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect, app.WithScopes("api://orders/admin")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("WithScopes of a scope the flow did not ask for: error = %v; want ErrInvalidInput", err)
	}
	if n := idp.Calls(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("the refused completion sent %d code redemptions; want 0", n)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect, app.WithScopes("api://orders/read"), app.WithCorrelationID("corr-42"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Scopes, "api://orders/read") || slices.Contains(res.Scopes, "api://orders/write") {
		t.Fatalf("scopes %v; want the read scope only", res.Scopes)
	}
	if res.CorrelationID != "corr-42" {
		t.Fatalf("correlation id %q; want the one given", res.CorrelationID)
	}
}

// A flow initiated WithAuthority completes WithAuthority of the same URL, and not
// without it: the authority completing a flow must be the flow's.
func TestAcquireTokenByAuthCodeFlow_withAuthority(t *testing.T) {
	ctx := testContext(t)
	idp, cc := newWebApp(t)
	other := strings.TrimSuffix(authority, "/") + "-other"
	flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", app.WithAuthority(other))
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("completing a flow of %s as the client's authority: error = %v; want ErrInvalidFlow", other, err)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect, app.WithAuthority(other))
	if err != nil {
		t.Fatalf("completing WithAuthority of the flow's: %v", err)
	}
	if res.IDTokenClaims == nil || res.IDTokenClaims.PreferredUsername != "alice@example.com" {
		t.Fatalf("claims %+v; want alice's", res.IDTokenClaims)
	}
}
