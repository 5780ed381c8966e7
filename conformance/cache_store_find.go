package conformance

import (
	"fmt"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

func findCases() []storeCase {
	return []storeCase{
		{"NothingFoundIsNotAnError", func(t *testing.T, s ports.CacheStore) {
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "nobody", ClientID: "c"}
			got := mustFind(t, s, q)
			sameFound(t, fmt.Sprintf("Find(%+v) on an empty store", q), got, domain.CacheEntries{})
		}},
		{"ReturnsOnlyTheQueriedAccount", func(t *testing.T, s ports.CacheStore) {
			alice := who{partition: "p", home: "alice", env: "login.example.com", realm: "r", client: "c", username: "alice@x"}
			bob := who{partition: "p", home: "bob", env: "login.example.com", realm: "r", client: "c", username: "bob@x"}
			mustWrite(t, s, alice.write("alice"))
			mustWrite(t, s, bob.write("bob"))
			want := entriesOf(alice.write("alice"))
			sameFound(t, fmt.Sprintf("Find(%+v) with alice and bob cached", alice.query()), mustFind(t, s, alice.query()), want)
		}},
		{"FiltersByEnvironment", testFindFiltersByEnvironment},
		{"ReturnsTokensOfEveryClient", testFindReturnsTokensOfEveryClient},
		{"AppOnlyEntriesAreTheirOwnAccount", testFindAppOnly},
	}
}

func testFindFiltersByEnvironment(t *testing.T, s ports.CacheStore) {
	envs := []string{"login.one.example", "login.two.example", "login.three.example"}
	var writes []domain.CacheWrite
	for _, env := range envs {
		a := who{partition: "p", home: "h", env: env, realm: "r", client: "c", username: "u@x"}
		writes = append(writes, a.write(env))
		mustWrite(t, s, writes[len(writes)-1])
	}
	for _, c := range []struct {
		envs []string
		want []domain.CacheWrite
	}{
		{nil, writes},
		{[]string{envs[0], envs[2]}, []domain.CacheWrite{writes[0], writes[2]}},
		{[]string{envs[1]}, []domain.CacheWrite{writes[1]}},
		{[]string{"login.elsewhere.example"}, nil},
	} {
		q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: c.envs, ClientID: "c"}
		sameFound(t, fmt.Sprintf("Find(%+v) with entries in %q", q, envs), mustFind(t, s, q), entriesOf(c.want...))
	}
}

func testFindReturnsTokensOfEveryClient(t *testing.T, s ports.CacheStore) {
	one := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "client-one", username: "u@x"}
	two := one
	two.client = "client-two"
	w1, w2 := one.write("one"), two.write("two")
	mustWrite(t, s, w1)
	mustWrite(t, s, w2)
	want := entriesOf(w1, w2)
	want.AppMetadata = []domain.AppMetadata{*w1.AppMetadata}
	want.Accounts = want.Accounts[:1] // both writes carry the same account record
	q := one.query()
	sameFound(t, fmt.Sprintf("Find(%+v) with tokens of two clients", q), mustFind(t, s, q), want)

	stranger := domain.CacheQuery{Partition: "p", HomeAccountID: "nobody", ClientID: "client-two"}
	got := mustFind(t, s, stranger)
	sameFound(t, fmt.Sprintf("Find(%+v) (app metadata is the client's, whatever the account)", stranger),
		got, domain.CacheEntries{AppMetadata: []domain.AppMetadata{*w2.AppMetadata}})
}

func testFindAppOnly(t *testing.T, s ports.CacheStore) {
	user := who{partition: "p", home: "user", env: "login.example.com", realm: "tenant", client: "c", username: "u@x"}
	app := who{partition: "p", home: "", env: "login.example.com", realm: "tenant", client: "c"}
	mustWrite(t, s, user.write("user"))
	appToken := app.accessToken("https://api.example.com/.default", "app")
	md := app.appMetadata()
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &appToken, AppMetadata: &md})
	q := app.query()
	sameFound(t, fmt.Sprintf("Find(%+v) for app-only tokens", q), mustFind(t, s, q),
		domain.CacheEntries{AccessTokens: []domain.AccessToken{appToken}, AppMetadata: []domain.AppMetadata{md}})
	got := mustFind(t, s, user.query())
	if len(got.AccessTokens) != 1 || got.AccessTokens[0].HomeAccountID != "user" {
		t.Errorf("Find(%+v) returned %d access tokens; want only the user's 1 (app-only tokens belong to no account)", user.query(), len(got.AccessTokens))
	}
}
