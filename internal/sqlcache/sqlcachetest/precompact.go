package sqlcachetest

import (
	"context"
	_ "embed"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// PreCompactRows are rows as the schema before the compact rows stored them (SQLite
// up to migration 0003, Postgres up to 0004: a key column, every id twice), to be
// inserted before the compacting migration runs.
//
//go:embed precompact_rows.sql
var PreCompactRows string

// preCompactSnapshot is what PreCompactRows hold, as an export returns it.
func preCompactSnapshot() domain.CacheSnapshot {
	const (
		entra  = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
		tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		env    = "Login.MicrosoftOnline.com"
	)
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	return domain.CacheSnapshot{
		AccessTokens: []domain.AccessToken{
			{HomeAccountID: entra, Environment: env, ClientID: "App", Realm: tenant, Target: "User.Read Ünïcode.Scope",
				Secret: "at-entra", TokenType: "Bearer", CachedAt: at(1900000000), ExpiresOn: at(1900003600),
				ExtendedExpiresOn: at(1900007200), RefreshOn: at(1900001800), KeyID: "kid",
				Extra: map[string]json.RawMessage{"client_info": json.RawMessage(`"abc"`)}},
			{HomeAccountID: "Alice", Environment: "idp.example", ClientID: "cli", Realm: "realms/A", Target: "read",
				Secret: "at-alice", TokenType: "Bearer", CachedAt: at(1900000000), ExpiresOn: at(1900003600), ExtendedExpiresOn: at(1900003600)},
			{Environment: "idp.example", ClientID: "daemon", Realm: "t", Target: "api/.default",
				Secret: "at-app", TokenType: "Bearer", CachedAt: at(1900000000), ExpiresOn: at(1900003600), ExtendedExpiresOn: at(1900003600)},
		},
		RefreshTokens: []domain.RefreshToken{
			{HomeAccountID: entra, Environment: env, ClientID: "App", FamilyID: "1", Target: "User.Read", Secret: "rt-entra", CachedAt: at(1900000000)},
			{HomeAccountID: "Alice", Environment: "idp.example", ClientID: "cli", Realm: "realms/A", Target: "read", Secret: "rt-alice",
				CachedAt: at(1900000100), Extra: map[string]json.RawMessage{"last_modification_time": json.RawMessage(`"1900000100"`)}},
		},
		IDTokens: []domain.IDToken{
			{HomeAccountID: entra, Environment: env, ClientID: "App", Realm: tenant, Secret: "idt-entra"},
			{HomeAccountID: "Alice", Environment: "idp.example", ClientID: "cli", Realm: "realms/A", Secret: "idt-alice"},
		},
		Accounts: []domain.Account{
			{HomeAccountID: entra, Environment: env, Realm: tenant, LocalAccountID: "9f4880d8-80ba-4c40-97bc-f7a23c703084",
				Username: "Ann@Contoso.com", Name: "Ann", AuthorityType: "MSSTS", Extra: map[string]json.RawMessage{"tenantProfiles": json.RawMessage(`[]`)}},
			{HomeAccountID: "Alice", Environment: "idp.example", Realm: "realms/A", LocalAccountID: "Alice", Username: "alice", AuthorityType: "Generic"},
		},
		AppMetadata:     []domain.AppMetadata{{ClientID: "App", Environment: env, FamilyID: "1"}},
		ForeignSections: []domain.ForeignSection{{Name: "unknownEntity", Value: json.RawMessage(`{"a":1}`)}},
	}
}

// sortByKey orders snap's entries by key, as stores return them in any order.
func sortByKey(snap *domain.CacheSnapshot) {
	slices.SortFunc(snap.AccessTokens, func(a, b domain.AccessToken) int { return strings.Compare(a.Key(), b.Key()) })
	slices.SortFunc(snap.RefreshTokens, func(a, b domain.RefreshToken) int { return strings.Compare(a.Key(), b.Key()) })
	slices.SortFunc(snap.IDTokens, func(a, b domain.IDToken) int { return strings.Compare(a.Key(), b.Key()) })
	slices.SortFunc(snap.Accounts, func(a, b domain.Account) int { return strings.Compare(a.Key(), b.Key()) })
}

// CheckMigratedPreCompactRows checks a store opened on a database holding
// PreCompactRows, then migrated: the partition exports whole, every field as it was
// written; a write of a migrated entry replaces it (its identity is its old key); a
// superseded access token named by its key is deleted; and an older refresh token
// does not replace a migrated newer one.
func CheckMigratedPreCompactRows(t *testing.T, s interface {
	Find(context.Context, domain.CacheQuery) (domain.CacheEntries, error)
	Write(context.Context, domain.CacheWrite) error
	Export(context.Context, string) (domain.CacheSnapshot, error)
}) {
	t.Helper()
	ctx := t.Context()
	got, err := s.Export(ctx, "p")
	if err != nil {
		t.Fatalf("Export after migrating = %v", err)
	}
	want := preCompactSnapshot()
	sortByKey(&got)
	sortByKey(&want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Export after migrating:\ngot  %+v\nwant %+v", got, want)
	}

	// A write of the Entra access token, its ids in another case, replaces it.
	at := want.AccessTokens[1] // sorted: the Entra token after the app token's "-idp..." key
	if at.Secret != "at-entra" {
		at = want.AccessTokens[2]
	}
	at.HomeAccountID, at.Target, at.Secret = strings.ToLower(at.HomeAccountID), "USER.READ ÜNÏCODE.SCOPE", "at-entra-2"
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at}); err != nil {
		t.Fatal(err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: at.HomeAccountID, ClientID: "app"}
	if e, err := s.Find(ctx, q); err != nil || len(e.AccessTokens) != 1 || e.AccessTokens[0].Secret != "at-entra-2" ||
		e.AccessTokens[0].Target != at.Target {
		t.Errorf("Find after rewriting a migrated access token = %+v, %v; want one access token, the new one", e.AccessTokens, err)
	}

	// A new token superseding it, the old one named by its key, removes it.
	next := at
	next.Target, next.Secret = "User.Read", "at-entra-3"
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &next, DeleteAccessTokens: [][6]string{at.KeyFields()}}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Find(ctx, q); err != nil || len(e.AccessTokens) != 1 || e.AccessTokens[0].Secret != "at-entra-3" {
		t.Errorf("Find after superseding a migrated access token = %+v, %v; want only the new one", e.AccessTokens, err)
	}

	// An older refresh token of the OIDC subject does not replace the migrated one.
	rt := domain.RefreshToken{HomeAccountID: "Alice", Environment: "idp.example", ClientID: "cli", Realm: "realms/A",
		Secret: "rt-alice-older", CachedAt: time.Unix(1900000000, 0).UTC()}
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", RefreshToken: &rt}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "Alice"}); err != nil || len(e.RefreshTokens) != 1 ||
		e.RefreshTokens[0].Secret != "rt-alice" {
		t.Errorf("Find(Alice) after writing an older refresh token = %+v, %v; want the migrated newer one kept, alone", e.RefreshTokens, err)
	}
}
