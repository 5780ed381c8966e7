package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// openStore opens a Store on cfg (Path defaulting to a new file in a temporary
// directory), closed at the end of the test.
func openStore(t testing.TB, cfg sqlite.Config) *sqlite.Store {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "tokens.db")
	}
	s, err := sqlite.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open(%v) = %v; want nil error", cfg, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawDB opens a plain database/sql pool on the file path, to look at or damage what a
// Store wrote, closed at the end of the test.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("sql.Open(sqlite, %s) = %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// mustExec runs a statement on db, failing the test on error.
func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// logBuffer is a concurrency-safe buffer for a test's logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLogger returns a logger writing text lines into a buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// base is the time test entries are cached at.
var base = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// fullWrite returns a token response's worth of entries of account home in
// partition, every secret tagged with tag.
func fullWrite(partition, home, tag string) domain.CacheWrite {
	const env, client, realm = "login.example.com", "client", "realm"
	at := domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm, Target: "read write",
		Secret: domain.Secret("at-secret-" + tag), TokenType: "Bearer", CachedAt: base, ExpiresOn: base.Add(time.Hour),
		ExtendedExpiresOn: base.Add(time.Hour)}
	rt := domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: client, Target: "read write",
		Secret: domain.Secret("rt-secret-" + tag), CachedAt: base}
	idt := domain.IDToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm, Secret: domain.Secret("idt-secret-" + tag)}
	acct := domain.Account{HomeAccountID: home, Environment: env, Realm: realm, Username: home + "@example.com",
		AuthorityType: domain.AuthorityTypeMSSTS}
	md := domain.AppMetadata{ClientID: client, Environment: env, FamilyID: "1"}
	return domain.CacheWrite{Partition: partition, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct, AppMetadata: &md}
}

// query returns the Find query of home's entries in partition.
func query(partition, home string) domain.CacheQuery {
	return domain.CacheQuery{Partition: partition, HomeAccountID: home, ClientID: "client"}
}
