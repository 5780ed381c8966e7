package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A guest tenant through WithTenantID, end to end on the in-process fake (which issues
// a B2B guest's ID tokens in another tenant, with client_info naming the home account):
// the refresh is accepted, cached under the guest tenant's realm, served from there
// next time, and the home tenant's token is left alone (DESIGN §3 "Every ID token").
func TestPublicClient_AcquireTokenSilent_WithTenantIDRefreshesInTheGuestTenant(t *testing.T) {
	const (
		home  = "aaaaaaaa-0000-0000-0000-00000000000a"
		guest = "bbbbbbbb-0000-0000-0000-00000000000b"
	)
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, ClientInfo: true, Clients: []memory.Client{{ID: clientID}},
		Users:  []memory.User{{Username: "alice@a.example", Password: "pw", TenantID: home}},
		Scopes: []string{"api://orders/read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: "https://login.example.com/organizations", AuthorityKind: domain.AuthorityEntra,
		Cache: "memory:", IdentityProvider: idp, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@a.example", "pw", readOrders)
	if err != nil || first.Account.Realm != home {
		t.Fatalf("sign-in = realm %q, %v; want the home tenant %s", first.Account.Realm, err, home)
	}

	res, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithTenantID(guest))
	if err != nil {
		t.Fatalf("AcquireTokenSilent(WithTenantID(guest)) = %v; want the guest tenant's token", err)
	}
	if res.TokenSource != domain.SourceIdentityProvider || res.Account.Realm != guest || res.IDTokenClaims == nil ||
		res.IDTokenClaims.TenantID != guest || res.Account.HomeAccountID != first.Account.HomeAccountID {
		t.Fatalf("guest result = source %q, account %+v; want a refresh cached as %s in realm %s", res.TokenSource, res.Account, first.Account.HomeAccountID, guest)
	}
	again, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithTenantID(guest))
	if err != nil || again.TokenSource != domain.SourceCache || again.AccessToken != res.AccessToken {
		t.Fatalf("second guest call = (%q, %v); want the guest tenant's cached token", again.TokenSource, err)
	}
	homeAgain, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account)
	if err != nil || homeAgain.TokenSource != domain.SourceCache || homeAgain.AccessToken != first.AccessToken || homeAgain.Account.Realm != home {
		t.Fatalf("home call after the guest refresh = (%q, realm %q, %v); want the home tenant's cached token, untouched", homeAgain.TokenSource, homeAgain.Account.Realm, err)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
	if accts, err := pc.Accounts(ctx); err != nil || len(accts) != 1 || accts[0].Realm != home {
		t.Fatalf("Accounts after the guest refresh = %+v, %v; want the one account, listed by its home tenant", accts, err)
	}

	// Later refreshes in the guest tenant are compared with its own cached ID token.
	clock.Advance(2 * time.Hour)
	if res, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithTenantID(guest)); err != nil || res.Account.Realm != guest {
		t.Fatalf("guest refresh after expiry = (realm %q, %v); want the guest tenant's token", res.Account.Realm, err)
	}
}

func TestPublicClient_WithTenantID_onAnOIDCIssuerIsInvalidInput(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock) // an OIDC issuer: no tenants
	defer pc.Close()
	_, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders, app.WithTenantID("bbbbbbbb-0000-0000-0000-00000000000b"))
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("WithTenantID on an OIDC issuer = %v; want ErrInvalidInput", err)
	}
	if n := idp.Calls(domain.GrantPassword); n != 0 {
		t.Fatalf("password grants = %d; want 0 (refused before any request)", n)
	}
}

// WithTenantID is accepted wherever WithAuthority is.
var (
	_ app.SilentOption       = app.WithTenantID("t")
	_ app.AuthCodeOption     = app.WithTenantID("t")
	_ app.PasswordOption     = app.WithTenantID("t")
	_ app.RefreshTokenOption = app.WithTenantID("t")
	_ app.FlowOption         = app.WithTenantID("t")
	_ app.CodeOption         = app.WithTenantID("t")
	_ app.ClientOption       = app.WithTenantID("t")
)
