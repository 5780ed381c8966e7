package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// scenarioRemovalKeepsAnotherAppsAccount: two apps of no family share the cache and both
// signed alice in. The first signs her out: it no longer lists her and has no token to
// serve, while the second still lists her and its silent calls still work, from the
// cache and by refresh (ADR 0020: its tokens keep the account records). The second then
// signs her out too, from its own listing, and the records are gone: its sign-out did
// not leave its refresh token behind, invisible. The first never lists her again.
func scenarioRemovalKeepsAnotherAppsAccount(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f, other := env.Flows(flowPartition), env.ClientFlows(secondPublicClient, flowPartition)
	acct := signIn(t, f, "alice@example.com", "alice-pw").Account
	signIn(t, other, "alice@example.com", "alice-pw")
	if err := f.RemoveAccount(ctx, acct); err != nil {
		t.Fatalf("RemoveAccount = %v", err)
	}
	wantNotListed := func(when string) {
		t.Helper()
		if listed, err := f.Accounts(ctx, ""); err != nil || len(listed) != 0 {
			t.Fatalf("Accounts of the app that signed alice out, %s = %v, %v; want none", when, listed, err)
		}
	}
	wantNotListed("after its sign-out")
	if _, err := f.Silent(ctx, flowScopes, acct, false); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Silent of the app that signed alice out = %v; want ErrNoTokens", err)
	}
	listed, err := other.Accounts(ctx, "")
	if err != nil || len(listed) != 1 || listed[0].HomeAccountID != acct.HomeAccountID {
		t.Fatalf("Accounts of the other app after the first one's sign-out = %v, %v; want alice: it still holds her tokens", listed, err)
	}
	res, err := other.Silent(ctx, flowScopes, listed[0], false)
	wantSource(t, "Silent of the other app after the first one's sign-out", res, err, domain.SourceCache)
	env.Advance(2 * time.Hour)
	res, err = other.Silent(ctx, flowScopes, listed[0], false)
	wantSource(t, "Silent of the other app once its access token expired", res, err, domain.SourceIdentityProvider)
	wantNotListed("after the other app's refresh")

	if err := other.RemoveAccount(ctx, listed[0]); err != nil {
		t.Fatalf("RemoveAccount by the other app = %v", err)
	}
	if listed, err := other.Accounts(ctx, ""); err != nil || len(listed) != 0 {
		t.Fatalf("Accounts of the other app after its own sign-out = %v, %v; want none", listed, err)
	}
	if _, err := other.Silent(ctx, flowScopes, acct, true); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Silent (force refresh) of the other app after its sign-out = %v; want ErrNoTokens: its refresh token went", err)
	}
	if records, err := env.Store.Accounts(ctx, domain.AccountFilter{Partition: flowPartition}); err != nil || len(records) != 0 {
		t.Fatalf("account records once both apps signed alice out = %v, %v; want none", records, err)
	}
	wantNotListed("after both sign-outs")
}

// scenarioFamilyRemovalKeepsTheSiblingsAccount: ADR 0016 with ADR 0020. A family app
// signs out alice, whom its sibling signed in: the family refresh token goes (the
// sign-out sticks, the sibling cannot refresh either), but the sibling's access and ID
// tokens stay, so the sibling still lists alice and serves its cached token until it
// expires, and can sign her out itself, which takes the records.
func scenarioFamilyRemovalKeepsTheSiblingsAccount(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	sibling, f := env.ClientFlows(siblingClient, flowPartition), env.Flows(flowPartition)
	acct := signIn(t, sibling, "alice@example.com", "alice-pw").Account
	res, err := f.Silent(ctx, flowScopes, acct, false)
	wantSource(t, "Silent of a family app with only its sibling's refresh token", res, err, domain.SourceIdentityProvider)
	if err := f.RemoveAccount(ctx, acct); err != nil {
		t.Fatalf("RemoveAccount = %v", err)
	}
	if listed, err := f.Accounts(ctx, ""); err != nil || len(listed) != 0 {
		t.Fatalf("Accounts of the family app after its sign-out = %v, %v; want none", listed, err)
	}
	listed, err := sibling.Accounts(ctx, "")
	if err != nil || len(listed) != 1 {
		t.Fatalf("Accounts of the sibling after the family app's sign-out = %v, %v; want alice: its access token is still cached", listed, err)
	}
	res, err = sibling.Silent(ctx, flowScopes, listed[0], false)
	wantSource(t, "Silent of the sibling while its access token lasts", res, err, domain.SourceCache)
	env.Advance(2 * time.Hour)
	for name, flows := range map[string]Flows{"the family app": f, "its sibling": sibling} {
		if _, err := flows.Silent(ctx, flowScopes, acct, false); !errors.Is(err, domain.ErrNoTokens) {
			t.Errorf("Silent of %s once the access tokens expired = %v; want ErrNoTokens (the family refresh token went, ADR 0016)", name, err)
		}
	}
	if err := sibling.RemoveAccount(ctx, listed[0]); err != nil {
		t.Fatalf("RemoveAccount by the sibling = %v", err)
	}
	if records, err := env.Store.Accounts(ctx, domain.AccountFilter{Partition: flowPartition}); err != nil || len(records) != 0 {
		t.Fatalf("account records once both apps signed alice out = %v, %v; want none", records, err)
	}
}
