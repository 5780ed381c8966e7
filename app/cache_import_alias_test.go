package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// aliasFixture is a client of login.microsoftonline.com whose store holds a live refresh
// token (cached_at T1), and an MSAL .NET document holding the older, undated token of
// the same account and client under the alias host login.windows.net.
//
// How the live token came decides what the import knows of the older one: with
// rotatedHere, hexauth redeemed the older token and the provider rotated it, so the live
// token records it as spent (domain.SpentMember); otherwise the user signed in again,
// and nothing tells the import that the older token is stale.
type aliasFixture struct {
	clock *memory.Clock
	idp   *memory.IdentityProvider
	pc    *app.PublicClient
	first app.AuthResult
	stale string // the .NET document
}

func newAliasFixture(t *testing.T, rotatedHere bool) aliasFixture {
	t.Helper()
	const tenant = "aaaaaaaa-0000-0000-0000-00000000000a"
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, ClientInfo: true, Clients: []memory.Client{{ID: clientID}},
		Users:  []memory.User{{Username: "alice@a.example", Password: "pw", TenantID: tenant}},
		Scopes: readOrders, RotateRefreshTokens: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: "https://login.microsoftonline.com/organizations",
		Cache: "memory:", IdentityProvider: idp, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@a.example", "pw", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	stale := dotnetCache(t, first, clientID, exampleStart) // undated refresh token, rotated away below
	clock.Advance(2 * time.Hour)
	if !rotatedHere {
		if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@a.example", "pw", readOrders); err != nil {
			t.Fatal(err)
		}
	} else if res, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account); err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("refresh = %q, %v; want a rotated refresh token (cached_at T1)", res.TokenSource, err)
	}
	clock.Advance(10 * time.Minute) // the import's stamp is later than T1
	return aliasFixture{clock: clock, idp: idp, pc: pc, first: first, stale: stale}
}

// The probe of the last session: an older, undated refresh token imported under an alias
// host is stamped with the import time, later than the live token's. Its key differs
// (another environment), yet it is the same refresh token identity: the import reports
// the conflict, and silent redeems the live token first — one refresh request, no
// interaction required.
func TestPublicClient_ImportCache_staleAliasRefreshTokenDoesNotBeatLiveOne(t *testing.T) {
	ctx := testContext(t)
	f := newAliasFixture(t, false)
	report, err := f.pc.ImportCache(ctx, strings.NewReader(f.stale))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionAliasStoredFirst ||
		!strings.Contains(report.Conflicts[0].Key, "login.windows.net") || !strings.Contains(report.Conflicts[0].StoredKey, "login.microsoftonline.com") {
		t.Fatalf("report.Conflicts = %v; want the alias conflict, %q", report.Conflicts, msalcache.ResolutionAliasStoredFirst)
	}
	f.clock.Advance(2 * time.Hour)
	before := f.idp.Calls(domain.GrantRefreshToken)
	res, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account)
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent after importing a stale alias token = %q, %v; want a refresh with the live token", res.TokenSource, err)
	}
	if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 1 {
		t.Errorf("refresh requests = %d; want 1 (the live token first, not the stale alias copy)", n)
	}
	// Both stay (nothing of the document is dropped): the export gives the .NET token back.
	if got := exportString(t, f.pc); !strings.Contains(got, string(f.first.RefreshToken)) {
		t.Error("the imported alias-host refresh token is missing from the export")
	}
}

// Defence in depth: whatever order the cache holds them in, a refresh token refused
// with invalid_grant is followed by the same client's token of that account under an
// alias host before the call gives up.
func TestPublicClient_AcquireTokenSilent_refusedRefreshTokenFallsBackToAliasHost(t *testing.T) {
	ctx := testContext(t)
	f := newAliasFixture(t, false)
	// The stale token imported without the import's ordering rule: a store write of it
	// dated later than the live one, as a careless writer (or another import path) leaves it.
	snap, err := msalcache.Decode([]byte(f.stale))
	if err != nil {
		t.Fatal(err)
	}
	snap.RefreshTokens[0].CachedAt = f.clock.Now().Add(time.Minute)
	doc, err := msalcache.Encode(domain.CacheSnapshot{RefreshTokens: snap.RefreshTokens})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	if _, err := f.pc.ImportCache(ctx, strings.NewReader(string(doc))); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Hour)
	f.idp.FailNext(domain.GrantRefreshToken, staleGrant) // the stale token, redeemed first
	before := f.idp.Calls(domain.GrantRefreshToken)
	res, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account)
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent = %q, %v; want the alias host's live token after the stale one's invalid_grant", res.TokenSource, err)
	}
	if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 2 {
		t.Errorf("refresh requests = %d; want 2 (the newer-dated stale token refused, then the live one)", n)
	}
	// The refused token is not presented again.
	f.clock.Advance(2 * time.Hour)
	before = f.idp.Calls(domain.GrantRefreshToken)
	if _, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account); err != nil {
		t.Fatalf("next silent = %v; want nil", err)
	}
	if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 1 {
		t.Errorf("refresh requests of the next call = %d; want 1 (the refused token is not presented again)", n)
	}
}

// Only invalid_grant moves on to the alias host's token: a refusal another refresh token
// cannot cure (multi-factor authentication required) is the answer, after one request.
func TestPublicClient_AcquireTokenSilent_interactionRequiredDoesNotTryTheAliasToken(t *testing.T) {
	ctx := testContext(t)
	f := newAliasFixture(t, false)
	if _, err := f.pc.ImportCache(ctx, strings.NewReader(f.stale)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Hour)
	// Entra answers a refresh that needs MFA with invalid_grant, suberror basic_action
	// and AADSTS50076; plain interaction_required is the RFC's spelling.
	for _, refusal := range []*domain.Error{
		{Code: "invalid_grant", SubError: "basic_action", ErrorCodes: []int{50076}, Description: "AADSTS50076: MFA required", HTTPStatus: 400},
		{Code: "interaction_required", Description: "AADSTS50079: MFA enrollment required", HTTPStatus: 400},
	} {
		f.idp.FailNext(domain.GrantRefreshToken, refusal)
		before := f.idp.Calls(domain.GrantRefreshToken)
		_, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account, app.WithForceRefresh())
		if !errors.Is(err, domain.ErrInteractionRequired) {
			t.Fatalf("silent after %s = %v; want interaction required", refusal.Code, err)
		}
		if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 1 {
			t.Errorf("refresh requests after %s = %d; want 1 (no second token for a refusal signing in again cures)", refusal.Code, n)
		}
	}
}

// A document token under an alias host dated newer than the stored one keeps its date
// and is redeemed first (here it is stale all the same: its invalid_grant is followed
// by the live token, two requests, no interaction).
func TestPublicClient_ImportCache_datedNewerAliasRefreshTokenGoesFirst(t *testing.T) {
	ctx := testContext(t)
	f := newAliasFixture(t, false)
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal([]byte(f.stale), &doc); err != nil {
		t.Fatal(err)
	}
	dated := f.clock.Now().Add(-time.Minute).Truncate(time.Second) // after the live token's T1, before the import
	for _, rt := range doc["RefreshToken"] {
		rt["cached_at"] = strconv.FormatInt(dated.Unix(), 10)
	}
	b, _ := json.Marshal(doc)
	report, err := f.pc.ImportCache(ctx, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionAliasDocumentFirst {
		t.Fatalf("report.Conflicts = %v; want %q", report.Conflicts, msalcache.ResolutionAliasDocumentFirst)
	}
	f.clock.Advance(2 * time.Hour)
	f.idp.FailNext(domain.GrantRefreshToken, staleGrant) // the document's token, redeemed first
	before := f.idp.Calls(domain.GrantRefreshToken)
	if res, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account); err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent = %q, %v; want a refresh", res.TokenSource, err)
	}
	if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 2 {
		t.Errorf("refresh requests = %d; want 2 (the newer-dated document token first, then the live one)", n)
	}
}

// staleGrant is the provider's answer to a refresh token it no longer honours.
var staleGrant = &domain.Error{Code: "invalid_grant", Description: "AADSTS70000: the refresh token was already used", HTTPStatus: 400}

// The gap the last stop's notes named: an older document's undated refresh token, of
// the live token's own key or of an alias host's, replaced (or was tried beside) the
// live token although hexauth itself had rotated it away. Now the live token records
// what it replaced: the spent token is not imported, whatever the document says of
// its date, and silent presents the live token only.
func TestPublicClient_ImportCache_tokenRotatedAwayHereIsNotImported(t *testing.T) {
	for _, tc := range []struct{ name, host string }{
		{"same host", "login.microsoftonline.com"},
		{"alias host", "login.windows.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			f := newAliasFixture(t, true)
			doc := strings.ReplaceAll(f.stale, "login.windows.net", tc.host)
			for _, dated := range []string{"", strconv.FormatInt(f.clock.Now().Add(time.Hour).Unix(), 10)} {
				d := doc
				if dated != "" { // a writer's clock ahead: the date says nothing either
					d = strings.Replace(d, `"credential_type": "RefreshToken",`, `"credential_type": "RefreshToken", "last_modification_time": "`+dated+`",`, 1)
				}
				report, err := f.pc.ImportCache(ctx, strings.NewReader(d))
				if err != nil {
					t.Fatal(err)
				}
				if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionSpent {
					t.Fatalf("report.Conflicts = %v; want one %q", report.Conflicts, msalcache.ResolutionSpent)
				}
				if got := exportString(t, f.pc); strings.Contains(got, string(f.first.RefreshToken)) {
					t.Fatal("the spent refresh token is in the cache after the import")
				}
			}
			f.clock.Advance(2 * time.Hour)
			before := f.idp.Calls(domain.GrantRefreshToken)
			if res, err := f.pc.AcquireTokenSilent(ctx, readOrders, f.first.Account); err != nil || res.TokenSource != domain.SourceIdentityProvider {
				t.Fatalf("silent = %q, %v; want a refresh with the live token", res.TokenSource, err)
			}
			if n := f.idp.Calls(domain.GrantRefreshToken) - before; n != 1 {
				t.Errorf("refresh requests = %d; want 1 (the live token; the spent one is gone)", n)
			}
			// The export never carries hexauth's record of spent tokens.
			if got := exportString(t, f.pc); strings.Contains(got, "hexauth.spent") {
				t.Error("the export carries the spent-token record")
			}
		})
	}
}
