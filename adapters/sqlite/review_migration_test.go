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

type recordingIdP struct {
	ports.IdentityProvider
	sent []string
}

func (r *recordingIdP) Token(_ context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	r.sent = append(r.sent, req.Authority.URL+" "+string(req.RefreshToken))
	return domain.TokenResponse{}, domain.Errorf(domain.ErrUnavailable, "probe")
}

func migratedV1(t *testing.T, extra string) *sqlite.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := rawDB(t, path)
	ms, err := sqlmigrate.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:1]); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, sqlcachetest.Version1Rows)
	if extra != "" {
		mustExec(t, db, extra)
	}
	_ = db.Close()
	return openStore(t, sqlite.Config{Path: path})
}

// From the final review (each failed before its fix): migration 0002 keeps an OIDC subject's version-1 refresh token when an
// MSSTS account record goes with it (MSAL Python writes MSSTS for every non-ADFS issuer,
// as the fixture's Bob shows), with realm ” -- the root issuer's. Bob's token, issued by
// https://idp.example/realms (his account's realm), is then sent to https://idp.example.
func TestReview_migratedMSSTSTaggedOIDCRefreshTokenGoesToRootIssuer(t *testing.T) {
	s := migratedV1(t, "")
	root, err := domain.ParseAuthority("https://idp.example", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	idp := &recordingIdP{}
	silent, err := usecases.NewSilent(usecases.Config{ClientID: "App", Authority: root, Partition: "p"},
		usecases.Deps{IdentityProvider: idp, Store: s, Clock: probeClock{time.Unix(1900000100, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{"read"},
		Account: domain.Account{HomeAccountID: "Bob", Environment: "idp.example"}})
	t.Logf("silent: %v", err)
	for _, s := range idp.sent {
		t.Errorf("sent to the root issuer: %s (Bob's token of issuer realm 'realms')", s)
	}
}

// From the final review (each failed before its fix): MSAL .NET writes an account under one alias and its tokens under another
// (see adapters/sqlite/accounts.go tokenOfClient); migration 0002 compares environments
// exactly, so an Entra refresh token under login.windows.net whose account record is under
// login.microsoftonline.com is deleted.
func TestReview_migrationDeletesEntraRefreshTokenUnderAliasHost(t *testing.T) {
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
