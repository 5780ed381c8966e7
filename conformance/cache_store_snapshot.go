package conformance

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// richSnapshot is a partition's worth of entries: several accounts, environments and
// clients, app-only tokens and the every-field entries of the round-trip cases.
func richSnapshot() domain.CacheSnapshot {
	var ws []domain.CacheWrite
	for i := range 5 {
		for _, env := range []string{"login.one.example", "login.two.example"} {
			a := who{home: fmt.Sprintf("home-%d", i), env: env, realm: "r", client: fmt.Sprintf("client-%d", i%2), username: fmt.Sprintf("User%d@X", i)}
			ws = append(ws, a.write(fmt.Sprintf("%d-%s", i, env)))
		}
	}
	ws = append(ws, fullWrite(), emptyWrite())
	s := snapshotOf(ws...)
	app := who{env: "login.one.example", realm: "tenant", client: "daemon"}
	s.AccessTokens = append(s.AccessTokens, app.accessToken("https://api.example.com/.default", "app"))
	s.AppMetadata = append(s.AppMetadata, app.appMetadata())
	return dedupe(s)
}

// dedupe keeps the last of the entries of equal KeyFields, as an import would.
func dedupe(s domain.CacheSnapshot) domain.CacheSnapshot {
	return domain.CacheSnapshot{
		AccessTokens: lastByKey(s.AccessTokens), RefreshTokens: lastByKey(s.RefreshTokens),
		IDTokens: lastByKey(s.IDTokens), Accounts: lastByKey(s.Accounts), AppMetadata: lastByKey(s.AppMetadata),
	}
}

func lastByKey[E keyer](in []E) []E {
	at := map[[6]string]int{}
	var out []E
	for _, e := range in {
		if i, ok := at[e.KeyFields()]; ok {
			out[i] = e
			continue
		}
		at[e.KeyFields()] = len(out)
		out = append(out, e)
	}
	return out
}

func snapshotCases() []storeCase {
	return []storeCase{
		{"ExportOfAnEmptyPartition", func(t *testing.T, s ports.CacheStore) {
			if got := mustExport(t, s, "nothing-here"); got.Len() != 0 {
				t.Errorf("Export(%q) of an empty partition = %s; want nothing", "nothing-here", describeSnapshot(got))
			}
		}},
		{"ExportAfterImportEqualsTheSnapshot", func(t *testing.T, s ports.CacheStore) {
			snap := richSnapshot()
			mustImport(t, s, "p", snap)
			sameSnapshot(t, fmt.Sprintf("Export(%q) after Import(%q, %s)", "p", "p", describeSnapshot(snap)), mustExport(t, s, "p"), snap)
		}},
		{"ImportKeepsEntriesNotInTheSnapshot", func(t *testing.T, s ports.CacheStore) {
			kept := who{partition: "p", home: "kept", env: "login.example.com", realm: "r", client: "c", username: "k@x"}
			mustWrite(t, s, kept.write("kept"))
			snap := richSnapshot()
			mustImport(t, s, "p", snap)
			k := snapshotOf(kept.write("kept"))
			want := dedupe(domain.CacheSnapshot{ // the snapshot's entries win where keys are equal
				AccessTokens: append(k.AccessTokens, snap.AccessTokens...), RefreshTokens: append(k.RefreshTokens, snap.RefreshTokens...),
				IDTokens: append(k.IDTokens, snap.IDTokens...), Accounts: append(k.Accounts, snap.Accounts...),
				AppMetadata: append(k.AppMetadata, snap.AppMetadata...),
			})
			sameSnapshot(t, fmt.Sprintf("Export(%q) after Import(%q, %s) over an earlier write", "p", "p", describeSnapshot(snap)), mustExport(t, s, "p"), want)
		}},
		{"ImportedEntriesAreIndexed", func(t *testing.T, s ports.CacheStore) {
			mustImport(t, s, "p", richSnapshot())
			a := who{partition: "p", home: "home-3", env: "login.two.example", realm: "r", client: "client-1", username: "User3@X"}
			q := domain.CacheQuery{Partition: "p", HomeAccountID: a.home, Environments: []string{a.env}, ClientID: a.client}
			sameFound(t, fmt.Sprintf("Find(%+v) after Import", q), mustFind(t, s, q), entriesOf(a.write("3-"+a.env)))
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: "user3@x"}, "imported accounts are listed by username",
				"home-3@login.one.example", "home-3@login.two.example")
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "client-1", Environments: []string{"login.one.example"}},
				"imported tokens count for the client filter", "home-1@login.one.example", "home-3@login.one.example")
		}},
		{"ImportObeysRefreshTokenOrder", testImportRefreshOrder},
		{"ClearPartitionDeletesThatPartitionOnly", testClearPartition},
		{"RefusedImportLandsNothing", testImportRefusedLandsNothing},
	}
}

func testImportRefreshOrder(t *testing.T, s ports.CacheStore) {
	a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c"}
	b, c := a, a
	b.client, c.client = "c-equal", "c-older"
	stored := []domain.RefreshToken{a.refreshToken("stored-a", base), b.refreshToken("stored-b", base), c.refreshToken("stored-c", base.Add(time.Hour))}
	mustImport(t, s, "p", domain.CacheSnapshot{RefreshTokens: stored})
	incoming := []domain.RefreshToken{a.refreshToken("newer", base.Add(time.Minute)), b.refreshToken("equal", base), c.refreshToken("older", base)}
	mustImport(t, s, "p", domain.CacheSnapshot{RefreshTokens: incoming})
	want := []domain.RefreshToken{incoming[0], incoming[1], stored[2]}
	sameEntries(t, "Export after importing newer, equal and older refresh tokens over stored ones (an older one never replaces a newer one)",
		"refresh token", mustExport(t, s, "p").RefreshTokens, want)
}

func testImportRefusedLandsNothing(t *testing.T, s ports.CacheStore) {
	seed := who{partition: "p", home: "seed", env: "login.example.com", realm: "r", client: "c", username: "s@x"}
	mustWrite(t, s, seed.write("seed"))
	before := mustExport(t, s, "p")
	bad := map[string]json.RawMessage{"broken": json.RawMessage(`[1, 2`)}
	for _, kind := range []string{"access token", "refresh token", "ID token", "account", "app metadata"} {
		snap := richSnapshot()
		switch kind {
		case "access token":
			snap.AccessTokens[len(snap.AccessTokens)-1].Extra = bad
		case "refresh token":
			snap.RefreshTokens[len(snap.RefreshTokens)-1].Extra = bad
		case "ID token":
			snap.IDTokens[len(snap.IDTokens)-1].Extra = bad
		case "account":
			snap.Accounts[len(snap.Accounts)-1].Extra = bad
		case "app metadata":
			snap.AppMetadata[len(snap.AppMetadata)-1].Extra = bad
		}
		err := s.Import(t.Context(), "p", snap)
		wantStoreError(t, fmt.Sprintf("Import(%q, %s) with an %s Extra that is not JSON", "p", describeSnapshot(snap), kind), err, nil)
		sameSnapshot(t, fmt.Sprintf("Export after an Import refused for its %s (nothing of it may land)", kind), mustExport(t, s, "p"), before)
	}
}

// testClearPartition checks ports.PartitionClearer, for a store that has it: every
// entry of the partition goes, foreign sections included; another partition stays.
func testClearPartition(t *testing.T, s ports.CacheStore) {
	pc, ok := s.(ports.PartitionClearer)
	if !ok {
		t.Skip("the store has no ports.PartitionClearer")
	}
	snap := richSnapshot()
	snap.ForeignSections = []domain.ForeignSection{foreign("unknownEntity", `{"k":"v"}`)}
	mustImport(t, s, "p", snap)
	mustImport(t, s, "other", snap)
	a := who{partition: "p", home: "home-3", env: "login.two.example", realm: "r", client: "client-1", username: "User3@X"}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: a.home, Environments: []string{a.env}, ClientID: a.client}
	// Read the account the way a silent hit does, so that a cache in front holds it.
	hit := func() domain.CacheEntries {
		hr, ok := s.(ports.HitReader)
		if !ok {
			return mustFind(t, s, q)
		}
		e, err := hr.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("FindHit(%+v) = %v; want nil error", q, err)
		}
		return e
	}
	if got := hit(); len(got.AccessTokens) == 0 {
		t.Fatalf("FindHit(%+v) before ClearPartition found no access token; want the imported one", q)
	}
	if err := pc.ClearPartition(t.Context(), "p"); err != nil {
		t.Fatalf("ClearPartition(%q) = %v; want nil", "p", err)
	}
	sameFound(t, fmt.Sprintf("FindHit(%+v) after ClearPartition", q), hit(), domain.CacheEntries{})
	sameFound(t, fmt.Sprintf("Find(%+v) after ClearPartition", q), mustFind(t, s, q), domain.CacheEntries{})
	if got := mustExport(t, s, "p"); got.Len() != 0 || len(got.ForeignSections) != 0 {
		t.Errorf("Export(%q) after ClearPartition = %s; want nothing", "p", describeSnapshot(got))
	}
	sameSnapshot(t, fmt.Sprintf("Export(%q) after ClearPartition(%q)", "other", "p"), mustExport(t, s, "other"), snap)
	if err := pc.ClearPartition(t.Context(), "never-written"); err != nil {
		t.Errorf("ClearPartition of an empty partition = %v; want nil", err)
	}
}
