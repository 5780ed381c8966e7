package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

const (
	writers          = 8
	writesPerWriter  = 25
	readersPerWriter = 1
)

func concurrencyCases() []storeCase {
	return []storeCase{
		{"DifferentAccountsAllLand", testConcurrentDifferentAccounts},
		{"SameAccountNoTornEntries", testConcurrentSameAccount},
		{"EveryMethodAtOnce", testConcurrentEveryMethod},
	}
}

// runAll runs fn(0..n-1) in goroutines and waits for them, reporting their errors.
func runAll(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- fn(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func testConcurrentDifferentAccounts(t *testing.T, s ports.CacheStore) {
	ctx := t.Context()
	account := func(g, i int) who {
		h := fmt.Sprintf("writer-%d-account-%d", g, i)
		return who{partition: "p", home: h, env: "login.example.com", realm: "r", client: "c", username: h + "@x"}
	}
	runAll(t, writers, func(g int) error {
		for i := range writesPerWriter {
			w := account(g, i).write(account(g, i).home)
			if err := s.Write(ctx, w); err != nil {
				return fmt.Errorf("concurrent Write(%s) = %v; want nil", describeWrite(w), err)
			}
		}
		return nil
	})
	for g := range writers {
		for i := range writesPerWriter {
			a := account(g, i)
			sameFound(t, fmt.Sprintf("Find(%+v) after concurrent writes of different accounts (no write may be lost)", a.query()),
				mustFind(t, s, a.query()), entriesOf(a.write(a.home)))
		}
	}
	if got := len(mustAccounts(t, s, domain.AccountFilter{Partition: "p"})); got != writers*writesPerWriter {
		t.Errorf("Accounts({Partition:p}) returned %d accounts after concurrent writes; want %d", got, writers*writesPerWriter)
	}
}

// sameAccountWrite returns write number tag of one shared account: every entry carries
// the tag in its secret and in another field, so a torn entry shows.
func sameAccountWrite(tag string) domain.CacheWrite {
	a := who{partition: "p", home: "shared", env: "login.example.com", realm: "r", client: "c", username: "user-" + tag + "@x"}
	w := a.write(tag)
	w.AccessToken.KeyID = tag
	w.RefreshToken.Target = "scope-" + tag
	w.IDToken.Realm = "r" // the key must stay the same
	w.Account.Name = tag
	w.AppMetadata.FamilyID = tag
	return w
}

// tornIn returns a description of every entry of e whose fields come from different
// writes, and the tags of the writes its entries come from.
func tornIn(e domain.CacheEntries) (torn []string, tags map[string]bool) {
	tags = map[string]bool{}
	check := func(kind, secretTag, fieldTag string) {
		if secretTag != fieldTag {
			torn = append(torn, fmt.Sprintf("%s with the secret of write %s and another field of write %s", kind, secretTag, fieldTag))
		}
		tags[fieldTag] = true
	}
	for _, t := range e.AccessTokens {
		check("access token", strings.TrimPrefix(string(t.Secret), "at-"), t.KeyID)
	}
	for _, t := range e.RefreshTokens {
		check("refresh token", strings.TrimPrefix(string(t.Secret), "rt-"), strings.TrimPrefix(t.Target, "scope-"))
	}
	for _, a := range e.Accounts {
		check("account", strings.TrimSuffix(strings.TrimPrefix(a.Username, "user-"), "@x"), a.Name)
	}
	for _, t := range e.IDTokens {
		tags[strings.TrimPrefix(string(t.Secret), "idt-")] = true
	}
	for _, m := range e.AppMetadata {
		tags[m.FamilyID] = true
	}
	return torn, tags
}

// startTornReaders runs Find(q) in a loop from several goroutines until ctx is done,
// and returns a function that waits for them and reports what they saw torn.
func startTornReaders(ctx context.Context, t *testing.T, s ports.CacheStore, q domain.CacheQuery) (wait func()) {
	errs := make(chan error, writers*readersPerWriter)
	var readers sync.WaitGroup
	for range writers * readersPerWriter {
		readers.Go(func() {
			for ctx.Err() == nil {
				got, err := s.Find(ctx, q)
				if err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("Find(%+v) during concurrent writes = %v; want nil error", q, err)
					}
					return
				}
				if torn, _ := tornIn(got); len(torn) > 0 {
					errs <- fmt.Errorf("Find(%+v) during concurrent writes returned a torn %s", q, torn[0])
					return
				}
			}
		})
	}
	return func() {
		t.Helper()
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

func testConcurrentSameAccount(t *testing.T, s ports.CacheStore) {
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "shared", ClientID: "c"}
	waitReaders := startTornReaders(ctx, t, s, q)
	runAll(t, writers, func(g int) error {
		for i := range writesPerWriter {
			w := sameAccountWrite(fmt.Sprintf("%d.%d", g, i))
			if err := s.Write(t.Context(), w); err != nil {
				return fmt.Errorf("concurrent Write(%s) = %v; want nil", describeWrite(w), err)
			}
		}
		return nil
	})
	stop()
	waitReaders()
	got := mustFind(t, s, q)
	torn, tags := tornIn(got)
	for _, d := range torn {
		t.Errorf("Find(%+v) after concurrent writes of one account returned a torn %s", q, d)
	}
	if len(got.AccessTokens) != 1 || len(got.RefreshTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 || len(got.AppMetadata) != 1 {
		t.Fatalf("Find(%+v) after concurrent writes of the same keys returned %s; want one entry of each kind", q, describeSnapshot(got.Snapshot()))
	}
	if len(tags) != 1 {
		t.Errorf("Find(%+v) after concurrent atomic writes returned entries of %d different writes; want all from the last one", q, len(tags))
	}
	last := got.Accounts[0].Username
	wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: last}, "the username of the last write", "shared@login.example.com")
	wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "one record per key", "shared@login.example.com")
	for g := range writers {
		if u := fmt.Sprintf("user-%d.0@x", g); u != last {
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", Username: u}, "a username overwritten by a later write")
		}
	}
}

// testConcurrentEveryMethod runs every method at once on disjoint accounts: each
// goroutine imports a batch, writes another, removes half of each and lists and exports
// meanwhile. Afterwards exactly the accounts not removed are there.
func testConcurrentEveryMethod(t *testing.T, s ports.CacheStore) {
	ctx := t.Context()
	const batch = 10
	acct := func(g int, kind string, i int) who {
		h := fmt.Sprintf("%s-%d-%d", kind, g, i)
		return who{partition: "p", home: h, env: "login.example.com", realm: "r", client: "c", username: h + "@x"}
	}
	removed := func(i int) bool { return i%2 == 0 }
	runAll(t, writers, func(g int) error {
		var imported []domain.CacheWrite
		for i := range batch {
			imported = append(imported, acct(g, "imported", i).write("i"))
		}
		if err := s.Import(ctx, "p", snapshotOf(imported...)); err != nil {
			return fmt.Errorf("concurrent Import(%q, …) = %v; want nil", "p", err)
		}
		for i := range batch {
			if err := s.Write(ctx, acct(g, "written", i).write("w")); err != nil {
				return fmt.Errorf("concurrent Write = %v; want nil", err)
			}
			if _, err := s.Accounts(ctx, domain.AccountFilter{Partition: "p", ClientID: "c"}); err != nil {
				return fmt.Errorf("concurrent Accounts = %v; want nil", err)
			}
			if _, err := s.Export(ctx, "p"); err != nil {
				return fmt.Errorf("concurrent Export = %v; want nil", err)
			}
		}
		for i := range batch {
			for _, kind := range []string{"imported", "written"} {
				if !removed(i) {
					continue
				}
				r := domain.AccountRemoval{Partition: "p", HomeAccountID: acct(g, kind, i).home, ClientID: "c"}
				if err := s.RemoveAccount(ctx, r); err != nil {
					return fmt.Errorf("concurrent RemoveAccount(%+v) = %v; want nil", r, err)
				}
			}
		}
		return nil
	})
	var want []string
	for g := range writers {
		for i := range batch {
			for _, kind := range []string{"imported", "written"} {
				if !removed(i) {
					want = append(want, acct(g, kind, i).home+"@login.example.com")
				}
			}
		}
	}
	wantAccounts(t, s, domain.AccountFilter{Partition: "p"}, "accounts imported and written at once, half of them removed", want...)
	snap := mustExport(t, s, "p")
	if got := len(snap.AccessTokens); got != len(want) {
		t.Errorf("Export(%q) after concurrent calls returned %d access tokens; want %d (one per account kept)", "p", got, len(want))
	}
}
