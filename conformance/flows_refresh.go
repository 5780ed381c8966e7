package conformance

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const (
	siblingClient = "conformance-sibling"
	flowFamily    = "1"
)

// withRefreshIn makes access tokens due for a proactive refresh 30 minutes after they
// are issued (Entra's refresh_in), 25 minutes before they stop being served.
func withRefreshIn(s *FlowSetup) { s.RefreshIn = 30 * time.Minute }

// withFamily puts the client and a sibling client in one family (Entra's FOCI).
func withFamily(s *FlowSetup) {
	s.FamilyID = flowFamily
	s.Clients = append(s.Clients, FlowClient{ID: siblingClient, FamilyID: flowFamily})
}

// scenarioProactiveRefreshFails: a cached token whose refresh_on has passed is served,
// without error and unchanged, when its refresh fails. When the provider was down, the
// next silent call tries again; when it refused the refresh token, the next ones serve
// the cached token without presenting the refused one again (DESIGN §3 step 5).
func scenarioProactiveRefreshFails(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	if first.RefreshOn.IsZero() {
		t.Fatal("Password result has no RefreshOn although the provider sent refresh_in")
	}
	env.Advance(40 * time.Minute) // past refresh_on (30 min), before the expiry buffer (55 min)
	before := readCache(t, env.Store, flowPartition)
	env.Provider.FailNext(domain.GrantRefreshToken, http.StatusServiceUnavailable, "temporarily_unavailable")
	res, err := f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent past refresh_on with the provider down", res, err, domain.SourceCache)
	if res.AccessToken != first.AccessToken {
		t.Fatal("Silent with the provider down returned another access token than the cached one")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants after a silent call past refresh_on = %d; want 1", n)
	}
	wantCacheUnchanged(t, "a failed proactive refresh (provider down)", env.Store, flowPartition, before)
	// The failed refresh is not tried again at once (each call would wait through the
	// retries of a provider that is down): the cached token is served, and its
	// RefreshOn says when the refresh is tried again.
	res, err = f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent just after a failed proactive refresh", res, err, domain.SourceCache)
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants just after a failed proactive refresh = %d; want still 1", n)
	}
	// Now is 10 minutes past the token's own refresh_on; the retry is a minute away.
	if got, want := res.RefreshOn.Sub(first.RefreshOn), 10*time.Minute+time.Minute; got != want {
		t.Fatalf("RefreshOn of the token served after a failed proactive refresh is %v after its own; want %v (a minute from now, when the refresh is tried again)", got, want)
	}
	env.Advance(time.Minute)
	res, err = f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent past refresh_on with the provider back", res, err, domain.SourceIdentityProvider)
	if res.AccessToken == first.AccessToken {
		t.Fatal("the proactive refresh returned the old access token")
	}
	hit, err := f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent after the proactive refresh", hit, err, domain.SourceCache)
	if hit.AccessToken != res.AccessToken {
		t.Fatal("Silent after the proactive refresh did not serve the refreshed token")
	}

	env.Advance(40 * time.Minute) // past the refreshed token's refresh_on
	before = readCache(t, env.Store, flowPartition)
	env.Provider.FailNext(domain.GrantRefreshToken, http.StatusBadRequest, "invalid_grant")
	for i := range 2 {
		got, err := f.Silent(ctx, flowScopes, first.Account, false)
		wantSource(t, "Silent past refresh_on with the refresh token refused", got, err, domain.SourceCache)
		if got.AccessToken != res.AccessToken {
			t.Fatal("Silent with the refresh token refused returned another access token than the cached one")
		}
		if n := env.Provider.Calls(domain.GrantRefreshToken); n != 3 {
			t.Fatalf("refresh grants after %d silent calls with the refresh token refused = %d; want 3: the refused token is not presented again", i+1, n)
		}
		wantCacheUnchanged(t, "a proactive refresh refused (invalid_grant)", env.Store, flowPartition, before)
	}
}

// scenarioFamilyFallback: an app of a family redeems a sibling's family refresh token;
// later, when the family token is refused (invalid_grant), it falls back to its own
// refresh token without error, and keeps the refused one.
func scenarioFamilyFallback(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	sibling := env.ClientFlows(siblingClient, flowPartition)
	f := env.Flows(flowPartition)
	signedIn := signIn(t, sibling, "alice@example.com", "alice-pw")
	acct := signedIn.Account

	res, err := f.Silent(ctx, flowScopes, acct, false)
	wantSource(t, "Silent of a family app with only its sibling's refresh token", res, err, domain.SourceIdentityProvider)
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants for the first silent call = %d; want 1 (the family token)", n)
	}
	if refreshTokenSecret(t, env.Store, flowPartition, acct, flowSetup.ClientID) == "" {
		t.Fatal("the app's own refresh token, issued on the family redemption, was not cached")
	}
	familyRT := refreshTokenSecret(t, env.Store, flowPartition, acct, siblingClient)

	env.Advance(2 * time.Hour)
	env.Provider.FailNext(domain.GrantRefreshToken, http.StatusBadRequest, "invalid_grant")
	res, err = f.Silent(ctx, flowScopes, acct, false)
	wantSource(t, "Silent with the family refresh token refused", res, err, domain.SourceIdentityProvider)
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 3 {
		t.Fatalf("refresh grants after the fallback = %d; want 3 (the family token first, refused, then the app's own)", n)
	}
	if got := refreshTokenSecret(t, env.Store, flowPartition, acct, siblingClient); got == "" || got != familyRT {
		t.Fatal("the refused family refresh token was removed or replaced; want it kept (another process may have just rotated it)")
	}
	hit, err := f.Silent(ctx, flowScopes, acct, false)
	wantSource(t, "Silent after the fallback", hit, err, domain.SourceCache)
	if hit.AccessToken != res.AccessToken {
		t.Fatal("Silent after the fallback did not serve the token it redeemed")
	}
}

// scenarioFamilySignOut: an app of a family that signed a user in through its sibling's
// family refresh token signs the user out (RemoveAccount). The sign-out sticks: the
// account is no longer listed, and the next silent call finds no refresh token to
// present — the sibling's family token went too (ADR 0016), as it does in MSAL. The
// sibling app sharing the cache is signed out with it: its refresh finds nothing either.
func scenarioFamilySignOut(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	sibling := env.ClientFlows(siblingClient, flowPartition)
	f := env.Flows(flowPartition)
	acct := signIn(t, sibling, "alice@example.com", "alice-pw").Account
	res, err := f.Silent(ctx, flowScopes, acct, false)
	wantSource(t, "Silent of a family app with only its sibling's refresh token", res, err, domain.SourceIdentityProvider)
	listed, err := f.Accounts(ctx, "")
	if err != nil || len(listed) != 1 {
		t.Fatalf("Accounts before the sign-out = %v, %v; want alice's account", listed, err)
	}
	if err := f.RemoveAccount(ctx, listed[0]); err != nil {
		t.Fatalf("RemoveAccount = %v", err)
	}
	if got := refreshTokenSecret(t, env.Store, flowPartition, acct, siblingClient); got != "" {
		t.Error("the sibling's family refresh token is still cached after the sign-out")
	}
	if listed, err := f.Accounts(ctx, ""); err != nil || len(listed) != 0 {
		t.Errorf("Accounts after the sign-out = %v, %v; want none", listed, err)
	}
	grants := env.Provider.Calls(domain.GrantRefreshToken)
	env.Advance(2 * time.Hour) // past the access tokens' expiry: only a refresh could serve
	for name, flows := range map[string]Flows{"the app": f, "its sibling": sibling} {
		_, err := flows.Silent(ctx, flowScopes, acct, false)
		if !errors.Is(err, domain.ErrNoTokens) {
			t.Errorf("Silent of %s after the sign-out = %v; want ErrNoTokens (no refresh token left to present)", name, err)
		}
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != grants {
		t.Errorf("refresh grants after the sign-out = %d; want none (was %d)", n-grants, grants)
	}
}

// scenarioRefreshOtherSubject: a refresh response whose ID token names another
// subject than the cached account is refused (ErrInvalidIDToken) and nothing is stored
// or re-keyed.
func scenarioRefreshOtherSubject(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	env.Advance(2 * time.Hour)
	before := readCache(t, env.Store, flowPartition)
	env.Provider.SetIDTokenFault(IDTokenOtherSubject)
	defer env.Provider.SetIDTokenFault(IDTokenOK)
	_, err := f.Silent(ctx, flowScopes, first.Account, false)
	if !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Fatalf("Silent whose refresh names another subject = %v; want ErrInvalidIDToken", err)
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
	wantCacheUnchanged(t, "a refresh naming another subject", env.Store, flowPartition, before)
	accts, err := f.Accounts(ctx, "")
	if err != nil || len(accts) != 1 || accts[0].HomeAccountID != first.Account.HomeAccountID {
		t.Fatalf("Accounts after the refused refresh = %v, %v; want alice's account only", accts, err)
	}
}
