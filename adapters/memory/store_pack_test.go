package memory

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/hexauth/hexauth/domain"
)

// Every field of every kind survives packing, the refresh token's secret too, with
// times at second precision, and each unpacking hands out Extra maps of its own.
func TestPack_roundTripsEveryField(t *testing.T) {
	at := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	extra := func(v string) map[string]json.RawMessage { return map[string]json.RawMessage{"x": json.RawMessage(v)} }
	b := &bucket{
		accessTokens: []domain.AccessToken{{HomeAccountID: "H", Environment: "e", ClientID: "c", Realm: "r", Target: "a b",
			Secret: "at-secret", TokenType: "pop", CachedAt: at, ExpiresOn: at.Add(time.Hour), ExtendedExpiresOn: at.Add(2 * time.Hour),
			RefreshOn: at.Add(30 * time.Minute), KeyID: "kid", Extra: extra(`1`)}},
		idTokens: []domain.IDToken{{HomeAccountID: "H", Environment: "e", ClientID: "c", Realm: "r", Secret: "idt", Extra: extra(`"s"`)}},
		accounts: []domain.Account{{HomeAccountID: "H", Environment: "e", Realm: "r", LocalAccountID: "oid", Username: "U@x",
			Name: "N", AuthorityType: "MSSTS", Extra: extra(`{}`)}},
		refreshTokens: []domain.RefreshToken{{HomeAccountID: "H", Environment: "e", ClientID: "c", FamilyID: "1", Realm: "realms/a",
			Target: "t", Secret: "0.AXEA-refresh_token.Ag", CachedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Extra: extra(`[]`)}},
	}
	got := unpackInto(&bucket{}, pack("h", b))
	for name, eq := range map[string]bool{
		"access token":  equalJSON(t, got.accessTokens, b.accessTokens),
		"ID token":      equalJSON(t, got.idTokens, b.idTokens),
		"account":       equalJSON(t, got.accounts, b.accounts),
		"refresh token": equalJSON(t, got.refreshTokens, b.refreshTokens),
	} {
		if !eq {
			t.Errorf("%s changed by packing", name)
		}
	}
	if got.refreshTokens[0].Secret != b.refreshTokens[0].Secret || !got.accessTokens[0].RefreshOn.Equal(b.accessTokens[0].RefreshOn) {
		t.Errorf("secret or time changed by packing")
	}
	got.accessTokens[0].Extra["x"][0] = '9'
	if again := unpackInto(&bucket{}, pack("h", b)); string(again.accessTokens[0].Extra["x"]) != "1" {
		t.Errorf("Extra after a caller changed an unpacked copy = %s; want 1", again.accessTokens[0].Extra["x"])
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("marshal: %v, %v", err1, err2)
	}
	if string(ja) != string(jb) {
		t.Logf("got  %s\nwant %s", ja, jb)
		return false
	}
	return true
}

// Several accounts may share a username (one per environment, or a renamed user): the
// username index must find each and forget each alone.
func TestStore_Accounts_usernameSharedByAccounts(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	ctx := context.Background()
	for _, h := range []string{"h1", "h2", "h3"} {
		storeWriteAccount(t, s, h, "Same@X")
	}
	list := func() []string {
		accts, err := s.Accounts(ctx, domain.AccountFilter{Partition: "p", Username: "same@x"})
		if err != nil {
			t.Fatalf("Accounts = %v; want nil", err)
		}
		var homes []string
		for _, a := range accts {
			homes = append(homes, a.HomeAccountID)
		}
		return homes
	}
	if got := list(); len(got) != 3 {
		t.Fatalf("Accounts(username same@x) = %v; want h1, h2, h3", got)
	}
	for i, h := range []string{"h1", "h3"} {
		if err := s.RemoveAccount(ctx, domain.AccountRemoval{Partition: "p", HomeAccountID: h, ClientID: "c"}); err != nil {
			t.Fatal(err)
		}
		if got := list(); len(got) != 2-i {
			t.Errorf("Accounts(username same@x) after removing %s = %v; want %d accounts", h, got, 2-i)
		}
	}
	if got := list(); len(got) != 1 || got[0] != "h2" {
		t.Errorf("Accounts(username same@x) = %v; want [h2]", got)
	}
}

// The partition's key for an account is the home account id inside its current packed
// form: never a slice of the caller's value (which may be a slice of a large decoded
// document) nor of an earlier packed form, which the map would keep alive after the
// account is repacked. The username index keeps copies of its own, for the same reason.
func TestStore_Write_keyIsTheCurrentPackedForms(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	doc := strings.Repeat("x", 1<<16) + "home-1" // a large buffer the caller's id is cut from
	home := doc[len(doc)-len("home-1"):]
	storeWriteAccount(t, s, home, "u@x")
	p := s.parts["p"]
	before := p.buckets["home-1"].hot
	storeWriteAccount(t, s, home, "u@x") // a repack
	within := func(sub, s string) bool {
		start, p := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(sub)))
		return len(s) > 0 && p >= start && p < start+uintptr(len(s))
	}
	if len(p.buckets) != 1 {
		t.Fatalf("%d buckets after two writes of one account; want 1", len(p.buckets))
	}
	for k, pk := range p.buckets {
		if k != "home-1" || pk.home() != k {
			t.Errorf("bucket key %q, packed home %q; want home-1 for both", k, pk.home())
		}
		if !within(k, pk.hot) {
			t.Errorf("bucket key is not a substring of the account's packed form; want it to be, so a look-up reads one place")
		}
		for name, other := range map[string]string{"caller's document": doc, "earlier packed form": before, "cold string": pk.cold} {
			if within(k, other) {
				t.Errorf("bucket key shares the bytes of the %s (%d bytes), which it would keep alive", name, len(other))
			}
		}
		for _, h := range p.usernames.homes("u@x") {
			if within(h, pk.hot) || within(h, before) || within(h, doc) {
				t.Errorf("username index entry %q shares the bytes of a packed form or the caller's document; want its own", h)
			}
		}
	}
}
