package conformance

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// signIn is the password sign-in every scenario starts from.
func signIn(t *testing.T, f Flows, username, password string) domain.AuthResult {
	t.Helper()
	ctx := flowContext(t)
	res, err := f.Password(ctx, username, password, flowScopes)
	if err != nil {
		t.Fatalf("Password(%q) = %v; want tokens", username, err)
	}
	if res.Account.HomeAccountID == "" || res.AccessToken == "" {
		t.Fatalf("Password(%q) returned no account or access token", username)
	}
	return res
}

func wantSource(t *testing.T, call string, res domain.AuthResult, err error, want domain.TokenSource) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v; want a token from %s", call, err, want)
	}
	if res.TokenSource != want {
		t.Fatalf("%s came from %q; want %q", call, res.TokenSource, want)
	}
}

func scenarioSilentHit(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	res, err := f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent after sign-in", res, err, domain.SourceCache)
	if res.AccessToken != first.AccessToken {
		t.Fatal("Silent returned another access token than the cached one")
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 0 {
		t.Fatalf("refresh grants after a cache hit = %d; want 0", n)
	}
}

func scenarioSilentRefresh(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	env.Advance(56 * time.Minute) // inside the 5-minute expiry buffer of a 1-hour token
	res, err := f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent inside the expiry buffer", res, err, domain.SourceIdentityProvider)
	again, err := f.Silent(ctx, flowScopes, first.Account, false)
	wantSource(t, "Silent after the refresh", again, err, domain.SourceCache)
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1", n)
	}
	if res.RefreshToken != "" {
		t.Fatal("a silent result exposes the refresh token")
	}
}

func scenarioForceRefresh(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	res, err := f.Silent(ctx, flowScopes, first.Account, true)
	wantSource(t, "Silent with force refresh", res, err, domain.SourceIdentityProvider)
	if res.AccessToken == first.AccessToken {
		t.Fatal("force refresh returned the cached access token")
	}
	// The rotated refresh token was stored: a second forced refresh still works.
	if _, err := f.Silent(ctx, flowScopes, first.Account, true); err != nil {
		t.Fatalf("second forced refresh = %v; want the rotated refresh token to have been stored", err)
	}
}

func scenarioStampede(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	env.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.Silent(ctx, flowScopes, first.Account, false)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Silent = %v", err)
		}
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants for 20 concurrent silent calls = %d; want 1", n)
	}
}

func scenarioRefusedRefresh(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	env.Provider.RevokeRefreshTokens("alice@example.com")
	env.Advance(2 * time.Hour)
	for i := range 2 {
		_, err := f.Silent(ctx, flowScopes, first.Account, false)
		if !errors.Is(err, domain.ErrInteractionRequired) {
			t.Fatalf("Silent %d with a revoked refresh token = %v; want ErrInteractionRequired", i+1, err)
		}
		// DESIGN §3 step 5: the refused token is never presented again by this engine.
		if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
			t.Fatalf("refresh grants after %d silent calls with a revoked refresh token = %d; want 1", i+1, n)
		}
	}
	accts, err := f.Accounts(ctx, "")
	if err != nil || len(accts) != 1 {
		t.Fatalf("Accounts after a refused refresh = %v, %v; want the account kept", accts, err)
	}
	found, err := env.Store.Find(ctx, domain.CacheQuery{Partition: flowPartition, HomeAccountID: first.Account.HomeAccountID})
	if err != nil || len(found.RefreshTokens) != 1 {
		t.Fatalf("refresh tokens after a refused refresh = %d, %v; want the refused token kept", len(found.RefreshTokens), err)
	}
}

func scenarioNoTokens(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	ghost := domain.Account{HomeAccountID: "nobody.tenant", Environment: "127.0.0.1"}
	_, err := f.Silent(ctx, flowScopes, ghost, false)
	if !errors.Is(err, domain.ErrNoTokens) || !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Silent for an unknown account = %v; want ErrNoTokens (interaction required)", err)
	}
}

func scenarioAuthCode(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	flow, err := f.InitiateAuthCode(ctx, flowScopes, flowSetup.RedirectURI)
	if err != nil {
		t.Fatalf("InitiateAuthCode = %v", err)
	}
	resp, err := env.Provider.SignIn(ctx, flow.AuthURI, "alice@example.com", "alice-pw")
	if err != nil {
		t.Fatalf("SignIn at the authorization URL = %v", err)
	}
	res, err := f.CompleteAuthCode(ctx, flow, resp)
	wantSource(t, "CompleteAuthCode", res, err, domain.SourceIdentityProvider)
	if res.IDTokenClaims == nil || res.IDTokenClaims.Nonce != flow.Nonce || res.Account.Username != "alice@example.com" {
		t.Fatalf("auth code result lacks the ID-token claims with the flow's nonce, or the account")
	}
	if res.RefreshToken == "" {
		t.Fatal("auth code result does not return the refresh token just issued")
	}
	if _, err := f.CompleteAuthCode(ctx, flow, resp); !errors.Is(err, domain.ErrInvalidFlow) && !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("completing the flow twice = %v; want ErrInvalidFlow or ErrInvalidGrant", err)
	}
	silent, err := f.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent after the auth code flow", silent, err, domain.SourceCache)
}

func scenarioForgedState(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	flow, err := f.InitiateAuthCode(ctx, flowScopes, flowSetup.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := env.Provider.SignIn(ctx, flow.AuthURI, "alice@example.com", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	forged := url.Values{}
	for k, v := range resp {
		forged[k] = v
	}
	forged.Set("state", "forged")
	if _, err := f.CompleteAuthCode(ctx, flow, forged); !errors.Is(err, domain.ErrStateMismatch) {
		t.Fatalf("CompleteAuthCode with a forged state = %v; want ErrStateMismatch", err)
	}
	if n := env.Provider.Calls(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("authorization-code grants after a forged state = %d; want 0 (fail closed before redeeming)", n)
	}
	if accts, _ := f.Accounts(ctx, ""); len(accts) != 0 {
		t.Fatalf("Accounts after a refused flow = %d; want nothing cached", len(accts))
	}
}

func scenarioPasswordErrors(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	_, err := f.Password(ctx, "alice@example.com", "wrong-pw", flowScopes)
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("Password with a wrong password = %v; want ErrInvalidGrant", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-pw") {
		t.Fatal("the error message contains the password")
	}
	_, err = f.Password(ctx, "mfa@example.com", "mfa-pw", flowScopes)
	var de *domain.Error
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.Claims == "" {
		t.Fatalf("Password for an MFA user = %v; want ErrInteractionRequired with a claims challenge", err)
	}
	_, err = f.Password(ctx, "alice@example.com", "alice-pw", []string{"api://unknown/read"})
	if !errors.Is(err, domain.ErrInvalidScope) {
		t.Fatalf("Password for an unknown scope = %v; want ErrInvalidScope", err)
	}
	if accts, _ := f.Accounts(ctx, ""); len(accts) != 0 {
		t.Fatalf("Accounts after failed sign-ins = %d; want nothing cached", len(accts))
	}
}

func scenarioRefreshTokenRedemption(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	first := signIn(t, env.Flows("elsewhere"), "alice@example.com", "alice-pw")
	f := env.Flows(flowPartition)
	res, err := f.RefreshToken(ctx, string(first.RefreshToken), flowScopes)
	wantSource(t, "RefreshToken", res, err, domain.SourceIdentityProvider)
	if res.RefreshToken == "" || res.RefreshToken == first.RefreshToken {
		t.Fatal("RefreshToken did not return the rotated refresh token")
	}
	silent, err := f.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent after RefreshToken", silent, err, domain.SourceCache)
}

func scenarioAccounts(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	signIn(t, f, "alice@example.com", "alice-pw")
	signIn(t, f, "bob@example.com", "bob-pw")
	signIn(t, f, "bob@example.com", "bob-pw") // twice: still one account
	all, err := f.Accounts(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("Accounts = %v, %v; want 2", all, err)
	}
	bobs, err := f.Accounts(ctx, "BOB@Example.COM")
	if err != nil || len(bobs) != 1 || bobs[0].Username != "bob@example.com" {
		t.Fatalf("Accounts(BOB@Example.COM) = %v, %v; want bob, matched case-insensitively", bobs, err)
	}
	if err := f.RemoveAccount(ctx, bobs[0]); err != nil {
		t.Fatalf("RemoveAccount(bob) = %v", err)
	}
	left, _ := f.Accounts(ctx, "")
	if len(left) != 1 || left[0].Username != "alice@example.com" {
		t.Fatalf("Accounts after removing bob = %v; want alice only", left)
	}
	if _, err := f.Silent(ctx, flowScopes, bobs[0], false); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Silent for the removed account = %v; want ErrInteractionRequired", err)
	}
	res, err := f.Silent(ctx, flowScopes, left[0], false)
	wantSource(t, "Silent for the remaining account", res, err, domain.SourceCache)
}

func scenarioPartitions(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	a, b := env.Flows("tenant-a"), env.Flows("tenant-b")
	res := signIn(t, a, "alice@example.com", "alice-pw")
	if accts, _ := b.Accounts(ctx, ""); len(accts) != 0 {
		t.Fatalf("tenant-b sees %d accounts of tenant-a", len(accts))
	}
	if _, err := b.Silent(ctx, flowScopes, res.Account, false); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Silent in tenant-b for tenant-a's account = %v; want ErrNoTokens", err)
	}
	if err := b.RemoveAccount(ctx, res.Account); err == nil {
		t.Log("RemoveAccount in another partition reported no error; checking nothing was removed")
	}
	hit, err := a.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent in tenant-a after tenant-b's removal", hit, err, domain.SourceCache)
}

func scenarioBadInput(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	res := signIn(t, f, "alice@example.com", "alice-pw")
	calls := env.Provider.Calls(domain.GrantRefreshToken) + env.Provider.Calls(domain.GrantPassword) + env.Provider.Calls(domain.GrantAuthorizationCode)
	bad := oversizedInputs(ctx, f, res.Account)
	for name, err := range bad {
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: error = %v; want ErrInvalidInput", name, err)
		}
	}
	for name, err := range map[string]error{
		"no account":       second(f.Silent(ctx, flowScopes, domain.Account{}, false)),
		"empty password":   second(f.Password(ctx, "alice@example.com", "", flowScopes)),
		"no refresh token": second(f.RefreshToken(ctx, "", flowScopes)),
		"tampered flow":    second(f.CompleteAuthCode(ctx, domain.AuthCodeFlow{State: "s"}, url.Values{"state": {"s"}, "code": {"c"}})),
	} {
		if !errors.Is(err, domain.ErrInvalidInput) && !errors.Is(err, domain.ErrInvalidFlow) {
			t.Errorf("%s: error = %v; want ErrInvalidInput or ErrInvalidFlow", name, err)
		}
	}
	if now := env.Provider.Calls(domain.GrantRefreshToken) + env.Provider.Calls(domain.GrantPassword) + env.Provider.Calls(domain.GrantAuthorizationCode); now != calls {
		t.Fatalf("bad input reached the provider (%d more calls)", now-calls)
	}
	hit, err := f.Silent(ctx, flowScopes, res.Account, false)
	wantSource(t, "Silent after bad input", hit, err, domain.SourceCache)
}

func second[T any](_ T, err error) error { return err }
