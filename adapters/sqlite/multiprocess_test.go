package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// Environment of a helper process: the database file and the helper's number.
const (
	helperPathEnv = "HEXAUTH_SQLITE_HELPER_DB"
	helperIDEnv   = "HEXAUTH_SQLITE_HELPER_ID"
)

const (
	helperProcs  = 4
	helperRounds = 20
	mpPartition  = "multi-process"
)

// counterKey is the refresh lock the helpers take around their read-modify-write of
// the counter, a refresh token whose secret is a number.
var counterKey = domain.RefreshLockKey{Partition: mpPartition, HomeAccountID: "counter", ClientID: "client", Environment: "login.example.com", Realm: "r"}

func distinctHome(proc, round int) string { return fmt.Sprintf("proc%d-account%d", proc, round) }

// TestHelperProcess is not a test: TestStore_multiProcess runs the test binary again
// with it, once per helper process. Each helper opens the shared file and, every
// round, writes an account of its own, writes the account all helpers share, and adds
// one to the counter under the refresh lock.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperPathEnv)
	if path == "" {
		t.Skip("helper process of TestStore_multiProcess")
	}
	proc, err := strconv.Atoi(os.Getenv(helperIDEnv))
	if err != nil {
		t.Fatalf("%s: %v", helperIDEnv, err)
	}
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, BusyTimeout: time.Minute})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for round := range helperRounds {
		if err := s.Write(ctx, fullWrite(mpPartition, distinctHome(proc, round), "distinct")); err != nil {
			t.Fatalf("Write of a distinct account = %v", err)
		}
		if err := s.Write(ctx, fullWrite(mpPartition, "shared", fmt.Sprintf("%d.%d", proc, round))); err != nil {
			t.Fatalf("Write of the shared account = %v", err)
		}
		if err := s.WithRefreshLock(ctx, counterKey, func(ctx context.Context) error { return increment(ctx, s) }); err != nil {
			t.Fatalf("WithRefreshLock(counter) = %v", err)
		}
	}
}

// increment reads the counter, waits a little (so that a broken lock loses updates)
// and writes it back plus one.
func increment(ctx context.Context, s *sqlite.Store) error {
	got, err := s.Find(ctx, query(mpPartition, "counter"))
	if err != nil {
		return err
	}
	n := 0
	if len(got.RefreshTokens) == 1 {
		if n, err = strconv.Atoi(string(got.RefreshTokens[0].Secret)); err != nil {
			return err
		}
	}
	time.Sleep(time.Millisecond)
	rt := domain.RefreshToken{HomeAccountID: "counter", Environment: "login.example.com", ClientID: "client",
		Secret: domain.Secret(strconv.Itoa(n + 1)), CachedAt: base}
	return s.Write(ctx, domain.CacheWrite{Partition: mpPartition, RefreshToken: &rt})
}

// TestStore_multiProcess runs helper processes on one new database file at once: no
// write and no increment of the counter may be lost, and no entry may be torn.
func TestStore_multiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	var wg sync.WaitGroup
	outs := make([][]byte, helperProcs)
	errs := make([]error, helperProcs)
	for proc := range helperProcs {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperPathEnv+"="+path, helperIDEnv+"="+strconv.Itoa(proc))
			outs[proc], errs[proc] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for proc, err := range errs {
		if err != nil {
			t.Fatalf("helper process %d = %v; output:\n%s", proc, err, outs[proc])
		}
	}
	s := openStore(t, sqlite.Config{Path: path})
	ctx := t.Context()
	got, err := s.Find(ctx, query(mpPartition, "counter"))
	if err != nil || len(got.RefreshTokens) != 1 {
		t.Fatalf("Find(counter) = %d refresh tokens, %v; want 1, nil", len(got.RefreshTokens), err)
	}
	if n, want := string(got.RefreshTokens[0].Secret), strconv.Itoa(helperProcs*helperRounds); n != want {
		t.Errorf("counter = %s after %d processes added 1 under the refresh lock %d times each; want %s (no lost update)",
			n, helperProcs, helperRounds, want)
	}
	for proc := range helperProcs {
		for round := range helperRounds {
			e, err := s.Find(ctx, query(mpPartition, distinctHome(proc, round)))
			if err != nil || len(e.AccessTokens) != 1 || len(e.RefreshTokens) != 1 || len(e.IDTokens) != 1 || len(e.Accounts) != 1 {
				t.Errorf("Find(%s) = %v, %v; want one entry of each kind (no lost write)", distinctHome(proc, round), e, err)
			}
		}
	}
	accts, err := s.Accounts(ctx, domain.AccountFilter{Partition: mpPartition})
	if want := helperProcs*helperRounds + 1; err != nil || len(accts) != want {
		t.Errorf("Accounts = %d, %v; want %d (every distinct account and the shared one)", len(accts), err, want)
	}
	shared, err := s.Find(ctx, query(mpPartition, "shared"))
	if err != nil || len(shared.AccessTokens) != 1 || len(shared.RefreshTokens) != 1 || len(shared.IDTokens) != 1 {
		t.Fatalf("Find(shared) = %v, %v; want one token of each kind", shared, err)
	}
	at := strings.TrimPrefix(string(shared.AccessTokens[0].Secret), "at-secret-")
	rt := strings.TrimPrefix(string(shared.RefreshTokens[0].Secret), "rt-secret-")
	idt := strings.TrimPrefix(string(shared.IDTokens[0].Secret), "idt-secret-")
	if at != rt || rt != idt {
		t.Errorf("the shared account's tokens come from writes %s, %s and %s; want one write (atomic writes)", at, rt, idt)
	}
}
