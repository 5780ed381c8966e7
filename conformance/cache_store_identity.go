package conformance

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// identityCases test the identity rules of DESIGN §3 at the store: OIDC subjects are
// case-sensitive while Entra's uid.utid are not, and two issuers on one host (realms
// realms/a and realms/b) keep apart every entry, refresh tokens included, and every
// removal.
func identityCases() []storeCase {
	return []storeCase{
		{"CaseDistinctSubjectsAreTwoAccounts", testCaseDistinctSubjects},
		{"EntraHomeAccountIDsMatchInAnyCase", testEntraHomeAccountIDCase},
		{"TwoIssuersOnOneHostKeepTheirRefreshTokens", testTwoIssuersRefreshTokens},
		{"RemovalOfOneIssuerRealmKeepsTheOther", testRemoveOneIssuerRealm},
	}
}

// issuerAccount is a user of issuer realm on the host idp.example whose refresh token
// carries that realm, as an OIDC issuer's does.
func issuerAccount(home, realm string) who {
	return who{partition: "p", home: home, env: "idp.example", realm: realm, client: "app", username: home + "@idp.example"}
}

func issuerWrite(a who, tag string) domain.CacheWrite {
	w := a.write(tag)
	w.RefreshToken.Realm = a.realm
	return w
}

func testCaseDistinctSubjects(t *testing.T, s ports.CacheStore) {
	upper, lower := issuerAccount("Alice", "realms/a"), issuerAccount("alice", "realms/a")
	wu, wl := issuerWrite(upper, "upper"), issuerWrite(lower, "lower")
	mustWrite(t, s, wu)
	mustWrite(t, s, wl)
	sameFound(t, `Find("Alice")`, mustFind(t, s, upper.query()), entriesOf(wu))
	sameFound(t, `Find("alice")`, mustFind(t, s, lower.query()), entriesOf(wl))
	if got := mustAccounts(t, s, domain.AccountFilter{Partition: "p"}); len(got) != 2 {
		t.Errorf("Accounts = %d records; want 2 (subjects Alice and alice are two people)", len(got))
	}
	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "alice", ClientID: "app"})
	sameFound(t, `Find("Alice") after removing "alice"`, mustFind(t, s, upper.query()), entriesOf(wu))
	if got := mustFind(t, s, lower.query()); len(got.AccessTokens)+len(got.RefreshTokens)+len(got.IDTokens)+len(got.Accounts) != 0 {
		t.Errorf(`Find("alice") after its removal = %s; want nothing`, describeSnapshot(got.Snapshot()))
	}
}

func testEntraHomeAccountIDCase(t *testing.T, s ports.CacheStore) {
	const home = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	a := who{partition: "p", home: home, env: "login.microsoftonline.com", realm: "72f988bf-86f1-41af-91ab-2d7cd011db47", client: "app", username: "u@contoso.com"}
	w := a.write("entra")
	mustWrite(t, s, w)
	q := a.query()
	q.HomeAccountID = strings.ToLower(home)
	sameFound(t, "Find(the Entra home account id in lower case)", mustFind(t, s, q), entriesOf(w))
	// A second write under the lower-case id replaces the first: one key.
	b := a
	b.home = strings.ToLower(home)
	w2 := b.write("again")
	mustWrite(t, s, w2)
	if got := mustFind(t, s, q); len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != "at-again" {
		t.Errorf("Find after rewriting under the lower-case id = %d access tokens; want 1, the rewritten one", len(got.AccessTokens))
	}
	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: strings.ToLower(home), ClientID: "app"})
	if got := mustFind(t, s, a.query()); len(got.AccessTokens)+len(got.Accounts) != 0 {
		t.Errorf("Find after removing the lower-case id = %s; want nothing", describeSnapshot(got.Snapshot()))
	}
}

func testTwoIssuersRefreshTokens(t *testing.T, s ports.CacheStore) {
	a, b := issuerAccount("sub-1", "realms/a"), issuerAccount("sub-1", "realms/b")
	wa, wb := issuerWrite(a, "a"), issuerWrite(b, "b")
	mustWrite(t, s, wa)
	mustWrite(t, s, wb)
	got := mustFind(t, s, a.query())
	sameFound(t, "Find(sub-1 of two issuers on one host)", got, oneAppMetadata(entriesOf(wa, wb)))
	if len(got.RefreshTokens) != 2 {
		t.Errorf("Find = %d refresh tokens; want 2, one per issuer realm (the second must not overwrite the first)", len(got.RefreshTokens))
	}
}

func testRemoveOneIssuerRealm(t *testing.T, s ports.CacheStore) {
	a, b, root := issuerAccount("sub-1", "realms/a"), issuerAccount("sub-1", "realms/b"), issuerAccount("sub-1", "")
	wa, wb, wroot := issuerWrite(a, "a"), issuerWrite(b, "b"), issuerWrite(root, "root")
	for _, w := range []domain.CacheWrite{wa, wb, wroot} {
		mustWrite(t, s, w)
	}
	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "sub-1", ClientID: "app", Realms: []string{"realms/a"}})
	sameFound(t, "Find after removing realm realms/a", mustFind(t, s, a.query()), oneAppMetadata(entriesOf(wb, wroot)))
	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "sub-1", ClientID: "app", Realms: []string{""}})
	sameFound(t, `Find after removing the root issuer's realm ""`, mustFind(t, s, a.query()), entriesOf(wb))
}

// oneAppMetadata keeps the first app metadata of e: the writes of one client on one host
// share it.
func oneAppMetadata(e domain.CacheEntries) domain.CacheEntries {
	e.AppMetadata = e.AppMetadata[:1]
	return e
}
