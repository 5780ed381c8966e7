package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// withCaseDistinctSubjects adds two users whose subjects differ only by case, as an
// OIDC provider may issue them (DESIGN §3: "Alice" and "alice" are two people).
func withCaseDistinctSubjects(s *FlowSetup) {
	s.ClientInfo = false
	s.Users = append(s.Users,
		FlowUser{Username: "upper@example.com", Password: "upper-pw", Subject: "Alice"},
		FlowUser{Username: "lower@example.com", Password: "lower-pw", Subject: "alice"})
}

// scenarioCaseDistinctSubjects: each of two subjects that differ only by case gets its
// own account and tokens, and removing one keeps the other's.
func scenarioCaseDistinctSubjects(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	upper := signIn(t, f, "upper@example.com", "upper-pw")
	lower := signIn(t, f, "lower@example.com", "lower-pw")
	if upper.Account.HomeAccountID != "Alice" || lower.Account.HomeAccountID != "alice" {
		t.Fatalf("home account ids %q and %q; want the subjects Alice and alice as they are", upper.Account.HomeAccountID, lower.Account.HomeAccountID)
	}
	accts, err := f.Accounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	homes := map[string]bool{}
	for _, a := range accts {
		homes[a.HomeAccountID] = true
	}
	if !homes["Alice"] || !homes["alice"] {
		t.Fatalf("Accounts lists %v; want both Alice and alice", homes)
	}
	for _, want := range []domain.AuthResult{upper, lower} {
		res, err := f.Silent(ctx, flowScopes, want.Account, false)
		wantSource(t, "Silent for "+want.Account.HomeAccountID, res, err, domain.SourceCache)
		if res.AccessToken != want.AccessToken {
			t.Fatalf("Silent for %q served another subject's token", want.Account.HomeAccountID)
		}
	}
	if err := f.RemoveAccount(ctx, lower.Account); err != nil {
		t.Fatal(err)
	}
	res, err := f.Silent(ctx, flowScopes, upper.Account, false)
	wantSource(t, "Silent for Alice after removing alice", res, err, domain.SourceCache)
	if _, err := f.Silent(ctx, flowScopes, lower.Account, false); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Silent for the removed alice = %v; want ErrNoTokens", err)
	}
}

// scenarioRemovalSticks: RemoveAccount called (through another engine) while a silent
// refresh of the account is at the provider; once both returned, the account is gone
// and stays gone — the refresh in flight did not write it back (DESIGN §3 "Removal
// sticks"). The refresh is released when RemoveAccount returns (it should not, before:
// it waits for the account's refresh lock) or after a short while.
func scenarioRemovalSticks(t *testing.T, env FlowEnv) {
	if env.HoldNextRefresh == nil {
		t.Skip("the harness cannot hold a refresh grant (FlowEnv.HoldNextRefresh)")
	}
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	first := signIn(t, f, "alice@example.com", "alice-pw")
	env.Advance(2 * time.Hour)
	entered, release := env.HoldNextRefresh()
	refreshed := make(chan error, 1)
	go func() { _, err := f.Silent(ctx, flowScopes, first.Account, false); refreshed <- err }()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the silent refresh never reached the provider")
	}
	removed := make(chan error, 1)
	go func() { removed <- env.Flows(flowPartition).RemoveAccount(ctx, first.Account) }()
	select {
	case err := <-removed: // too early: the refresh in flight has not written yet
		removed <- err
	case <-time.After(500 * time.Millisecond):
	}
	release()
	<-refreshed // its outcome does not matter; what it left behind does
	if err := <-removed; err != nil {
		t.Fatalf("RemoveAccount = %v; want nil", err)
	}
	if accts, err := f.Accounts(ctx, ""); err != nil || len(accts) != 0 {
		t.Fatalf("Accounts after RemoveAccount returned = %+v, %v; want none (a refresh in flight wrote the account back)", accts, err)
	}
	if _, err := f.Silent(ctx, flowScopes, first.Account, false); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Silent after the removal = %v; want ErrNoTokens", err)
	}
}

// scenarioTwoAuthoritiesOneRefreshToken: a silent call through organizations and one
// through the user's home tenant, in two engines, need the same refresh token; the
// provider rotates refresh tokens and revokes the family of one presented twice, as real
// providers do. The first refresh is held at the provider while the second call starts:
// it must wait for the account's refresh lock and then find the new token in the cache,
// never send the refresh token a second time.
func scenarioTwoAuthoritiesOneRefreshToken(t *testing.T, env FlowEnv) {
	if env.HoldNextRefresh == nil {
		t.Skip("the harness cannot hold a refresh grant (FlowEnv.HoldNextRefresh)")
	}
	ctx := flowContext(t)
	orgs := env.TenantFlows(domain.TenantOrganizations, flowPartition)
	first := signIn(t, orgs, "alice@example.com", "alice-pw")
	tenant := env.TenantFlows(first.Account.Realm, flowPartition)
	env.Advance(2 * time.Hour)
	entered, release := env.HoldNextRefresh()
	results := make(chan error, 2)
	go func() { _, err := orgs.Silent(ctx, flowScopes, first.Account, false); results <- err }()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the first silent refresh never reached the provider")
	}
	go func() { _, err := tenant.Silent(ctx, flowScopes, first.Account, false); results <- err }()
	select {
	case err := <-results: // the tenant call did not wait for the refresh in flight
		results <- err
	case <-time.After(500 * time.Millisecond):
	}
	release()
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("Silent = %v; want a token (a refresh token sent twice costs the session)", err)
		}
	}
	if n := env.Provider.Calls(domain.GrantRefreshToken); n != 1 {
		t.Fatalf("refresh grants = %d; want 1: organizations and the tenant's URL reach one refresh token", n)
	}
}
