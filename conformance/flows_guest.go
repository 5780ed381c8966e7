package conformance

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// guestTenant is a tenant the flow users are guests in (their home is the provider's
// default tenant).
const guestTenant = "3f9b6c1e-5a2d-4e8f-9c07-1b2a3c4d5e6f"

// withClientInfo makes the provider send Entra's client_info.
func withClientInfo(s *FlowSetup) { s.ClientInfo = true }

// scenarioGuestTenantRefresh: an account signed in at its home tenant gets tokens in a
// tenant where it is a B2B guest by one silent refresh there (DESIGN §3 "Every ID
// token"). The guest tenant's ID token names another iss, sub and oid than the home
// one, so it is bound to the account by client_info's home account id; it is cached
// under the guest tenant's realm and served from there, and the home tenant's token is
// still served as it was.
func scenarioGuestTenantRefresh(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	home := env.TenantFlows(domain.TenantOrganizations, flowPartition)
	first := signIn(t, home, "alice@example.com", "alice-pw")
	if first.Account.Realm == "" || first.Account.Realm == guestTenant {
		t.Fatalf("sign-in through organizations cached realm %q; want the user's home tenant", first.Account.Realm)
	}
	guest := env.TenantFlows(guestTenant, flowPartition)
	res, err := guest.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent in a guest tenant", res, err, domain.SourceIdentityProvider)
	if res.Account.HomeAccountID != first.Account.HomeAccountID || res.Account.Realm != guestTenant ||
		res.IDTokenClaims == nil || res.IDTokenClaims.TenantID != guestTenant {
		t.Fatalf("Silent in the guest tenant returned account %+v; want %s in realm %s", res.Account, first.Account.HomeAccountID, guestTenant)
	}
	again, err := guest.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent in the guest tenant again", again, err, domain.SourceCache)
	if again.AccessToken != res.AccessToken {
		t.Fatal("Silent in the guest tenant again served another token than the guest tenant's")
	}
	atHome, err := home.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent at home after the guest refresh", atHome, err, domain.SourceCache)
	if atHome.AccessToken != first.AccessToken || atHome.Account.Realm != first.Account.Realm {
		t.Fatal("Silent at home after the guest refresh did not serve the home tenant's token")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
}
