package conformance

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

func writeCases() []storeCase {
	return []storeCase{
		{"LandsWhole", testWriteLandsWhole},
		{"RefusedWriteLandsNothing", testWriteRefusedLandsNothing},
		{"CancelledWriteLandsNothing", func(t *testing.T, s ports.CacheStore) {
			before, w := seedForAtomicity(t, s)
			err := s.Write(cancelled(t), w)
			wantStoreError(t, fmt.Sprintf("Write(cancelled ctx, %s)", describeWrite(w)), err, nil)
			sameSnapshot(t, "Export after a Write with a cancelled ctx (nothing of it may land)", mustExport(t, s, w.Partition), before)
		}},
		{"DeletesExactlyTheListedAccessTokens", testWriteDeletesListed},
		{"DeletionOnlyWrite", func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c"}
			at := a.accessToken("read", "old")
			mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &at})
			w := domain.CacheWrite{Partition: "p", DeleteAccessTokens: [][6]string{at.KeyFields()}}
			mustWrite(t, s, w)
			if got := mustFind(t, s, a.query()); len(got.AccessTokens) != 0 {
				t.Errorf("Find after Write(%s) returned %d access tokens; want 0", describeWrite(w), len(got.AccessTokens))
			}
		}},
	}
}

// seedForAtomicity stores an account with an old access token and returns the
// partition's content and a write that would replace every entry and delete the old
// token.
func seedForAtomicity(t *testing.T, s ports.CacheStore) (domain.CacheSnapshot, domain.CacheWrite) {
	t.Helper()
	a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c", username: "u@x"}
	seed := a.write("old")
	mustWrite(t, s, seed)
	w := a.write("new")
	at := a.accessToken("read write extra", "new")
	w.AccessToken = &at
	w.DeleteAccessTokens = [][6]string{seed.AccessToken.KeyFields()}
	w.RefreshToken.CachedAt = base.Add(time.Minute)
	w.Account.Name = "New name"
	w.AppMetadata.FamilyID = ""
	return mustExport(t, s, "p"), w
}

func testWriteLandsWhole(t *testing.T, s ports.CacheStore) {
	before, w := seedForAtomicity(t, s)
	mustWrite(t, s, w)
	want := snapshotOf(w)
	// The old access token was deleted; nothing else of the seed is left, as every
	// other entry has the same key as one of w.
	if len(before.AccessTokens) != 1 {
		t.Fatalf("seed holds %d access tokens; want 1", len(before.AccessTokens))
	}
	sameSnapshot(t, fmt.Sprintf("Export after Write(%s)", describeWrite(w)), mustExport(t, s, "p"), want)
}

// testWriteRefusedLandsNothing makes each kind of entry in turn carry an Extra value
// that is not JSON: the write must fail and leave the store as it was.
func testWriteRefusedLandsNothing(t *testing.T, s ports.CacheStore) {
	bad := map[string]json.RawMessage{"broken": json.RawMessage(`{"unterminated": `)}
	spoil := []struct {
		kind string
		set  func(*domain.CacheWrite)
	}{
		{"access token", func(w *domain.CacheWrite) { w.AccessToken.Extra = bad }},
		{"refresh token", func(w *domain.CacheWrite) { w.RefreshToken.Extra = bad }},
		{"ID token", func(w *domain.CacheWrite) { w.IDToken.Extra = bad }},
		{"account", func(w *domain.CacheWrite) { w.Account.Extra = bad }},
		{"app metadata", func(w *domain.CacheWrite) { w.AppMetadata.Extra = bad }},
	}
	before, _ := seedForAtomicity(t, s)
	for _, sp := range spoil {
		_, w := seedForAtomicity(t, s)
		sp.set(&w)
		err := s.Write(t.Context(), w)
		wantStoreError(t, fmt.Sprintf("Write(%s) with an %s Extra that is not JSON", describeWrite(w), sp.kind), err, nil)
		sameSnapshot(t, fmt.Sprintf("Export after a Write refused for its %s (nothing of it may land)", sp.kind), mustExport(t, s, "p"), before)
	}
}

func testWriteDeletesListed(t *testing.T, s ports.CacheStore) {
	a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c"}
	b := who{partition: "p", home: "other", env: "login.example.com", realm: "r", client: "c"}
	var keys [][6]string
	for _, target := range []string{"a", "b", "c"} {
		at := a.accessToken(target, target)
		mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &at})
		keys = append(keys, at.KeyFields())
	}
	otherA, otherB := b.accessToken("a", "other-a"), b.accessToken("b", "other-b")
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &otherA})
	mustWrite(t, s, domain.CacheWrite{Partition: "p", AccessToken: &otherB})
	at := a.accessToken("a b d", "new")
	w := domain.CacheWrite{Partition: "p", AccessToken: &at, DeleteAccessTokens: [][6]string{keys[0], keys[1], otherB.KeyFields(),
		{"accesstoken", "nobody", "login.example.com", "c", "r", "c"},
		{"idtoken", keys[2][1], keys[2][2], keys[2][3], keys[2][4], keys[2][5]}, // not an access token's: kept
	}}
	mustWrite(t, s, w)
	call := fmt.Sprintf("Find(%+v) after Write(%s)", a.query(), describeWrite(w))
	kept := a.accessToken("c", "c")
	sameEntries(t, call, "access token", mustFind(t, s, a.query()).AccessTokens, []domain.AccessToken{kept, at})
	call = fmt.Sprintf("Find(%+v) after Write(%s)", b.query(), describeWrite(w))
	sameEntries(t, call, "access token", mustFind(t, s, b.query()).AccessTokens, []domain.AccessToken{otherA})
}
