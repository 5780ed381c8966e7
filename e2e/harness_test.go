//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the Postgres driver, to drop the test schema

	"github.com/hexauth/hexauth/app"
	// The stores the suite names in Config.Cache (sqliteCache, postgresCache).
	_ "github.com/hexauth/hexauth/app/postgresstore"
	_ "github.com/hexauth/hexauth/app/sqlitestore"
)

// Users of provider/server.mjs. alice has the same sub (user-1) in both realms.
const (
	alice      = "alice"
	aliceSub   = "user-1"
	bob        = "bob"
	apiRead    = "api:read"
	redirectTo = "http://127.0.0.1:49152/" // no listener: the browser stops at it
)

var passwords = map[string]map[string]string{
	"a": {alice: "alice-pass-a", bob: "bob-pass-a"},
	"b": {alice: "alice-pass-b"},
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sqliteCache is a fresh SQLite cache of the test.
func sqliteCache(t *testing.T) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "tokens.db")
}

// postgresCache is a Postgres cache URL in a schema of the test's own (dropped at its
// end), or "" when HEXAUTH_TEST_POSTGRES_DSN is not set.
func postgresCache(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		return ""
	}
	schema := "e2e_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "schema=" + schema
}

// newPublic is a public client of realm with clientID on cache; buffer is its expiry
// buffer (0: hexauth's default of 5 minutes; 2h makes every cached token expired).
func newPublic(t *testing.T, realm, clientID, cache string, buffer time.Duration) *app.PublicClient {
	t.Helper()
	return newPublicAt(t, issuers[realm], clientID, cache, buffer)
}

// newPublicAt is newPublic at the given issuer.
func newPublicAt(t *testing.T, issuer, clientID, cache string, buffer time.Duration) *app.PublicClient {
	t.Helper()
	pc, err := app.NewPublicClient(ctxOf(t), app.Config{ClientID: clientID, Authority: issuer, Cache: cache, ExpiryBuffer: buffer})
	if err != nil {
		t.Fatalf("NewPublicClient(%s, %s) = %v", clientID, issuer, err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// signIn runs the auth-code flow with PKCE: hexauth's authorization URL, the provider's
// pages driven by a browser, the redirect's parameters back to hexauth. prompt=consent
// is what OIDC Core §11 asks of a request for offline_access, and node-oidc-provider
// drops offline_access (no refresh token) without it.
func signIn(t *testing.T, pc *app.PublicClient, realm, user string, scopes ...string) app.AuthResult {
	t.Helper()
	ctx := ctxOf(t)
	flow, err := pc.InitiateAuthCodeFlow(ctx, scopes, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatalf("InitiateAuthCodeFlow = %v", err)
	}
	resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, user, passwords[realm][user])
	res, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCodeFlow = %v", err)
	}
	return res
}

// grantCounts are the provider's token endpoint calls per realm and grant type.
type grantCounts map[string]map[string]struct{ OK, Error int }

func (g grantCounts) ok(realm, grant string) int    { return g[realm][grant].OK }
func (g grantCounts) error(realm, grant string) int { return g[realm][grant].Error }

func counts(t *testing.T) grantCounts {
	t.Helper()
	resp, err := http.Get(base + "/test/counts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]map[string]struct {
		OK    int `json:"ok"`
		Error int `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	g := grantCounts{}
	for realm, m := range raw {
		g[realm] = map[string]struct{ OK, Error int }{}
		for k, v := range m {
			g[realm][k] = struct{ OK, Error int }{v.OK, v.Error}
		}
	}
	return g
}

func resetCounts(t *testing.T) {
	t.Helper()
	resp, err := http.Post(base+"/test/reset", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
