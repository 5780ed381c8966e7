package conformance

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

const daemonClient = "conformance-daemon"

// The tenants of the per-tenant client-credentials scenario, as Entra tenant ids.
const (
	tenantOne = "0b1e6a3c-4f8d-4c3e-9a51-6d2f7e8a9b01"
	tenantTwo = "7c9d2e4f-1a3b-4d5e-8f60-718293a4b5c2"
)

// appScopes is what a daemon asks for: the whole API, no user scopes.
var appScopes = []string{"api://orders/.default"}

// withDaemon registers a confidential client for the client credentials grant.
func withDaemon(s *FlowSetup) {
	s.Clients = append(s.Clients, FlowClient{ID: daemonClient, Secret: "daemon-secret"})
}

// scenarioClientCredentials: a confidential client's app token comes from the provider
// once and then from the cache, per partition, with no account; a public client and an
// unknown scope are refused without caching anything.
func scenarioClientCredentials(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	if _, err := env.Flows(flowPartition).ClientCredentials(ctx, appScopes, ""); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("ClientCredentials of a public client = %v; want ErrInvalidInput", err)
	}
	if n := env.Provider.Calls(domain.GrantClientCredentials); n != 0 {
		t.Fatalf("client-credentials grants of a public client = %d; want 0", n)
	}
	d := env.ClientFlows(daemonClient, flowPartition)
	if _, err := d.ClientCredentials(ctx, []string{"api://unknown/.default"}, ""); !errors.Is(err, domain.ErrInvalidScope) {
		t.Fatalf("ClientCredentials for an unknown resource = %v; want ErrInvalidScope", err)
	}
	wantCacheEmpty(t, "a refused client credentials grant", env.Store, flowPartition)
	base := env.Provider.Calls(domain.GrantClientCredentials)

	first, err := d.ClientCredentials(ctx, appScopes, "")
	wantSource(t, "ClientCredentials", first, err, domain.SourceIdentityProvider)
	if first.Account.HomeAccountID != "" || first.RefreshToken != "" || first.IDToken != "" {
		t.Fatal("an app token came with an account, a refresh token or an ID token")
	}
	again, err := d.ClientCredentials(ctx, appScopes, "")
	wantSource(t, "ClientCredentials again", again, err, domain.SourceCache)
	if again.AccessToken != first.AccessToken {
		t.Fatal("ClientCredentials again served another token than the cached one")
	}
	other, err := env.ClientFlows(daemonClient, "elsewhere").ClientCredentials(ctx, appScopes, "")
	wantSource(t, "ClientCredentials in another partition", other, err, domain.SourceIdentityProvider)
	if n := env.Provider.Calls(domain.GrantClientCredentials) - base; n != 2 {
		t.Fatalf("client-credentials grants = %d; want 2 (one per partition)", n)
	}
	if accts, err := d.Accounts(ctx, ""); err != nil || len(accts) != 0 {
		t.Fatalf("Accounts after app tokens = %v, %v; want none", accts, err)
	}
}

// scenarioClientCredentialsTenants: app tokens are cached per tenant: each tenant's
// token comes from the provider once, and no tenant is served another's.
func scenarioClientCredentialsTenants(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	d := env.ClientFlows(daemonClient, flowPartition)
	one, err := d.ClientCredentials(ctx, appScopes, tenantOne)
	wantSource(t, "ClientCredentials in tenant one", one, err, domain.SourceIdentityProvider)
	two, err := d.ClientCredentials(ctx, appScopes, tenantTwo)
	wantSource(t, "ClientCredentials in tenant two", two, err, domain.SourceIdentityProvider)
	if two.AccessToken == one.AccessToken {
		t.Fatal("tenant two was served tenant one's app token")
	}
	for _, c := range []struct {
		tenant string
		want   domain.AuthResult
	}{{tenantOne, one}, {tenantTwo, two}} {
		hit, err := d.ClientCredentials(ctx, appScopes, c.tenant)
		wantSource(t, "ClientCredentials again in tenant "+c.tenant, hit, err, domain.SourceCache)
		if hit.AccessToken != c.want.AccessToken {
			t.Fatalf("ClientCredentials again in tenant %s served another tenant's token", c.tenant)
		}
	}
	if n := env.Provider.Calls(domain.GrantClientCredentials); n != 2 {
		t.Fatalf("client-credentials grants = %d; want 2 (one per tenant)", n)
	}
}

// scenarioLegacyCode: an authorization code redeemed without a flow object is cached
// like any other result; a redemption whose ID token does not carry the nonce given
// caches nothing, and a code redeemed twice is refused.
func scenarioLegacyCode(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	flow, resp := authorize(t, env, f, "alice@example.com", "alice-pw")
	_, err := f.RedeemCode(ctx, CodeRedemption{
		Code: resp.Get("code"), RedirectURI: flow.RedirectURI, Scopes: flowScopes,
		CodeVerifier: string(flow.CodeVerifier), Nonce: "not-the-requests-nonce",
	})
	if !errors.Is(err, domain.ErrNonceMismatch) {
		t.Fatalf("RedeemCode with another nonce than the request's = %v; want ErrNonceMismatch", err)
	}
	wantCacheEmpty(t, "a code whose ID token has another nonce", env.Store, flowPartition)

	flow, resp = authorize(t, env, f, "alice@example.com", "alice-pw")
	redemption := CodeRedemption{
		Code: resp.Get("code"), RedirectURI: flow.RedirectURI, Scopes: flowScopes,
		CodeVerifier: string(flow.CodeVerifier), Nonce: flow.Nonce,
	}
	res, err := f.RedeemCode(ctx, redemption)
	wantSource(t, "RedeemCode", res, err, domain.SourceIdentityProvider)
	if res.Account.Username != "alice@example.com" || res.RefreshToken == "" {
		t.Fatal("RedeemCode result lacks alice's account or the refresh token just issued")
	}
	hit, err := f.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent after RedeemCode", hit, err, domain.SourceCache)
	if hit.AccessToken != res.AccessToken {
		t.Fatal("Silent after RedeemCode served another token than the redeemed one")
	}
	before := readCache(t, env.Store, flowPartition)
	if _, err := f.RedeemCode(ctx, redemption); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("RedeemCode of a redeemed code = %v; want ErrInvalidGrant", err)
	}
	wantCacheUnchanged(t, "redeeming a code twice", env.Store, flowPartition, before)
}
