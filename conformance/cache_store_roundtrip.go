package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// trickyExtra returns Extra fields that only survive when stored byte for byte:
// whitespace, key order, escapes, number spellings, nesting and unicode.
func trickyExtra(kind string) map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"kind":        json.RawMessage(fmt.Sprintf("%q", kind)),
		"spaced":      json.RawMessage(" {  \"b\" : 1,\n\t\"a\" : [ 1 , 2 ] } "),
		"escaped":     json.RawMessage(`"caf\u00e9 \"q\" \/ é"`),
		"number":      json.RawMessage(`1.50e+03`),
		"nested":      json.RawMessage(`{"z":{"y":[true,false,null,{"x":"日本"}]}}`),
		"null":        json.RawMessage(`null`),
		"empty_array": json.RawMessage(`[]`),
	}
}

// bigSecret returns a secret of about 64 KiB.
func bigSecret(tag string) domain.Secret {
	return domain.Secret(tag + strings.Repeat("0123456789abcdef", 64*1024/16))
}

// full is an account whose entries set every field, with unicode and large secrets.
var full = who{
	partition: "round-trip", home: "0f1e2d3c-uid.9a8b7c6d-utid", env: "login.example.com",
	realm: "9a8b7c6d-utid", client: "client-ü", username: "Élodie.Ñúñez@例え.jp",
}

func fullWrite() domain.CacheWrite {
	at := domain.AccessToken{
		HomeAccountID: full.home, Environment: full.env, ClientID: full.client, Realm: full.realm,
		Target: "Mail.Send User.Read https://graph.example.com/.default", Secret: bigSecret("at-"),
		TokenType: "pop", CachedAt: base, ExpiresOn: base.Add(90 * time.Minute),
		ExtendedExpiresOn: base.Add(3 * time.Hour), RefreshOn: base.Add(45 * time.Minute),
		KeyID: "key-1", Extra: trickyExtra("at"),
	}
	rt := domain.RefreshToken{
		HomeAccountID: full.home, Environment: full.env, ClientID: full.client, FamilyID: "1",
		Target: at.Target, Secret: bigSecret("rt-"), CachedAt: base, Extra: trickyExtra("rt"),
	}
	idt := domain.IDToken{
		HomeAccountID: full.home, Environment: full.env, ClientID: full.client, Realm: full.realm,
		Secret: bigSecret("idt-"), Extra: trickyExtra("idt"),
	}
	acct := domain.Account{
		HomeAccountID: full.home, Environment: full.env, Realm: full.realm, LocalAccountID: "0f1e2d3c-oid",
		Username: full.username, Name: "Zoë Ångström 😀", AuthorityType: domain.AuthorityTypeMSSTS, Extra: trickyExtra("account"),
	}
	md := domain.AppMetadata{ClientID: full.client, Environment: full.env, FamilyID: "1", Extra: trickyExtra("appmetadata")}
	return domain.CacheWrite{Partition: full.partition, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct, AppMetadata: &md}
}

// emptyWrite sets only the fields an entry cannot do without.
func emptyWrite() domain.CacheWrite {
	a := who{partition: "", home: "sparse", env: "login.example.com", client: "c"}
	at := domain.AccessToken{HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Target: "read", Secret: "at", ExpiresOn: base}
	rt := domain.RefreshToken{HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Secret: "rt"}
	idt := domain.IDToken{HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Secret: "idt"}
	acct := domain.Account{HomeAccountID: a.home, Environment: a.env}
	md := domain.AppMetadata{ClientID: a.client, Environment: a.env}
	return domain.CacheWrite{Partition: a.partition, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct, AppMetadata: &md}
}

func roundTripCases() []storeCase {
	return []storeCase{
		{"EveryFieldThroughFind", func(t *testing.T, s ports.CacheStore) {
			w := fullWrite()
			mustWrite(t, s, w)
			q := full.query()
			sameFound(t, fmt.Sprintf("Find(%+v) after Write(%s)", q, describeWrite(w)), mustFind(t, s, q), entriesOf(w))
		}},
		{"EveryFieldThroughExport", func(t *testing.T, s ports.CacheStore) {
			w := fullWrite()
			mustWrite(t, s, w)
			got := mustExport(t, s, w.Partition)
			sameSnapshot(t, fmt.Sprintf("Export(%q) after Write(%s)", w.Partition, describeWrite(w)), got, snapshotOf(w))
		}},
		{"EmptyOptionalFieldsStayEmpty", func(t *testing.T, s ports.CacheStore) {
			w := emptyWrite()
			mustWrite(t, s, w)
			q := domain.CacheQuery{Partition: w.Partition, HomeAccountID: w.Account.HomeAccountID, ClientID: w.AppMetadata.ClientID}
			sameFound(t, fmt.Sprintf("Find(%+v) after Write(%s)", q, describeWrite(w)), mustFind(t, s, q), entriesOf(w))
		}},
		{"TimesKeepTheirSecond", testTimesKeepTheirSecond},
		{"StoredEntriesAreNotShared", testStoredEntriesAreNotShared},
		{"UpsertReplacesTheSameKey", func(t *testing.T, s ports.CacheStore) {
			a := who{home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
			mustWrite(t, s, a.write("first"))
			second := a.write("second")
			second.AccessToken.ExpiresOn = base.Add(5 * time.Hour)
			second.Account.Name = "Renamed"
			mustWrite(t, s, second)
			sameFound(t, fmt.Sprintf("Find(%+v) after two writes of the same keys", a.query()), mustFind(t, s, a.query()), entriesOf(second))
		}},
	}
}

// testTimesKeepTheirSecond writes times with fractions of a second in another time
// zone and wants the same instants back at second precision.
func testTimesKeepTheirSecond(t *testing.T, s ports.CacheStore) {
	a := who{home: "clock", env: "login.example.com", realm: "r", client: "c"}
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	at := a.accessToken("read", "t")
	at.CachedAt = base.In(zone).Add(999 * time.Millisecond)
	at.ExpiresOn = base.Add(time.Hour + 1).In(zone)
	at.ExtendedExpiresOn = base.Add(2*time.Hour + 500*time.Millisecond)
	at.RefreshOn = time.Time{}
	rt := a.refreshToken("t", base.Add(123456789*time.Nanosecond))
	w := domain.CacheWrite{Partition: a.partition, AccessToken: &at, RefreshToken: &rt}
	mustWrite(t, s, w)
	got := mustFind(t, s, a.query())
	call := fmt.Sprintf("Find(%+v)", a.query())
	if len(got.AccessTokens) != 1 || len(got.RefreshTokens) != 1 {
		t.Fatalf("%s returned %d access and %d refresh tokens; want 1 and 1", call, len(got.AccessTokens), len(got.RefreshTokens))
	}
	g := got.AccessTokens[0]
	for _, c := range []struct {
		field     string
		got, want time.Time
	}{
		{"CachedAt", g.CachedAt, at.CachedAt}, {"ExpiresOn", g.ExpiresOn, at.ExpiresOn},
		{"ExtendedExpiresOn", g.ExtendedExpiresOn, at.ExtendedExpiresOn},
		{"RefreshToken.CachedAt", got.RefreshTokens[0].CachedAt, rt.CachedAt},
	} {
		if c.got.Unix() != c.want.Unix() {
			t.Errorf("%s returned %s %s; want the same second as %s", call, c.field, show(c.got), show(c.want))
		}
	}
	if !g.RefreshOn.IsZero() {
		t.Errorf("%s returned RefreshOn %s; want the zero time it was written with", call, show(g.RefreshOn))
	}
}

// testStoredEntriesAreNotShared changes the values it wrote and the values it read
// back: the store's entries must not change with them.
func testStoredEntriesAreNotShared(t *testing.T, s ports.CacheStore) {
	w := fullWrite()
	mustWrite(t, s, w)
	want := entriesOf(fullWrite())
	scribble := func(m map[string]json.RawMessage) {
		for k := range m {
			if len(m[k]) > 0 {
				m[k][0] = '#'
			}
		}
		m["added"] = json.RawMessage(`1`)
	}
	scribble(w.AccessToken.Extra)
	scribble(w.Account.Extra)
	q := full.query()
	got := mustFind(t, s, q)
	sameFound(t, fmt.Sprintf("Find(%+v) after the caller changed the Extra maps it wrote", q), got, want)
	for _, e := range got.AccessTokens {
		scribble(e.Extra)
	}
	for _, e := range got.RefreshTokens {
		scribble(e.Extra)
	}
	for _, e := range got.AppMetadata {
		scribble(e.Extra)
	}
	sameFound(t, fmt.Sprintf("Find(%+v) after the caller changed the Extra maps Find returned", q), mustFind(t, s, q), want)
	snap := mustExport(t, s, full.partition)
	for _, e := range snap.Accounts {
		scribble(e.Extra)
	}
	for _, e := range snap.IDTokens {
		scribble(e.Extra)
	}
	sameFound(t, fmt.Sprintf("Find(%+v) after the caller changed the Extra maps Export returned", q), mustFind(t, s, q), want)
}
