package fakeidp_test

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// tenantOf returns the tid, iss, client_info utid and oid of a response.
func tenantOf(t *testing.T, resp domain.TokenResponse) (tid, iss, utid, oid string) {
	t.Helper()
	_, c, err := domain.ParseIDToken(string(resp.IDToken))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	ci, err := domain.ParseClientInfo(resp.ClientInfo)
	if err != nil {
		t.Fatalf("client_info: %v", err)
	}
	return c.TenantID, c.Issuer, ci.UTID, c.ObjectID
}

// A user configured without a tenant signing in at an Entra authority naming a tenant
// GUID is a member there, as a user of that tenant is with real Entra: tid, utid and
// the issuer all name it (MSAL files the account and tokens under that tenant and finds
// them there again). A refresh through another tenant keeps that home account and
// shows the user as a guest there.
func TestProvider_Token_tenantlessUserIsAMemberOfTheAuthoritysTenant(t *testing.T) {
	const home, other = "3c1f9d52-7b1e-4a57-9f0e-2d6a1b8c4e11", "5e0c7a11-2222-4333-8444-955566667777"
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.Users[0].TenantID = "" })
	opt := fakeidp.TokenOptions{ClientInfo: true}
	homeURL := "https://login.microsoftonline.com/" + home
	resp, err := p.Token(passwordRequest(authority(t, homeURL), "pub"), opt)
	if err != nil {
		t.Fatal(err)
	}
	tid, iss, utid, oid := tenantOf(t, resp)
	if tid != home || utid != home || iss != homeURL+"/v2.0" {
		t.Errorf("at %s: tid %q utid %q iss %q; want the tenant in all three", home, tid, utid, iss)
	}
	refresh := domain.TokenRequest{Authority: authority(t, "https://login.microsoftonline.com/"+other), ClientID: "pub",
		Grant: domain.GrantRefreshToken, Scopes: domain.WithReservedScopes([]string{"api://x/read"}), RefreshToken: resp.RefreshToken}
	resp, err = p.Token(refresh, opt)
	if err != nil {
		t.Fatal(err)
	}
	tid, _, utid, guestOID := tenantOf(t, resp)
	if tid != other || utid != home || guestOID == oid {
		t.Errorf("refresh at %s: tid %q utid %q oid %q; want the guest: tid %s, home utid %s, its own oid", other, tid, utid, guestOID, other, home)
	}
	// Through common the same user's home is the default tenant.
	resp, err = p.Token(passwordRequest(authority(t, "https://login.microsoftonline.com/common"), "pub"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if tid, _, utid, _ := tenantOf(t, resp); tid != fakeidp.DefaultTenantID || utid != fakeidp.DefaultTenantID {
		t.Errorf("at common: tid %q utid %q; want %s", tid, utid, fakeidp.DefaultTenantID)
	}
}

// A user configured with a tenant stays a guest in any other: client_info keeps naming
// the home account.
func TestProvider_Token_configuredTenantUserIsAGuestElsewhere(t *testing.T) {
	const other = "5e0c7a11-2222-4333-8444-955566667777"
	p := newProvider(t, nil, nil)
	resp, err := p.Token(passwordRequest(authority(t, "https://login.microsoftonline.com/"+other), "pub"), fakeidp.TokenOptions{ClientInfo: true})
	if err != nil {
		t.Fatal(err)
	}
	if tid, _, utid, _ := tenantOf(t, resp); tid != other || utid != testTenant {
		t.Errorf("tid %q utid %q; want guest tid %s with home utid %s", tid, utid, other, testTenant)
	}
}
