package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache/sqlcachetest"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// migratedV1 opens a store on a database that schema version 1 wrote, holding
// sqlcachetest.Version1Rows and the statements of extra, so that opening it runs the
// later migrations.
func migratedV1(t *testing.T, extra string) *sqlite.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := rawDB(t, path)
	ms, err := sqlmigrate.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:1]); err != nil {
		t.Fatalf("apply version 1 = %v", err)
	}
	mustExec(t, db, sqlcachetest.Version1Rows)
	if extra != "" {
		mustExec(t, db, extra)
	}
	_ = db.Close()
	return openStore(t, sqlite.Config{Path: path})
}

// TestOpen_migratesVersion1RowsToCaseSensitiveSubjects checks that migration 0002 leaves
// version-1 rows as the current code writes them (sqlcachetest.CheckMigratedVersion1Rows).
func TestOpen_migratesVersion1RowsToCaseSensitiveSubjects(t *testing.T) {
	sqlcachetest.CheckMigratedVersion1Rows(t, migratedV1(t, ""))
}

// recordingIdP records the refresh tokens sent to it and refuses every request.
type recordingIdP struct {
	ports.IdentityProvider
	sent []string
}

func (r *recordingIdP) Token(_ context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	r.sent = append(r.sent, req.Authority.URL+" "+string(req.RefreshToken))
	return domain.TokenResponse{}, domain.Errorf(domain.ErrUnavailable, "refused by the test")
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// TestOpen_migratedOIDCRowsAreNotTheRootIssuers: version 1 wrote every OIDC issuer's
// entries with realm ” (and an MSAL Python import tagged them MSSTS), which is now the
// realm of the host's root issuer only. Kept, a client of https://idp.example would be
// served the token https://idp.example/oauth2/default cached, or send its refresh token
// there; migration 0002 deletes them instead. (From the reviews of issues 10 and 11:
// both cases failed before.)
func TestOpen_migratedOIDCRowsAreNotTheRootIssuers(t *testing.T) {
	s := migratedV1(t, "")
	root, err := domain.ParseAuthority("https://idp.example", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"Alice", "Carol"} { // hexauth-written (Generic), MSAL Python-imported (MSSTS)
		idp := &recordingIdP{}
		silent, err := usecases.NewSilent(usecases.Config{ClientID: "App", Authority: root, Partition: "p"},
			usecases.Deps{IdentityProvider: idp, Store: s, Clock: fixedClock{time.Unix(1900000100, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{"read"},
			Account: domain.Account{HomeAccountID: subject, Environment: "idp.example"}})
		if err == nil {
			t.Errorf("root issuer served %s's version-1 token %q, which any issuer on the host wrote", subject, string(res.AccessToken))
		}
		for _, sent := range idp.sent {
			t.Errorf("sent %s's version-1 refresh token to the root issuer: %s", subject, sent)
		}
	}
}

// TestOpen_migrationKeepsEntraRefreshTokenUnderAliasHost: MSAL .NET writes an account
// under one alias and its tokens under another; migration 0002 never deletes an Entra
// row, whatever host its account record has (it once compared hosts exactly).
func TestOpen_migrationKeepsEntraRefreshTokenUnderAliasHost(t *testing.T) {
	s := migratedV1(t, `INSERT INTO refresh_tokens VALUES ('p', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47-login.windows.net-refreshtoken-app--', '9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47', 'login.windows.net', 'login.windows.net', 'app', 'app', '', 'read', 'rt-entra', 1900000000, NULL);`)
	snap, err := s.Export(t.Context(), "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range snap.RefreshTokens {
		if rt.Secret == "rt-entra" {
			return
		}
	}
	t.Errorf("migration 0002 deleted the Entra refresh token stored under the alias login.windows.net of its account's host")
}

// TestOpen_migratesPreCompactRows opens a database at migration 0003 holding rows of
// every kind (sqlcachetest.PreCompactRows) and checks that migration 0004 keeps them
// whole and as the current code writes them.
func TestOpen_migratesPreCompactRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := rawDB(t, path)
	ms, err := sqlmigrate.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:3]); err != nil {
		t.Fatalf("apply versions 1 to 3 = %v", err)
	}
	mustExec(t, db, sqlcachetest.PreCompactRows)
	_ = db.Close()
	sqlcachetest.CheckMigratedPreCompactRows(t, openStore(t, sqlite.Config{Path: path}))
}
