package nearcache_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Environment of a helper process: what it does, and on which storage.
const (
	helperOpEnv     = "HEXAUTH_NEARCACHE_HELPER_OP" // "remove" or "refresh"
	helperSQLiteEnv = "HEXAUTH_NEARCACHE_HELPER_SQLITE"
	helperSchemaEnv = "HEXAUTH_NEARCACHE_HELPER_SCHEMA"
	helperWaitEnv   = "HEXAUTH_NEARCACHE_HELPER_WAIT" // set: open, then wait for a line on stdin
)

const (
	mpPartition = `tenant "42" — ünïcode'` // quotes and unicode never reach SQL text
	mpHome      = "Alice"
	mpClient    = "client"
	mpEnv       = "login.example.com"
	mpRealm     = "realm"
	mpScope     = "read"
	// bound is the staleness bound the docs promise (docs/operations.md): a change
	// another process committed is seen within it.
	bound = 100 * time.Millisecond
)

var mpQuery = domain.CacheQuery{Partition: mpPartition, HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient}

// tokenWrite is a sign-in or a refresh of the account: an access token whose secret is
// secret (superseding the one before), an ID token and the account.
func tokenWrite(secret string) domain.CacheWrite {
	now := time.Now().Truncate(time.Second)
	at := domain.AccessToken{HomeAccountID: mpHome, Environment: mpEnv, ClientID: mpClient, Realm: mpRealm,
		Target: mpScope, Secret: domain.Secret(secret), TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)}
	return domain.CacheWrite{
		Partition:          mpPartition,
		AccessToken:        &at,
		IDToken:            &domain.IDToken{HomeAccountID: mpHome, Environment: mpEnv, ClientID: mpClient, Realm: mpRealm, Secret: "id." + domain.Secret(secret)},
		Account:            &domain.Account{HomeAccountID: mpHome, Environment: mpEnv, Realm: mpRealm, Username: "alice@example.com", AuthorityType: "Generic"},
		DeleteAccessTokens: [][6]string{at.KeyFields()},
	}
}

// TestHelperProcess is not a test: the two-process tests run the test binary again
// with it. It opens the storage without a near cache, makes one change and exits.
func TestHelperProcess(t *testing.T) {
	op := os.Getenv(helperOpEnv)
	if op == "" {
		t.Skip("helper process of the two-process tests")
	}
	var s ports.CacheStore
	if path := os.Getenv(helperSQLiteEnv); path != "" {
		s = openSQLite(t, path)
	} else {
		s = openPostgres(t, postgresDSN(t), os.Getenv(helperSchemaEnv))
	}
	if os.Getenv(helperWaitEnv) != "" {
		// Ready: the parent writes a line when the change is to be made.
		fmt.Println("ready")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			t.Fatalf("waiting for the parent: %v", err)
		}
	}
	ctx := context.Background()
	var err error
	switch op {
	case "remove":
		err = s.RemoveAccount(ctx, domain.AccountRemoval{Partition: mpPartition, HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient})
	case "refresh":
		err = s.Write(ctx, tokenWrite("new-token"))
	default:
		err = fmt.Errorf("unknown op %q", op)
	}
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// runHelper runs the helper process to its end: once it returns, the change is
// committed.
func runHelper(t *testing.T, op string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), helperOpEnv+"="+op), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper %s: %v\n%s", op, err, out)
	}
}

// startHelper starts the helper process, opened and waiting, and returns a function
// that has it make its change and returns once the change is committed.
func startHelper(t *testing.T, op string, env ...string) (change func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), helperOpEnv+"="+op, helperWaitEnv+"=1"), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper %s did not get ready: %q, %v\n%s", op, line, err, stderr.String())
	}
	return func() {
		t.Helper()
		if _, err := io.WriteString(stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(out)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %s: %v\n%s%s", op, err, rest, stderr.String())
		}
	}
}

// servedSecret returns the access token FindHit serves, or "" when none.
func servedSecret(t *testing.T, s *nearcache.Store) string {
	t.Helper()
	got, err := s.FindHit(context.Background(), mpQuery)
	if err != nil {
		t.Fatalf("FindHit = %v", err)
	}
	if len(got.AccessTokens) == 0 {
		return ""
	}
	return string(got.AccessTokens[0].Secret)
}

// twoProcesses warms the near cache with the old token, has another process make op's
// change, and checks that the near cache serves want once settle, called when the
// change committed, has returned.
func twoProcesses(t *testing.T, near *nearcache.Store, op, want string, settle func(), env ...string) {
	t.Helper()
	if err := near.Write(context.Background(), tokenWrite("old-token")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := servedSecret(t, near); got != "old-token" {
			t.Fatalf("before the other process: served %q; want %q", got, "old-token")
		}
	}
	runHelper(t, op, env...)
	settle()
	if got := servedSecret(t, near); got != want {
		t.Fatalf("after another process's %s committed and the bound passed: served %q; want %q", op, got, want)
	}
}

// TestStore_twoProcesses_sqlite: on SQLite the bound is CheckInterval (1 ms) and a
// data_version read made by the read itself, so a sleep of bound is enough on any load.
func TestStore_twoProcesses_sqlite(t *testing.T) {
	for _, tt := range []struct{ op, want string }{{"remove", ""}, {"refresh", "new-token"}} {
		t.Run(tt.op, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shared.db")
			near := wrap(t, openSQLite(t, path), nearcache.Config{})
			twoProcesses(t, near, tt.op, tt.want, func() { time.Sleep(bound) }, helperSQLiteEnv+"="+path)
		})
	}
}

// TestStore_twoProcesses_postgres: with the listener up the bound is the notification's
// delivery (docs/operations.md), so the check is made once the near cache has applied
// every notification committed before the other process exited (drain), however long
// a loaded machine takes to deliver them.
func TestStore_twoProcesses_postgres(t *testing.T) {
	dsn := postgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, tt := range []struct{ op, want string }{{"remove", ""}, {"refresh", "new-token"}} {
		t.Run(tt.op, func(t *testing.T) {
			schema := fmt.Sprintf("near_mp_%d", time.Now().UnixNano())
			open := postgresStorageNamed(t, dsn, schema)
			inner := &countingPG{Store: open(t).(*postgres.Store), changed: make(chan struct{}, 1)}
			// Pings a minute apart: the session stays trusted throughout, so only its
			// notification can make the change visible (with the defaults, a loaded
			// machine that delays a ping could let FallbackTTL do it instead).
			near := wrap(t, inner, nearcache.Config{PingInterval: time.Minute})
			waitTrusted(t, near)
			twoProcesses(t, near, tt.op, tt.want, func() { inner.drain(t, admin, schema) }, helperSchemaEnv+"="+schema)
		})
	}
}

// TestStore_twoProcesses_postgresListenerKilled kills the listening session
// (pg_terminate_backend) and keeps it from coming back (its reconnections are refused
// by a proxy in front of the server, while the pool's open connections still work);
// another process then signs the account out, and that notification is lost. The near
// cache still stops serving the account within FallbackTTL of the sign-out: it dropped
// everything when the session ended, and serves an entry only FallbackTTL after its
// read until a session listens again.
func TestStore_twoProcesses_postgresListenerKilled(t *testing.T) {
	dsn := postgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("the test needs a URL DSN with a host to proxy (%v)", err)
	}
	proxy := startProxy(t, u.Host)
	schema := fmt.Sprintf("near_kill_%d", time.Now().UnixNano())
	app := "nearcache_kill_" + schema
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	u.Host = proxy.addr()
	postgresStorageNamed(t, dsn, schema) // drops the schema at the end
	near := wrap(t, openPostgres(t, u.String(), schema), nearcache.Config{})
	waitTrusted(t, near)
	if err := near.Write(context.Background(), tokenWrite("old-token")); err != nil {
		t.Fatal(err)
	}
	if got := servedSecret(t, near); got != "old-token" {
		t.Fatalf("served %q; want old-token", got)
	}
	// Another process, opened and waiting, so that its sign-out follows the kill
	// closely: well within the 3 ping intervals after which a silent session is no
	// longer trusted anyway.
	signOut := startHelper(t, "remove", helperSchemaEnv+"="+schema)
	proxy.refuse.Store(true)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	err = admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND (query LIKE 'LISTEN%' OR query = '-- ping')`, app).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminating the listening session: killed %d, %v; want 1, nil", killed, err)
	}
	// The session's end is seen as it happens (the server closes the connection): wait
	// for the near cache to say so, not for a time a loaded machine may exceed.
	for deadline := time.Now().Add(time.Minute); near.Listening(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the near cache still listens a minute after its session was terminated")
		}
	}
	signOut()
	if near.Listening() {
		t.Fatal("the session came back through a proxy that refuses connections")
	}
	time.Sleep(nearcache.DefaultFallbackTTL)
	if got := servedSecret(t, near); got != "" {
		t.Fatalf("%v after a sign-out committed while the listener was down: served %q; want nothing", nearcache.DefaultFallbackTTL, got)
	}
	// Let the session back: it listens again.
	proxy.refuse.Store(false)
	waitTrusted(t, near)
}

// waitTrusted waits until the near cache's session listens: a hit is then served from
// memory twice in a row.
func waitTrusted(t *testing.T, near *nearcache.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !near.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("the near cache's change session did not start within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// postgresStorageNamed is postgresStorage on a schema of the caller's naming.
func postgresStorageNamed(t testing.TB, dsn, schema string) func(t testing.TB) ports.CacheStore {
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
			db.Close()
		}
	})
	return func(t testing.TB) ports.CacheStore { return openPostgres(t, dsn, schema) }
}
