package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/hexauth/hexauth/domain"
)

// DSNEnv names the environment variable that points the tests at a server.
const DSNEnv = "HEXAUTH_TEST_POSTGRES_DSN"

// DSNForTest returns the test server's DSN, or skips tb when none is configured.
func DSNForTest(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skipf("%s is not set: the Postgres store tests need a server, e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable", DSNEnv, DSNEnv)
	}
	return dsn
}

// SchemaForTest returns the name of a schema of its own for tb, dropped with everything
// in it when tb ends. The schema itself is created by the first Open.
func SchemaForTest(tb testing.TB) string {
	tb.Helper()
	dsn := DSNForTest(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "hexauth_test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		db := AdminDB(tb, dsn)
		if _, err := db.Exec(`DROP SCHEMA IF EXISTS ` + pgx.Identifier{schema}.Sanitize() + ` CASCADE`); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return schema
}

// AdminDB opens a plain connection pool on dsn, closed when tb ends, for tests that
// inspect or damage what the store wrote.
func AdminDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("sql.Open(pgx) = %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// OpenTestStore opens a store with cfg (DSN and Schema filled in when empty) and
// closes it when tb ends.
func OpenTestStore(tb testing.TB, cfg Config) *Store {
	tb.Helper()
	return openTestStore(tb, cfg, nil)
}

func openTestStore(tb testing.TB, cfg Config, dial pgconn.DialFunc) *Store {
	tb.Helper()
	if cfg.DSN == "" {
		cfg.DSN = DSNForTest(tb)
	}
	if cfg.Schema == "" {
		cfg.Schema = SchemaForTest(tb)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(failOnWarn{tb})
	}
	s, err := open(context.Background(), cfg, dial)
	if err != nil {
		tb.Fatalf("Open(%v) = %v; want nil error", cfg, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// failOnWarn is a slog.Handler that fails the test on any warning or error, so that a
// row the store cannot read (which it skips and logs) never goes unnoticed in tests
// that do not corrupt rows on purpose.
type failOnWarn struct{ tb testing.TB }

func (h failOnWarn) Enabled(context.Context, slog.Level) bool { return true }
func (h failOnWarn) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var attrs []string
		r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a.String()); return true })
		h.tb.Errorf("store logged %s %q %v; want no warning", r.Level, r.Message, attrs)
	}
	return nil
}
func (h failOnWarn) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h failOnWarn) WithGroup(string) slog.Handler      { return h }

// sampleWrite returns a write of one entry of each kind for account home in
// partition, its tokens' secrets derived from secret.
func sampleWrite(partition, home, secret string) domain.CacheWrite {
	now := time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)
	env, client := "login.example.com", "client-1"
	at := domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: "r", Target: "read",
		Secret: domain.Secret(secret), TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)}
	rt := domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: client, Secret: domain.Secret("rt-" + secret), CachedAt: now}
	idt := domain.IDToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: "r", Secret: domain.Secret("idt-" + secret)}
	acct := domain.Account{HomeAccountID: home, Environment: env, Realm: "r", Username: home + "@example.com", AuthorityType: domain.AuthorityTypeGeneric}
	md := domain.AppMetadata{ClientID: client, Environment: env}
	return domain.CacheWrite{Partition: partition, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct, AppMetadata: &md}
}

// DSNWithApp returns the test DSN with its application_name set to a name unique to
// tb, so that tests can find (and kill) the store's own server sessions in
// pg_stat_activity without touching anyone else's.
func DSNWithApp(tb testing.TB) (dsn, app string) {
	tb.Helper()
	dsn = DSNForTest(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app = "hexauth-test-" + hex.EncodeToString(b)
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		return u.String(), app
	}
	return dsn + " application_name=" + app, app
}
