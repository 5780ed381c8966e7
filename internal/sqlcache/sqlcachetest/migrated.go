// Package sqlcachetest holds what the SQL stores' tests share: rows written by an
// earlier schema version and the checks of their migration.
package sqlcachetest

import (
	"context"
	_ "embed"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// Version1Rows are rows as schema version 1 stored them (every key and *_folded
// column lower-cased), to be inserted before the later migrations run.
//
//go:embed version1_rows.sql
var Version1Rows string

// CheckMigratedVersion1Rows checks a store opened on a database holding Version1Rows
// (schema version 1, then migrated): the OIDC subject Alice is found as Alice only, an
// Entra id in any case, its realm lower-cased, and a new write of a migrated entry
// replaces it (its key is what Key() computes) instead of adding a second.
func CheckMigratedVersion1Rows(t *testing.T, s interface {
	Find(context.Context, domain.CacheQuery) (domain.CacheEntries, error)
	Write(context.Context, domain.CacheWrite) error
}) {
	t.Helper()
	ctx := t.Context()
	for _, gone := range []string{"Alice", "Carol"} {
		got, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: gone})
		if err != nil || len(got.AccessTokens)+len(got.RefreshTokens)+len(got.IDTokens)+len(got.Accounts) != 0 {
			t.Fatalf("Find(%s) after migrating = %+v, %v; want the rows gone (an OIDC issuer's, realm '' for any issuer path)", gone, got, err)
		}
	}
	if got, _ := s.Find(ctx, domain.CacheQuery{Partition: "p", ClientID: "daemon"}); len(got.AccessTokens) != 0 {
		t.Errorf("Find(app tokens) after migrating = %d; want the realm-less app token gone", len(got.AccessTokens))
	}
	// An Entra-host refresh token without an account record (another app's family token,
	// as MSAL caches may hold) is kept.
	if got, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "0aaaaaaa-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47"}); err != nil || len(got.RefreshTokens) != 1 {
		t.Errorf("Find(an Entra family refresh token without an account) after migrating = %d refresh tokens, %v; want it kept", len(got.RefreshTokens), err)
	}
	got, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "Bob"})
	if err != nil || len(got.AccessTokens) != 1 || len(got.RefreshTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
		t.Fatalf("Find(Bob) after migrating = %+v, %v; want his four entries (an ADFS user's)", got, err)
	}
	if got, _ := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "bob"}); len(got.AccessTokens)+len(got.Accounts) != 0 {
		t.Errorf("Find(bob) after migrating = %+v; want nothing (subjects are case-sensitive)", got)
	}
	at := got.AccessTokens[0]
	at.Secret = "at-bob-2"
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "Bob"}); len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != "at-bob-2" {
		t.Errorf("Find(Bob) after rewriting his migrated access token = %d tokens; want 1, the new one (the migrated key must be Key())", len(got.AccessTokens))
	}
	const entra = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	got, err = s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: strings.ToLower(entra)})
	if err != nil || len(got.AccessTokens) != 1 || len(got.Accounts) != 1 {
		t.Fatalf("Find(Entra id, lower case) after migrating = %+v, %v; want its two entries", got, err)
	}
	if r := got.Accounts[0].Realm; r != "contoso.onmicrosoft.com" {
		t.Errorf("migrated Entra realm = %q; want it lower-cased as its key holds it", r)
	}
	acct := got.Accounts[0]
	acct.Name = "renamed"
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", Account: &acct}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: entra}); len(got.Accounts) != 1 || got.Accounts[0].Name != "renamed" {
		t.Errorf("Find(Entra id) after rewriting its migrated account = %d accounts; want 1, renamed", len(got.Accounts))
	}
}
