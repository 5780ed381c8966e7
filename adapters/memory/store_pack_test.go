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

// The partition's key for an account is a string of its own: never a slice of the
// caller's value (which may be a slice of a large decoded document) nor of a packed
// form, which the map would keep alive after the account is repacked.
func TestStore_Write_keyIsItsOwnString(t *testing.T) {
	s, _ := NewStore(StoreConfig{})
	defer s.Close()
	doc := strings.Repeat("x", 1<<16) + "home-1" // a large buffer the caller's id is cut from
	home := doc[len(doc)-len("home-1"):]
	storeWriteAccount(t, s, home, "u@x")
	storeWriteAccount(t, s, home, "u@x") // a repack
	for k, pk := range s.parts["p"].buckets {
		for _, other := range []string{doc, pk.hot, pk.cold} {
			if start, end := uintptr(unsafe.Pointer(unsafe.StringData(other))), uintptr(len(other)); len(other) > 0 &&
				uintptr(unsafe.Pointer(unsafe.StringData(k))) >= start && uintptr(unsafe.Pointer(unsafe.StringData(k))) < start+end {
				t.Errorf("bucket key %q shares the bytes of a %d-byte string; want its own", k, len(other))
			}
		}
		if unsafe.StringData(pk.home) != unsafe.StringData(k) {
			t.Errorf("packed home and map key are two strings; want one, shared")
		}
	}
}
