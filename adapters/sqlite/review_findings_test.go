package sqlite_test

// From the review of issues 10 and 11: schema version 1 wrote every OIDC issuer's
// entries with realm '', which is now the realm of the host's root issuer only. Kept,
// the tokens that https://idp.example/oauth2/default (an Okta custom authorization
// server) cached would be served to a client of https://idp.example (Okta's org server)
// and its refresh token sent there; migration 0002 deletes them instead.

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

type probeIdP struct{ ports.IdentityProvider }
type probeClock struct{ t time.Time }

func (c probeClock) Now() time.Time { return c.t }

func TestOpen_migratedPathIssuerRowsAreNotTheRootIssuers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := rawDB(t, path)
	ms, err := sqlmigrate.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:1]); err != nil {
		t.Fatal(err)
	}
	// Version 1 rows of subject Alice on host idp.example; under version 1 these are the
	// rows of ANY OIDC issuer on that host, e.g. https://idp.example/oauth2/default.
	mustExec(t, db, sqlcachetest.Version1Rows)
	_ = db.Close()
	s := openStore(t, sqlite.Config{Path: path})

	root, err := domain.ParseAuthority("https://idp.example", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := usecases.NewSilent(usecases.Config{ClientID: "App", Authority: root, Partition: "p"},
		usecases.Deps{IdentityProvider: probeIdP{}, Store: s, Clock: probeClock{time.Unix(1900000100, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{"read"},
		Account: domain.Account{HomeAccountID: "Alice", Environment: "idp.example"}})
	if err == nil && res.AccessToken == "at-alice" {
		t.Errorf("root issuer https://idp.example served the version-1 row %q, which any issuer on the host (e.g. /oauth2/default) wrote", string(res.AccessToken))
	}
}
