package conformance

import (
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// collisionCases hold a store to DESIGN §3's identity: entries that differ in any
// field are two entries, though their keys (Key), which join the fields with unescaped
// dashes, are one. A home account id (an OIDC sub), a client id, a host and a realm may
// each hold dashes. Each case writes two such entries, reads both back, removes one,
// and checks the other stays.
func collisionCases() []storeCase {
	return []storeCase{
		{"AccessTokensOfCollidingKeysAreTwo", testCollidingAccessTokens},
		{"AccountsOfCollidingKeysAreTwo", testCollidingHomes},
		{"ClientsOfCollidingKeysAreTwo", testCollidingClients},
	}
}

// mustCollide fails the test unless a and b are two entries of one key: the case
// tests nothing otherwise.
func mustCollide[E keyer](t *testing.T, a, b E) {
	t.Helper()
	if a.Key() != b.Key() || a.KeyFields() == b.KeyFields() {
		t.Fatalf("fixture: keys %q and %q (fields %q and %q); want one key and two entries", a.Key(), b.Key(), a.KeyFields(), b.KeyFields())
	}
}

// testCollidingAccessTokens: realm "a" with target "b-c" and realm "a-b" with target
// "c" of one account. A rewrite of one replaces it alone; a deletion of one (a
// superseding write) deletes it alone.
func testCollidingAccessTokens(t *testing.T, s ports.CacheStore) {
	a := who{partition: "p", home: "sub-1", env: "idp.example", realm: "a", client: "app"}
	b := a
	b.realm = "a-b"
	atA, atB := a.accessToken("b-c", "a"), b.accessToken("c", "b")
	mustCollide(t, atA, atB)
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &atA})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &atB})
	sameEntries(t, "Find after writing two access tokens of one key", "access token", mustFind(t, s, a.query()).AccessTokens, []domain.AccessToken{atA, atB})

	atA2 := a.accessToken("b-c", "a2")
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &atA2})
	sameEntries(t, "Find after rewriting the first", "access token", mustFind(t, s, a.query()).AccessTokens, []domain.AccessToken{atA2, atB})

	atA3 := a.accessToken("b-c d", "a3")
	w := domain.CacheWrite{Partition: "p", AccessToken: &atA3, DeleteAccessTokens: [][6]string{atA2.KeyFields()}}
	mustWrite(t, s, w)
	sameEntries(t, "Find after Write("+describeWrite(w)+")", "access token", mustFind(t, s, a.query()).AccessTokens, []domain.AccessToken{atA3, atB})
	sameEntries(t, "Export", "access token", mustExport(t, s, "p").AccessTokens, []domain.AccessToken{atA3, atB})

	mustImport(t, s, "q", domain.CacheSnapshot{AccessTokens: []domain.AccessToken{atA, atB}})
	sameEntries(t, "Export after importing both", "access token", mustExport(t, s, "q").AccessTokens, []domain.AccessToken{atA, atB})
}

// testCollidingHomes: subject "x" on host "y-z.example" and subject "x-y" on host
// "z.example" (every credential, account and their keys collide). Removing one
// account keeps the other whole.
func testCollidingHomes(t *testing.T, s ports.CacheStore) {
	x := who{partition: "p", home: "x", env: "y-z.example", realm: "r", client: "app", username: "x@example"}
	xy := who{partition: "p", home: "x-y", env: "z.example", realm: "r", client: "app", username: "xy@example"}
	wx, wxy := x.write("x"), xy.write("xy")
	qx, qxy := x.query(), xy.query() // each on its host: Find returns the client's app metadata of every host
	qx.Environments, qxy.Environments = []string{x.env}, []string{xy.env}
	mustCollide(t, *wx.AccessToken, *wxy.AccessToken)
	mustCollide(t, *wx.RefreshToken, *wxy.RefreshToken)
	mustCollide(t, *wx.IDToken, *wxy.IDToken)
	mustWrite(t, s, wx)
	mustWrite(t, s, wxy)
	sameFound(t, `Find("x")`, mustFind(t, s, qx), entriesOf(wx))
	sameFound(t, `Find("x-y")`, mustFind(t, s, qxy), entriesOf(wxy))
	sameSnapshot(t, "Export", mustExport(t, s, "p"), snapshotOf(wx, wxy))

	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "x", ClientID: "app", Environments: []string{x.env}})
	sameFound(t, `Find("x-y") after removing "x"`, mustFind(t, s, qxy), entriesOf(wxy))
	if got := mustFind(t, s, qx); len(got.AccessTokens)+len(got.RefreshTokens)+len(got.IDTokens)+len(got.Accounts) != 0 {
		t.Errorf(`Find("x") after its removal = %s; want nothing`, describeSnapshot(got.Snapshot()))
	}

	// An import of both accounts at once keeps both too.
	mustImport(t, s, "q", snapshotOf(wx, wxy))
	sameSnapshot(t, "Export after importing both", mustExport(t, s, "q"), snapshotOf(wx, wxy))
}

// testCollidingClients: one account's ID tokens of client "c-1" in realm "r" and of
// client "c" in realm "1-r", account records of realm "a-b" on host "h.example" and
// of realm "b" on host "h.example-a" (one key), and app metadata of client "c-1" on
// host "idp.example" and of client "1" on host "idp.example-c" (one key).
func testCollidingClients(t *testing.T, s ports.CacheStore) {
	a := who{partition: "p", home: "sub-1", env: "idp.example", realm: "r", client: "c-1"}
	b := a
	b.client, b.realm = "c", "1-r"
	idA, idB := a.idToken("a"), b.idToken("b")
	mustCollide(t, idA, idB)
	acctA := who{home: "sub-1", env: "h.example", realm: "a-b"}.account()
	acctB := who{home: "sub-1", env: "h.example-a", realm: "b"}.account()
	if acctA.Key() != acctB.Key() {
		t.Fatalf("fixture: account keys %q and %q; want one", acctA.Key(), acctB.Key())
	}
	mdA := domain.AppMetadata{ClientID: "c-1", Environment: "idp.example", FamilyID: "1"}
	mdB := domain.AppMetadata{ClientID: "1", Environment: "idp.example-c"}
	if mdA.Key() != mdB.Key() {
		t.Fatalf("fixture: app metadata keys %q and %q; want one", mdA.Key(), mdB.Key())
	}
	mustWrite(t, s, domain.CacheWrite{Partition: "p", IDToken: &idA, Account: &acctA, AppMetadata: &mdA})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", IDToken: &idB, Account: &acctB, AppMetadata: &mdB})
	got := mustFind(t, s, a.query())
	sameEntries(t, "Find", "ID token", got.IDTokens, []domain.IDToken{idA, idB})
	sameEntries(t, "Find", "account", got.Accounts, []domain.Account{acctA, acctB})
	sameEntries(t, "Find(client c-1)", "app metadata", got.AppMetadata, []domain.AppMetadata{mdA})
	sameEntries(t, "Find(client 1)", "app metadata", mustFind(t, s, domain.CacheQuery{Partition: "p", HomeAccountID: "sub-1", ClientID: "1"}).AppMetadata, []domain.AppMetadata{mdB})
	both := domain.CacheSnapshot{IDTokens: []domain.IDToken{idA, idB}, Accounts: []domain.Account{acctA, acctB},
		AppMetadata: []domain.AppMetadata{mdA, mdB}}
	sameSnapshot(t, "Export", mustExport(t, s, "p"), both)
	mustImport(t, s, "q", both)
	sameSnapshot(t, "Export after importing both", mustExport(t, s, "q"), both)

	mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "sub-1", ClientID: "c-1", Environments: []string{"h.example", "idp.example"}})
	got = mustFind(t, s, a.query())
	sameEntries(t, "Find after removing client c-1's entries", "ID token", got.IDTokens, []domain.IDToken{idB})
	sameEntries(t, "Find after removing client c-1's entries", "account", got.Accounts, []domain.Account{acctB})
}
