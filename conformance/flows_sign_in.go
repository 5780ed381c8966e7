package conformance

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// withoutIDTokenOnRefresh makes the provider answer refreshes without an ID token.
func withoutIDTokenOnRefresh(s *FlowSetup) { s.OmitIDTokenOnRefresh = true }

// wantSignIn checks an ID-token-only result (DESIGN §3 "Scopes"): for the ID token,
// with its claims and the account, expiring with the ID token, and refused as a bearer
// token.
func wantSignIn(t *testing.T, call string, res domain.AuthResult, err error, source domain.TokenSource) {
	t.Helper()
	wantSource(t, call, res, err, source)
	if !res.IDTokenOnly() || res.IDToken == "" || res.IDTokenClaims == nil || res.Account.HomeAccountID == "" {
		t.Fatalf("%s = For %q, ID token %t, claims %t, account %q; want an ID-token-only sign-in with claims and the account",
			call, res.For, res.IDToken != "", res.IDTokenClaims != nil, res.Account.HomeAccountID)
	}
	if !res.ExpiresOn.Equal(res.IDTokenClaims.Expiry) {
		t.Fatalf("%s ExpiresOn = %v; want the ID token's exp %v", call, res.ExpiresOn, res.IDTokenClaims.Expiry)
	}
	if _, err := res.BearerToken(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("%s BearerToken = %v; want ErrInvalidInput (an ID-token-only result is no API token)", call, err)
	}
}

// scenarioSignInIDTokenOnly: the password grant and the auth code flow with no scope
// beyond the reserved ones sign the user in for an ID token; an API token for the same
// account is then a scoped silent call away.
func scenarioSignInIDTokenOnly(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	res, err := f.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", res, err, domain.SourceIdentityProvider)
	res, err = f.Password(ctx, "bob@example.com", "bob-pw", []string{"openid", "Profile"})
	wantSignIn(t, "Password with reserved scopes only", res, err, domain.SourceIdentityProvider)

	flow, err := f.InitiateAuthCode(ctx, nil, flowSetup.RedirectURI)
	if err != nil {
		t.Fatalf("InitiateAuthCode without scopes = %v", err)
	}
	resp, err := env.Provider.SignIn(ctx, flow.AuthURI, "alice@example.com", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	res, err = f.CompleteAuthCode(ctx, flow, resp)
	wantSignIn(t, "CompleteAuthCode without scopes", res, err, domain.SourceIdentityProvider)

	api, err := f.Silent(ctx, flowScopes, res.Account, false)
	if err != nil || api.IDTokenOnly() || api.AccessToken == "" {
		t.Fatalf("Silent for an API after a sign-in = %v (For %q); want an access token", err, api.For)
	}
}

// scenarioSilentSignIn: silent without scopes serves the cached ID token while it is
// valid beyond the expiry buffer, with no provider call; then refreshes once, with the
// reserved scopes, and serves the new one; a forced call always refreshes.
func scenarioSilentSignIn(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first, err := f.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", first, err, domain.SourceIdentityProvider)
	refreshes := env.Provider.Calls(domain.GrantRefreshToken)

	hit, err := f.Silent(ctx, nil, first.Account, false)
	wantSignIn(t, "Silent without scopes", hit, err, domain.SourceCache)
	if hit.IDToken != first.IDToken {
		t.Fatal("Silent without scopes served another ID token than the cached one")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != refreshes {
		t.Fatalf("refresh grants = %d; want %d (a hit)", n, refreshes)
	}

	env.Advance(first.IDTokenClaims.Expiry.Sub(hit.IDTokenClaims.IssuedAt) - 4*time.Minute) // inside the 5-minute buffer
	fresh, err := f.Silent(ctx, []string{"openid"}, first.Account, false)
	wantSignIn(t, "Silent without scopes inside the expiry buffer", fresh, err, domain.SourceIdentityProvider)
	if fresh.IDToken == first.IDToken {
		t.Fatal("the refresh returned the old ID token")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != refreshes+1 {
		t.Fatalf("refresh grants = %d; want %d", n, refreshes+1)
	}
	again, err := f.Silent(ctx, nil, first.Account, false)
	wantSignIn(t, "Silent without scopes after the refresh", again, err, domain.SourceCache)
	if again.IDToken != fresh.IDToken {
		t.Fatal("Silent after the refresh served another ID token than the new one")
	}
	forced, err := f.Silent(ctx, nil, first.Account, true)
	wantSignIn(t, "forced Silent without scopes", forced, err, domain.SourceIdentityProvider)
}

// scenarioSilentSignInForeignAudience: a cached ID token row is not served for a
// sign-in unless its aud names this client: a row put there by another writer (an
// import, a tampered database) is never handed out, nor taken for the identity a
// refresh must continue — the refresh is bound to the account by its home account id,
// and its ID token replaces the row.
func scenarioSilentSignInForeignAudience(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first, err := f.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", first, err, domain.SourceIdentityProvider)
	found, err := env.Store.Find(ctx, domain.CacheQuery{Partition: flowPartition, HomeAccountID: first.Account.HomeAccountID,
		Environments: []string{first.Account.Environment}, ClientID: flowSetup.ClientID})
	if err != nil || len(found.IDTokens) != 1 {
		t.Fatalf("Find = %d ID tokens, %v; want the one cached", len(found.IDTokens), err)
	}
	forged := found.IDTokens[0]
	forged.Secret = domain.Secret(unsignedJWT(map[string]any{"iss": first.IDTokenClaims.Issuer, "sub": first.IDTokenClaims.Subject,
		"aud": "another-client", "exp": first.IDTokenClaims.Expiry.Unix()}))
	if err := env.Store.Write(ctx, domain.CacheWrite{Partition: flowPartition, IDToken: &forged}); err != nil {
		t.Fatal(err)
	}
	res, err := f.Silent(ctx, nil, first.Account, false)
	if res.IDToken == forged.Secret {
		t.Fatal("the ID token of another audience was served")
	}
	// Not served, so a refresh is made. The row is not this client's ID token, so the
	// response is not compared with it (it would be refused for ever) but bound to the
	// account by its home account id; its ID token is returned and replaces the row.
	wantSignIn(t, "Silent without scopes over an ID token of another audience", res, err, domain.SourceIdentityProvider)
	if res.IDTokenClaims.Subject != first.IDTokenClaims.Subject || res.Account.HomeAccountID != first.Account.HomeAccountID {
		t.Fatalf("the refresh over a foreign row answered for %q (sub %q); want the account %q", res.Account.HomeAccountID, res.IDTokenClaims.Subject, first.Account.HomeAccountID)
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1 (the row was not served)", n)
	}
	again, err := f.Silent(ctx, nil, first.Account, false)
	wantSignIn(t, "Silent without scopes after the refresh", again, err, domain.SourceCache)
	if again.IDToken != res.IDToken {
		t.Fatal("Silent after the refresh served another ID token than the refreshed one")
	}
}

// scenarioSilentSignInOtherRealm: an ID token of the account cached under another
// realm (a guest tenant's, another issuer's) is not served for this authority, even
// when it would outlive the authority's own.
func scenarioSilentSignInOtherRealm(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first, err := f.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", first, err, domain.SourceIdentityProvider)
	found, err := env.Store.Find(ctx, domain.CacheQuery{Partition: flowPartition, HomeAccountID: first.Account.HomeAccountID,
		Environments: []string{first.Account.Environment}, ClientID: flowSetup.ClientID})
	if err != nil || len(found.IDTokens) != 1 {
		t.Fatalf("Find = %d ID tokens, %v; want the one cached", len(found.IDTokens), err)
	}
	other := found.IDTokens[0]
	other.Realm += "-elsewhere"
	other.Secret = domain.Secret(unsignedJWT(map[string]any{"iss": first.IDTokenClaims.Issuer, "sub": first.IDTokenClaims.Subject,
		"aud": flowSetup.ClientID, "exp": first.IDTokenClaims.Expiry.Add(24 * time.Hour).Unix()}))
	if err := env.Store.Write(ctx, domain.CacheWrite{Partition: flowPartition, IDToken: &other}); err != nil {
		t.Fatal(err)
	}
	res, err := f.Silent(ctx, nil, first.Account, false)
	wantSignIn(t, "Silent without scopes beside an ID token of another realm", res, err, domain.SourceCache)
	if res.IDToken != first.IDToken {
		t.Fatal("the ID token of another realm was served")
	}
}

// scenarioSilentSignInTwoEngines: two engines (two processes) need the same ID-token
// refresh; the first is held at the provider while the second starts. The second waits
// for the account's refresh lock and then finds the new ID token in the cache: one
// refresh grant in all.
func scenarioSilentSignInTwoEngines(t *testing.T, env FlowEnv) {
	if env.HoldNextRefresh == nil {
		t.Skip("the harness cannot hold a refresh grant (FlowEnv.HoldNextRefresh)")
	}
	ctx := flowContext(t)
	a, b := env.Flows(flowPartition), env.Flows(flowPartition)
	first, err := a.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", first, err, domain.SourceIdentityProvider)
	env.Advance(first.IDTokenClaims.Expiry.Sub(first.IDTokenClaims.IssuedAt) - time.Minute)
	entered, release := env.HoldNextRefresh()
	results := make(chan domain.AuthResult, 2)
	errs := make(chan error, 2)
	go func() { r, err := a.Silent(ctx, nil, first.Account, false); results <- r; errs <- err }()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the first refresh never reached the provider")
	}
	go func() { r, err := b.Silent(ctx, nil, first.Account, false); results <- r; errs <- err }()
	time.Sleep(200 * time.Millisecond) // let the second call reach the refresh lock
	release()
	r1, r2 := <-results, <-results
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Silent without scopes in two engines = %v", err)
		}
	}
	if r1.IDToken != r2.IDToken || r1.IDToken == first.IDToken {
		t.Fatal("the two engines returned different, or old, ID tokens")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1 (the second engine reads the cache again under the lock)", n)
	}
}

// scenarioSilentSignInNoIDToken: when the refresh comes back without an ID token, a
// sign-in is interaction required, saying why: never the old, expiring ID token.
func scenarioSilentSignInNoIDToken(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first, err := f.Password(ctx, "alice@example.com", "alice-pw", nil)
	wantSignIn(t, "Password without scopes", first, err, domain.SourceIdentityProvider)
	env.Advance(first.IDTokenClaims.Expiry.Sub(first.IDTokenClaims.IssuedAt) - time.Minute)
	res, err := f.Silent(ctx, nil, first.Account, false)
	if !errors.Is(err, domain.ErrInteractionRequired) || !strings.Contains(err.Error(), "no ID token") {
		t.Fatalf("Silent without scopes, refreshed without an ID token = %v; want ErrInteractionRequired saying no ID token came", err)
	}
	if res.IDToken != "" {
		t.Fatal("an ID token was returned with the error")
	}
}

// unsignedJWT returns a compact JWS of claims with a placeholder signature: enough for
// a cache row, which the engine reads without verifying.
func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// scenarioDeviceSignIn: the device flow without API scopes signs the user in for an ID
// token, which a silent call without scopes then serves from the cache.
func scenarioDeviceSignIn(t *testing.T, env deviceEnv) {
	ctx := flowContext(t)
	flow, err := env.device.InitiateDevice(ctx, nil)
	if err != nil {
		t.Fatalf("InitiateDevice without scopes = %v; want a device flow", err)
	}
	if err := env.provider.ApproveDevice(flow.UserCode, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	res, err := env.device.AcquireByDevice(ctx, flow)
	wantSignIn(t, "AcquireByDevice without scopes", res, err, domain.SourceIdentityProvider)
	hit, err := env.flows.Silent(ctx, nil, res.Account, false)
	wantSignIn(t, "Silent without scopes after the device flow", hit, err, domain.SourceCache)
	if hit.IDToken != res.IDToken {
		t.Fatal("Silent served another ID token than the device flow's")
	}
}
