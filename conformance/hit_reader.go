package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// TestHitReader tests a store's ports.HitReader: for every query, FindHit returns
// exactly what Find returns less the refresh tokens, the app metadata and other
// clients' access and ID tokens — the same aliases, home account id folding, partition
// and environment rules — copies that share nothing with the store, and the store's
// errors. newStore is called once per subtest, as for TestCacheStore, and must return a
// store that implements ports.HitReader.
func TestHitReader(t *testing.T, newStore func(t *testing.T) ports.CacheStore) {
	t.Helper()
	cases := []storeCase{
		{"SameAsFindLessOtherClientsAndRefreshTokens", testHitSameAsFind},
		{"ResultIsACopy", testHitIsACopy},
		{"SeesRemovalAndReplacement", testHitSeesWrites},
		{"ClosedStore", testHitClosed},
		{"DoneContext", testHitDoneContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

func hitReader(t *testing.T, s ports.CacheStore) ports.HitReader {
	t.Helper()
	hr, ok := s.(ports.HitReader)
	if !ok {
		t.Fatalf("%T does not implement ports.HitReader", s)
	}
	return hr
}

// hitFixture writes, around one Entra account, every neighbour a hit must or must not
// see: another client, an alias host, another host, another realm, the home account id
// in other case, another partition, an OIDC subject differing only in case.
func hitFixture(t *testing.T, s ports.CacheStore) {
	entra := who{"p", hitHome, "login.microsoftonline.com", "tenant-a", "client-1", "a@example.com"}
	otherClient := entra
	otherClient.client = "client-2"
	alias := entra
	alias.env, alias.realm = "login.windows.net", "tenant-b"
	folded := entra
	folded.home, folded.env = strings.ToLower(hitHome), "login.microsoft.com" // an Entra id in other case: the same account
	otherHost := entra
	otherHost.env = "login.example.com"
	otherPartition := entra
	otherPartition.partition = "q"
	alice := who{"p", "Alice", "idp.example", "realms/a", "client-1", "alice@idp.example"}
	lower := alice
	lower.home = "alice" // another person
	for i, a := range []who{entra, otherClient, alias, folded, otherHost, otherPartition, alice, lower} {
		mustWrite(t, s, a.write(fmt.Sprintf("w%d", i)))
	}
	upper := entra
	upper.client = "CLIENT-1" // the same client, spelled in capitals by another library
	at := upper.accessToken("extra scope", "upper")
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &at})
}

// hitHome is an Entra home account id (uid.utid, two GUIDs) in capitals: it matches
// its lower-case form.
const hitHome = "0000AAAA-0000-4000-8000-00000000000A.72F988BF-86F1-41AF-91AB-2D7CD011DB47"

// hitOf is what FindHit must return for q given what Find returned.
func hitOf(found domain.CacheEntries, client string) domain.CacheEntries {
	var want domain.CacheEntries
	for _, at := range found.AccessTokens {
		if strings.EqualFold(at.ClientID, client) {
			want.AccessTokens = append(want.AccessTokens, at)
		}
	}
	for _, idt := range found.IDTokens {
		if strings.EqualFold(idt.ClientID, client) {
			want.IDTokens = append(want.IDTokens, idt)
		}
	}
	want.Accounts = found.Accounts
	return want
}

func testHitSameAsFind(t *testing.T, s ports.CacheStore) {
	hitFixture(t, s)
	hr := hitReader(t, s)
	queries := []domain.CacheQuery{
		{Partition: "p", HomeAccountID: hitHome, Environments: domain.EnvironmentAliases("login.microsoftonline.com"), ClientID: "client-1"},
		{Partition: "p", HomeAccountID: strings.ToLower(hitHome), Environments: domain.EnvironmentAliases("login.windows.net"), ClientID: "Client-1"},
		{Partition: "p", HomeAccountID: hitHome, Environments: []string{"login.example.com"}, ClientID: "client-1"},
		{Partition: "p", HomeAccountID: hitHome, Environments: []string{"LOGIN.MICROSOFTONLINE.COM"}, ClientID: "client-2"},
		{Partition: "p", HomeAccountID: hitHome, ClientID: "client-1"},
		{Partition: "q", HomeAccountID: hitHome, Environments: domain.EnvironmentAliases("login.microsoftonline.com"), ClientID: "client-1"},
		{Partition: "r", HomeAccountID: hitHome, ClientID: "client-1"},
		{Partition: "p", HomeAccountID: "Alice", Environments: []string{"idp.example"}, ClientID: "client-1"},
		{Partition: "p", HomeAccountID: "alice", Environments: []string{"idp.example"}, ClientID: "client-1"},
		{Partition: "p", HomeAccountID: "ALICE", Environments: []string{"idp.example"}, ClientID: "client-1"},
		{Partition: "p", HomeAccountID: hitHome, Environments: domain.EnvironmentAliases("login.microsoftonline.com"), ClientID: "client-3"},
	}
	for _, q := range queries {
		call := fmt.Sprintf("FindHit(%+v)", q)
		got, err := hr.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("%s = %v; want nil", call, err)
		}
		want := hitOf(mustFind(t, s, q), q.ClientID)
		sameFound(t, call, got, want)
	}
	// The fixture's own expectations, so that a Find that lost a rule does not make a
	// FindHit that lost it pass.
	got, _ := hr.FindHit(t.Context(), queries[0])
	if len(got.AccessTokens) != 4 || len(got.IDTokens) != 3 || len(got.Accounts) != 3 {
		t.Errorf("FindHit(%+v) = %d access tokens, %d ID tokens, %d accounts; want 4, 3, 3 (client-1 in either case, on the three alias hosts)",
			queries[0], len(got.AccessTokens), len(got.IDTokens), len(got.Accounts))
	}
	if got, _ := hr.FindHit(t.Context(), queries[8]); len(got.AccessTokens) != 1 || got.AccessTokens[0].HomeAccountID != "alice" {
		t.Errorf("FindHit for OIDC subject alice = %v; want alice's one access token, never Alice's", got.AccessTokens)
	}
}

func testHitIsACopy(t *testing.T, s ports.CacheStore) {
	a := who{"p", "h", "login.example.com", "realm", "client-1", "u@example.com"}
	w := a.write("copy")
	w.AccessToken.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{"n":1}`)}
	w.IDToken.Extra = map[string]json.RawMessage{"y": json.RawMessage(`[1]`)}
	w.Account.Extra = map[string]json.RawMessage{"z": json.RawMessage(`"s"`)}
	mustWrite(t, s, w)
	hr := hitReader(t, s)
	q := a.query()
	got, err := hr.FindHit(t.Context(), q)
	if err != nil || len(got.AccessTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
		t.Fatalf("FindHit = %v, %v; want one of each", got, err)
	}
	got.AccessTokens[0].Secret = "changed"
	got.AccessTokens[0].Extra["x"][2] = 'N'
	got.AccessTokens[0].Extra["new"] = json.RawMessage(`1`)
	got.IDTokens[0].Extra["y"] = json.RawMessage(`[2]`)
	got.Accounts[0].Extra["z"][1] = 'S'
	again, err := hr.FindHit(t.Context(), q)
	if err != nil {
		t.Fatalf("FindHit = %v; want nil", err)
	}
	sameFound(t, "FindHit after the caller edited an earlier result", again, hitOf(entriesOf(w), a.client))
}

func testHitSeesWrites(t *testing.T, s ports.CacheStore) {
	a := who{"p", "h", "login.example.com", "realm", "client-1", "u@example.com"}
	mustWrite(t, s, a.write("one"))
	newer := a.write("two")
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: newer.AccessToken, IDToken: newer.IDToken})
	hr := hitReader(t, s)
	got, err := hr.FindHit(t.Context(), a.query())
	if err != nil || len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != "at-two" || len(got.IDTokens) != 1 || got.IDTokens[0].Secret != "idt-two" {
		t.Errorf("FindHit after a write replaced the tokens = %v, %v; want the new access and ID token", got, err)
	}
	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "h", Environments: []string{a.env}, ClientID: a.client})
	got, err = hr.FindHit(t.Context(), a.query())
	if err != nil || len(got.AccessTokens)+len(got.IDTokens)+len(got.Accounts) != 0 {
		t.Errorf("FindHit after RemoveAccount = %v, %v; want nothing", got, err)
	}
}

func testHitClosed(t *testing.T, s ports.CacheStore) {
	hr := hitReader(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v; want nil", err)
	}
	_, err := hr.FindHit(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	wantStoreError(t, "FindHit after Close", err, nil)
}

func testHitDoneContext(t *testing.T, s ports.CacheStore) {
	hr := hitReader(t, s)
	_, err := hr.FindHit(cancelled(t), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	wantStoreError(t, "FindHit with a cancelled context", err, context.Canceled)
}
