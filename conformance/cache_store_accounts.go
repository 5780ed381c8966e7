package conformance

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// homesOf returns the sorted "home@environment" names of accounts.
func homesOf(accts []domain.Account) []string {
	var out []string
	for _, a := range accts {
		out = append(out, a.HomeAccountID+"@"+a.Environment)
	}
	slices.Sort(out)
	return out
}

// wantAccounts checks the accounts Accounts(f) returns, by home account and
// environment, in any order.
func wantAccounts(t *testing.T, s ports.CacheStore, f domain.AccountFilter, rule string, want ...string) {
	t.Helper()
	got := homesOf(mustAccounts(t, s, f))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Accounts(%+v) = %q; want %q (%s)", f, got, want, rule)
	}
}

func accountsCases() []storeCase {
	return []storeCase{
		{"NoneIsNotAnError", func(t *testing.T, s ports.CacheStore) {
			wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "an empty store lists no account")
		}},
		{"ListsEveryAccountOfThePartition", func(t *testing.T, s ports.CacheStore) {
			for _, h := range []string{"a", "b", "c"} {
				mustWrite(t, s, who{partition: "p", home: h, env: "login.example.com", realm: "r", client: "c", username: h + "@x"}.write(h))
			}
			a := who{partition: "p", home: "a", env: "login.example.com", realm: "r", client: "c", username: "a@x"}
			mustWrite(t, s, a.write("again"))
			wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "one record per key",
				"a@login.example.com", "b@login.example.com", "c@login.example.com")
			record := mustAccounts(t, s, domain.AccountFilter{Partition: "p", Username: "b@x"})
			if len(record) != 1 {
				t.Fatalf("Accounts(username b@x) returned %d accounts; want 1", len(record))
			}
			want := who{partition: "p", home: "b", env: "login.example.com", realm: "r", client: "c", username: "b@x"}.account()
			for _, d := range diffEntry(record[0], want) {
				t.Errorf("Accounts(username b@x) returned an account with %s", d)
			}
		}},
		{"FiltersByEnvironment", func(t *testing.T, s ports.CacheStore) {
			for _, env := range []string{"login.one.example", "login.two.example", "login.three.example"} {
				mustWrite(t, s, who{partition: "p", home: "h", env: env, realm: "r", client: "c", username: "u@x"}.write(env))
			}
			f := domain.AccountFilter{Partition: "p", Environments: []string{"login.one.example", "login.three.example"}}
			wantAccounts(t, s, f, "environment is any of the filter's", "h@login.one.example", "h@login.three.example")
		}},
		{"UsernameIgnoresCase", testAccountsUsernameIgnoresCase},
		{"FiltersByClient", testAccountsFiltersByClient},
		{"FiltersCombine", func(t *testing.T, s ports.CacheStore) {
			for _, a := range []who{
				{partition: "p", home: "match", env: "login.one.example", realm: "r", client: "c1", username: "same@x"},
				{partition: "p", home: "other-env", env: "login.two.example", realm: "r", client: "c1", username: "same@x"},
				{partition: "p", home: "other-client", env: "login.one.example", realm: "r", client: "c2", username: "same@x"},
				{partition: "p", home: "other-user", env: "login.one.example", realm: "r", client: "c1", username: "else@x"},
			} {
				mustWrite(t, s, a.write(a.home))
			}
			f := domain.AccountFilter{Partition: "p", Environments: []string{"login.one.example"}, Username: "SAME@x", ClientID: "c1"}
			wantAccounts(t, s, f, "every filter applies", "match@login.one.example")
		}},
		{"UsernameFilterFollowsRewrites", func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c", username: "before@x"}
			mustWrite(t, s, a.write("1"))
			a.username = "after@x"
			mustWrite(t, s, a.write("2"))
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: "before@x"}, "the account was rewritten with another username")
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: "after@x"}, "the account's current username", "h@login.example.com")
		}},
	}
}

func testAccountsUsernameIgnoresCase(t *testing.T, s ports.CacheStore) {
	mustWrite(t, s, who{partition: "p", home: "elodie", env: "login.example.com", realm: "r", client: "c", username: "élodie@x.example"}.write("e"))
	mustWrite(t, s, who{partition: "p", home: "zoe", env: "login.example.com", realm: "r", client: "c", username: "ZOË@X.EXAMPLE"}.write("z"))
	mustWrite(t, s, who{partition: "p", home: "plain", env: "login.example.com", realm: "r", client: "c", username: "elodie@x.example"}.write("p"))
	for _, c := range []struct {
		username string
		want     []string
	}{
		{"ÉLODIE@X.EXAMPLE", []string{"elodie@login.example.com"}},
		{"Élodie@x.example", []string{"elodie@login.example.com"}},
		{"élodie@x.example", []string{"elodie@login.example.com"}},
		{"zoë@x.example", []string{"zoe@login.example.com"}},
		{"ELODIE@x.example", []string{"plain@login.example.com"}},
		{"nobody@x.example", nil},
	} {
		wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: c.username},
			"usernames compare case-insensitively (domain.FoldUsername), accents kept", c.want...)
	}
}

func testAccountsFiltersByClient(t *testing.T, s ports.CacheStore) {
	one := who{partition: "p", home: "one", env: "login.example.com", realm: "r", client: "c1", username: "one@x"}
	two := who{partition: "p", home: "two", env: "login.example.com", realm: "r", client: "c2", username: "two@x"}
	mustWrite(t, s, one.write("one"))
	mustWrite(t, s, two.write("two"))
	// Accounts holding a single kind of token of c3 each.
	for i, kind := range []string{"access", "refresh", "id"} {
		a := who{partition: "p", home: "only-" + kind, env: "login.example.com", realm: "r", client: "c3", username: kind + "@x"}
		acct := a.account()
		w := domain.CacheWrite{Partition: "p", Account: &acct}
		switch i {
		case 0:
			at := a.accessToken("read", kind)
			w.AccessToken = &at
		case 1:
			rt := a.refreshToken(kind, base)
			w.RefreshToken = &rt
		case 2:
			idt := a.idToken(kind)
			w.IDToken = &idt
		}
		mustWrite(t, s, w)
	}
	bare := who{partition: "p", home: "bare", env: "login.example.com", realm: "r", username: "bare@x"}.account()
	mustWrite(t, s, domain.CacheWrite{Partition: "p", Account: &bare})
	rule := "accounts holding at least one access, refresh or ID token of the client"
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c1"}, rule, "one@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c2"}, rule, "two@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c3"}, rule,
		"only-access@login.example.com", "only-refresh@login.example.com", "only-id@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c4"}, rule)
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c1", Username: "TWO@x"}, rule+", with the username filter")
}

func removeAccountCases() []storeCase {
	return append([]storeCase{
		{"RemovesTheAccountAndItsClientTokensOnly", testRemoveAccount},
		{"OnlyTheNamedEnvironments", func(t *testing.T, s ports.CacheStore) {
			one := who{partition: "p", home: "h", env: "login.one.example", realm: "r", client: "c", username: "u@x"}
			two := one
			two.env = "login.two.example"
			mustWrite(t, s, one.write("one"))
			mustWrite(t, s, two.write("two"))
			r := domain.AccountRemoval{Partition: "p", HomeAccountID: "h", Environments: []string{one.env}, ClientID: "c"}
			mustRemove(t, s, r)
			want := entriesOf(two.write("two"))
			want.AppMetadata = append(want.AppMetadata, one.appMetadata())
			sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", one.query(), r), mustFind(t, s, one.query()), want)
		}},
		{"UnknownAccountIsNotAnError", func(t *testing.T, s ports.CacheStore) {
			mustRemove(t, s, domain.AccountRemoval{Partition: "p", HomeAccountID: "nobody", ClientID: "c"})
		}},
		{"FamilyRefreshTokensOfEveryClient", func(t *testing.T, s ports.CacheStore) { testRemoveFamilyTokens(t, s, true) }},
		{"WithoutFamilyRefreshTokensTheSiblingsStay", func(t *testing.T, s ports.CacheStore) { testRemoveFamilyTokens(t, s, false) }},
		{"FamilyRefreshTokensOfTheNamedRealmsOnly", func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "sub", env: "issuer.example", client: "sibling"}
			inA, inB := a.refreshToken("realm-a", base), a.refreshToken("realm-b", base)
			inA.FamilyID, inA.Realm, inB.FamilyID, inB.Realm = "1", "realms/a", "1", "realms/b"
			mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &inA})
			mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &inB})
			r := domain.AccountRemoval{Partition: "p", HomeAccountID: "sub", ClientID: "mine", Realms: []string{"realms/a"}, FamilyRefreshTokens: true}
			mustRemove(t, s, r)
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "sub"}
			sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v) (another realm's family token stays)", q, r),
				mustFind(t, s, q), domain.CacheEntries{RefreshTokens: []domain.RefreshToken{inB}})
		}},
	}, sharedRemovalCases()...)
}

// testRemoveFamilyTokens removes an account whose cache holds, beside the app's own
// tokens, a sibling app's family refresh token (FOCI), another client's refresh token
// outside any family, a family token under another cloud's host, and another account's
// family token. With AccountRemoval.FamilyRefreshTokens the sibling's family token goes
// too (ADR 0016: silent would redeem it); without, it stays. The rest stays either way.
func testRemoveFamilyTokens(t *testing.T, s ports.CacheStore, family bool) {
	mine := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "mine", username: "u@x"}
	sibling, plain := mine, mine
	sibling.client, plain.client = "sibling", "plain"
	elsewhere := sibling
	elsewhere.env = "login.elsewhere.example"
	other := who{partition: "p", home: "other", env: mine.env, realm: "r", client: "sibling", username: "o@x"}
	familyToken := func(a who, tag string) domain.RefreshToken {
		rt := a.refreshToken(tag, base)
		rt.FamilyID = "1"
		return rt
	}
	w := mine.write("mine")
	w.RefreshToken.FamilyID = "1"
	mustWrite(t, s, w)
	sib, far, theirs := familyToken(sibling, "sibling"), familyToken(elsewhere, "elsewhere"), familyToken(other, "other")
	plainRT, plainAT := plain.refreshToken("plain", base), plain.accessToken("read", "plain")
	otherAcct := other.account()
	mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &sib})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &far})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &plainRT, AccessToken: &plainAT})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &theirs, Account: &otherAcct})

	r := domain.AccountRemoval{Partition: "p", HomeAccountID: "h", Environments: []string{mine.env}, ClientID: "mine", FamilyRefreshTokens: family}
	mustRemove(t, s, r)
	kept := domain.CacheEntries{
		AccessTokens:  []domain.AccessToken{plainAT},
		RefreshTokens: []domain.RefreshToken{plainRT, far},
		Accounts:      []domain.Account{mine.account()}, // plain's tokens keep it (ADR 0020)
		AppMetadata:   []domain.AppMetadata{mine.appMetadata()},
	}
	rule := "the app's tokens and every family refresh token of the account in the named environments go; another client's non-family token and another cloud's stay"
	if !family {
		kept.RefreshTokens = append(kept.RefreshTokens, sib)
		rule = "without FamilyRefreshTokens a sibling app's family refresh token stays"
	}
	call := fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", mine.query(), r)
	sameFound(t, call+" ("+rule+")", mustFind(t, s, mine.query()), kept)
	call = fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", other.query(), r)
	sameFound(t, call+" (another account's family token stays)", mustFind(t, s, other.query()),
		domain.CacheEntries{RefreshTokens: []domain.RefreshToken{theirs}, Accounts: []domain.Account{otherAcct}})
	// The app lists under the family its removal implies: a family app's listing sees
	// family tokens, an app of no family's does not (usecases' appFamily decides both).
	if family {
		wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Family: "1"},
			"the removed account is not listed to the family; the other account still is", "other@login.example.com")
	} else {
		wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine"},
			"the removed account is not listed to an app of no family, whose own tokens went")
	}
}

func testRemoveAccount(t *testing.T, s ports.CacheStore) {
	mine := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "mine", username: "u@x"}
	theirs := mine
	theirs.client = "theirs"
	other := who{partition: "p", home: "other", env: "login.example.com", realm: "r", client: "mine", username: "o@x"}
	mustWrite(t, s, mine.write("mine"))
	mustWrite(t, s, theirs.write("theirs"))
	mustWrite(t, s, other.write("other"))
	r := domain.AccountRemoval{Partition: "p", HomeAccountID: "h", ClientID: "mine"}
	mustRemove(t, s, r)

	kept := entriesOf(theirs.write("theirs"))
	kept.AppMetadata = []domain.AppMetadata{mine.appMetadata()}
	call := fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", mine.query(), r)
	sameFound(t, call+" (its client's tokens go; other clients' tokens stay, and the record they keep, ADR 0020)", mustFind(t, s, mine.query()), kept)
	call = fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", other.query(), r)
	sameFound(t, call+" (other accounts stay)", mustFind(t, s, other.query()), entriesOf(other.write("other")))
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine"}, "the removed account is not listed to its client", "other@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "mine", Username: "u@x"}, "the removed account is not listed to its client by username")

	r.ClientID = "theirs"
	mustRemove(t, s, r)
	call = fmt.Sprintf("Find(%+v) after RemoveAccount(%+v)", mine.query(), r)
	sameFound(t, call+" (the last client's removal takes the records)", mustFind(t, s, mine.query()),
		domain.CacheEntries{AppMetadata: []domain.AppMetadata{mine.appMetadata()}})
	wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "the removed account is not listed", "other@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: "u@x"}, "the removed account is not listed by username")
}
