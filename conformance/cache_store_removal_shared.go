package conformance

import (
	"fmt"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// sharedRemovalCases check ADR 0020: RemoveAccount keeps an account record while a token
// of another client remains for it, so that the other app, which still holds tokens of
// the account, still lists it (and can sign it out); the removing app no longer does.
func sharedRemovalCases() []storeCase {
	return []storeCase{
		{"AnotherClientsTokensKeepTheRecordsUntilItRemovesToo", testRemovalKeepsSharedRecords},
		{"WhichTokensKeepTheRecords", testRemovalKeepingTokens},
		{"SharedRecordsWithFamilyRefreshTokens", func(t *testing.T, s ports.CacheStore) { testRemovalSharedFamily(t, s, true) }},
		{"SharedRecordsWithoutFamilyRefreshTokens", func(t *testing.T, s ports.CacheStore) { testRemovalSharedFamily(t, s, false) }},
	}
}

// testRemovalKeepsSharedRecords: two apps hold tokens of one account, which has a record
// in two tenants; the second app's tokens are under an alias host. The first app
// removes the account: its tokens go, the records stay and are listed to the second app
// only. The second app removes it: the records go.
func testRemovalKeepsSharedRecords(t *testing.T, s ports.CacheStore) {
	home := who{partition: "p", home: "uid.utid", env: "login.microsoftonline.com", realm: "utid", client: "mine", username: "u@x"}
	guest := home
	guest.realm = "guest-tenant"
	theirs := home
	theirs.client, theirs.env = "theirs", "login.windows.net"
	mustWrite(t, s, home.write("home"))
	mustWrite(t, s, guest.write("guest"))
	at, rt, idt := theirs.accessToken("read", "theirs"), theirs.refreshToken("theirs", base), theirs.idToken("theirs")
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &at, RefreshToken: &rt, IDToken: &idt})

	mine := domain.AccountRemoval{Partition: "p", HomeAccountID: home.home, Environments: []string{home.env}, ClientID: "mine"}
	mustRemove(t, s, mine)
	want := domain.CacheEntries{
		AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{rt}, IDTokens: []domain.IDToken{idt},
		Accounts: []domain.Account{home.account(), guest.account()}, AppMetadata: []domain.AppMetadata{home.appMetadata()},
	}
	sameFound(t, fmt.Sprintf("Find after RemoveAccount(%+v) (the app's tokens go; the records stay while another app's tokens of the account remain, under an alias host too)", mine),
		mustFind(t, s, home.query()), want)
	rule := "after one app's removal the account is listed to the other app, never to the app that removed it"
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "theirs"}, rule, "uid.utid@login.microsoftonline.com", "uid.utid@login.microsoftonline.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Family: domain.AnyFamily}, rule)
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Username: "u@x"}, rule+" (by username)")

	theirRemoval := mine
	theirRemoval.ClientID = "THEIRS" // client ids compare case-insensitively
	mustRemove(t, s, theirRemoval)
	sameFound(t, fmt.Sprintf("Find after RemoveAccount(%+v) too (no other app's token remains: the records go)", theirRemoval),
		mustFind(t, s, home.query()), domain.CacheEntries{AppMetadata: []domain.AppMetadata{home.appMetadata()}})
	wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "once every app removed the account, no record is left")
}

// testRemovalKeepingTokens: the app "mine" removes accounts for which another app holds
// one token each; the record stays exactly when that token is of the removal's scope
// (an alias of the record's environment, one of the removal's realms).
func testRemovalKeepingTokens(t *testing.T, s ports.CacheStore) {
	type token func(a who) domain.CacheWrite
	access := func(a who) domain.CacheWrite {
		at := a.accessToken("read", a.home)
		return domain.CacheWrite{Partition: a.partition, AccessToken: &at}
	}
	refresh := func(a who) domain.CacheWrite {
		rt := a.refreshToken(a.home, base)
		rt.Realm = a.realm
		return domain.CacheWrite{Partition: a.partition, RefreshToken: &rt}
	}
	id := func(a who) domain.CacheWrite {
		idt := a.idToken(a.home)
		return domain.CacheWrite{Partition: a.partition, IDToken: &idt}
	}
	for _, c := range []struct {
		home      string
		token     token
		env       string // of the other app's token
		realm     string // of the other app's token
		realms    []string
		kept      bool
		rationale string
	}{
		{"access", access, "login.example.com", "r", nil, true, "another app's access token keeps the record"},
		{"refresh", refresh, "login.example.com", "r", nil, true, "another app's refresh token keeps the record"},
		{"id", id, "login.example.com", "r", nil, true, "another app's ID token keeps the record"},
		{"other-tenant", refresh, "login.example.com", "other-tenant", nil, true, "without Realms, another app's token of any tenant keeps the record"},
		{"other-cloud", access, "login.elsewhere.example", "r", nil, false, "another cloud's token keeps nothing"},
		{"same-issuer", access, "login.example.com", "r", []string{"r"}, true, "with Realms, another app's token of the realm keeps the record"},
		{"other-issuer", access, "login.example.com", "other-issuer", []string{"r"}, false, "with Realms, another issuer's token keeps nothing"},
	} {
		mine := who{partition: "p", home: c.home, env: "login.example.com", realm: "r", client: "mine", username: c.home + "@x"}
		other := mine
		other.client, other.env, other.realm = "theirs", c.env, c.realm
		w := mine.write(c.home)
		w.RefreshToken.Realm = mine.realm // an issuer's refresh token is of its realm
		mustWrite(t, s, w)
		mustWrite(t, s, c.token(other))
		r := domain.AccountRemoval{Partition: "p", HomeAccountID: c.home, Environments: []string{mine.env}, ClientID: "mine", Realms: c.realms}
		mustRemove(t, s, r)
		want := []string{}
		if c.kept {
			want = append(want, c.home+"@login.example.com")
		}
		wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: mine.username}, fmt.Sprintf("after RemoveAccount(%+v): %s", r, c.rationale), want...)
	}
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Family: domain.AnyFamily}, "the app that removed the accounts lists none of them")
}

// testRemovalSharedFamily: ADR 0016 with ADR 0020. The family app "mine" removes two
// accounts; for each a sibling app holds a family refresh token, and for the second one
// an access token too. With FamilyRefreshTokens the family tokens go with the removal and
// keep nothing: the first account's records go, the second's stay for the sibling's
// access token. Without it the family tokens remain, and keep both. Neither is listed to
// the app that removed them, under the family filter its removal implies.
func testRemovalSharedFamily(t *testing.T, s ports.CacheStore, family bool) {
	var homes []string
	for _, home := range []string{"family-token-only", "family-token-and-access-token"} {
		mine := who{partition: "p", home: home, env: "login.example.com", realm: "r", client: "mine", username: home + "@x"}
		w := mine.write(home)
		w.RefreshToken.FamilyID = flowFamily
		mustWrite(t, s, w)
		sibling := mine
		sibling.client = "sibling"
		rt := sibling.refreshToken("sibling-"+home, base)
		rt.FamilyID = flowFamily
		sw := domain.CacheWrite{Partition: "p", RefreshToken: &rt}
		if home == "family-token-and-access-token" {
			at := sibling.accessToken("read", "sibling-"+home)
			sw.AccessToken = &at
		}
		mustWrite(t, s, sw)
		r := domain.AccountRemoval{Partition: "p", HomeAccountID: home, Environments: []string{mine.env}, ClientID: "mine", FamilyRefreshTokens: family}
		mustRemove(t, s, r)
		if !family || sw.AccessToken != nil {
			homes = append(homes, home+"@login.example.com")
		}
	}
	listing := ""
	if family {
		listing = flowFamily
	}
	rule := fmt.Sprintf("with FamilyRefreshTokens %v, the records another client's remaining token keeps", family)
	wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, rule, homes...)
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "sibling", Family: flowFamily}, rule+", listed to the sibling", homes...)
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Family: listing}, "the app that removed the accounts lists neither")
}
