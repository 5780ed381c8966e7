package webapp

import (
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
)

func TestSessionStore_boundedAndExpiring(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ada := app.Account{HomeAccountID: "ada.tid", Environment: "idp.example"}
	s := newSessionStore(3)
	for i := range 3 {
		s.add(fmt.Sprint(i), session{tenant: "acme", account: ada, expires: now.Add(time.Duration(i+1) * time.Hour)}, now)
	}
	// Full, none expired: the one closest to expiry makes room.
	s.add("3", session{tenant: "acme", account: ada, expires: now.Add(4 * time.Hour)}, now)
	if n := s.len(); n != 3 {
		t.Fatalf("len = %d after a fourth session at bound 3; want 3", n)
	}
	if _, ok := s.get("acme", "0", now); ok {
		t.Fatal("session 0, closest to expiry, survived a full store")
	}
	// Full, two expired: both go, and nothing alive.
	later := now.Add(3*time.Hour + time.Minute)
	s.add("4", session{tenant: "acme", account: ada, expires: later.Add(time.Hour)}, later)
	if n := s.len(); n != 2 {
		t.Fatalf("len = %d; want 2 (3 and 4): the expired ones dropped, none alive", n)
	}
	for _, id := range []string{"3", "4"} {
		if _, ok := s.get("acme", id, later); !ok {
			t.Fatalf("live session %s was dropped", id)
		}
	}
	// Expired on read, and never another tenant's.
	if _, ok := s.get("globex", "4", later); ok {
		t.Fatal("acme's session found under globex")
	}
	if _, ok := s.get("acme", "3", now.Add(4*time.Hour)); ok {
		t.Fatal("session 3 found at its expiry")
	}
}

// One account signing in again and again (dropping its cookie each time) pushes out
// its own oldest sessions, never another account's.
func TestSessionStore_perAccountBound(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ada := app.Account{HomeAccountID: "ada.tid", Environment: "idp.example"}
	bob := app.Account{HomeAccountID: "bob.tid", Environment: "idp.example"}
	s := newSessionStore(maxSessionsPerAccount + 10)
	s.add("bob", session{tenant: "acme", account: bob, expires: now.Add(time.Hour)}, now)
	for i := range 3 * maxSessionsPerAccount {
		at := now.Add(time.Duration(i) * time.Second)
		s.add(fmt.Sprint("ada-", i), session{tenant: "acme", account: ada, expires: at.Add(time.Hour)}, at)
	}
	last := now.Add(time.Duration(3*maxSessionsPerAccount) * time.Second)
	if _, ok := s.get("acme", "bob", last); !ok {
		t.Fatal("bob's session was pushed out by ada's sign-ins")
	}
	if n := len(s.byAccount[keyOf("acme", ada)]); n != maxSessionsPerAccount {
		t.Fatalf("ada holds %d sessions; want %d", n, maxSessionsPerAccount)
	}
	for i, want := range map[int]bool{0: false, 2*maxSessionsPerAccount - 1: false, 2 * maxSessionsPerAccount: true, 3*maxSessionsPerAccount - 1: true} {
		if _, ok := s.get("acme", fmt.Sprint("ada-", i), last); ok != want {
			t.Errorf("ada's session %d found = %t; want %t (her newest %d stay)", i, ok, want, maxSessionsPerAccount)
		}
	}
}

func TestSessionStore_endAccountEndsThatAccountInThatTenantOnly(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ada := app.Account{HomeAccountID: "ada.tid", Environment: "idp.example"}
	bob := app.Account{HomeAccountID: "bob.tid", Environment: "idp.example"}
	s := newSessionStore(10)
	exp := now.Add(time.Hour)
	s.add("ada-acme-1", session{tenant: "acme", account: ada, expires: exp}, now)
	s.add("ada-acme-2", session{tenant: "acme", account: ada, expires: exp}, now)
	s.add("ada-globex", session{tenant: "globex", account: ada, expires: exp}, now)
	s.add("bob-acme", session{tenant: "acme", account: bob, expires: exp}, now)
	s.endAccount("acme", ada)
	for id, want := range map[string]bool{"ada-acme-1": false, "ada-acme-2": false, "bob-acme": true} {
		if _, ok := s.get("acme", id, now); ok != want {
			t.Errorf("acme session %s found = %t; want %t", id, ok, want)
		}
	}
	if _, ok := s.get("globex", "ada-globex", now); !ok {
		t.Error("ada's globex session ended with her acme sessions")
	}
	if len(s.byAccount) != 2 {
		t.Errorf("byAccount holds %d accounts; want 2 (ada at globex, bob at acme): an emptied entry stays", len(s.byAccount))
	}
}

// BenchmarkSessionStore_addWhenFull is a sign-in while the store is at its bound with
// no session expired: the scan that finds the one closest to expiry.
func BenchmarkSessionStore_addWhenFull(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessionStore(maxSessions)
	for i := range maxSessions {
		s.add(fmt.Sprint(i), session{tenant: "acme", account: app.Account{HomeAccountID: fmt.Sprint(i)}, expires: now.Add(time.Hour + time.Duration(i))}, now)
	}
	for i := 0; b.Loop(); i++ {
		s.add(fmt.Sprint("new", i), session{tenant: "acme", account: app.Account{HomeAccountID: "new"}, expires: now.Add(2 * time.Hour)}, now)
	}
}
