package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache/sqlcachetest"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// hitTables are the tables with a hit_key column (migration 0005).
var hitTables = []string{"access_tokens", "id_tokens", "accounts"}

// checkHitsAsFind checks that FindHit returns, secrets included, what Find returns
// for the hit (hitOf) for every account and client of the access and ID tokens in
// path's database.
func checkHitsAsFind(t *testing.T, s *sqlite.Store, path string) {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT DISTINCT partition, home_account_id_folded, coalesce(client_id, client_id_folded) FROM access_tokens
		UNION SELECT DISTINCT partition, home_account_id_folded, coalesce(client_id, client_id_folded) FROM id_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var q domain.CacheQuery
		if err := rows.Scan(&q.Partition, &q.HomeAccountID, &q.ClientID); err != nil {
			t.Fatal(err)
		}
		n++
		got, err := s.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("FindHit(%s, %s, %s) = %v", q.Partition, q.HomeAccountID, q.ClientID, err)
		}
		if len(got.IDTokens) == 0 { // FindHit's empty slices are Find's nil ones
			got.IDTokens = nil
		}
		if len(got.AccessTokens) == 0 {
			got.AccessTokens = nil
		}
		if len(got.Accounts) == 0 {
			got.Accounts = nil
		}
		if g, w := entriesJSON(t, got)+secretsOf(got), hitOf(t, s, q)+findSecrets(t, s, q); g != w {
			t.Errorf("FindHit(%s, %s, %s) =\n%s\nwant what Find returns for the hit:\n%s", q.Partition, q.HomeAccountID, q.ClientID, g, w)
		}
		if len(got.AccessTokens)+len(got.IDTokens) == 0 {
			t.Errorf("FindHit(%s, %s, %s) found no token of the account; want its rows", q.Partition, q.HomeAccountID, q.ClientID)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no token rows to look up; the test checks nothing")
	}
}

// secretsOf lists the secrets of e's tokens, in order.
func secretsOf(e domain.CacheEntries) string {
	out := ""
	for _, at := range e.AccessTokens {
		out += " at:" + string(at.Secret)
	}
	for _, idt := range e.IDTokens {
		out += " idt:" + string(idt.Secret)
	}
	return out
}

// findSecrets lists the secrets of q's client's tokens that Find returns.
func findSecrets(t *testing.T, s *sqlite.Store, q domain.CacheQuery) string {
	t.Helper()
	all, err := s.Find(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var e domain.CacheEntries
	for _, at := range all.AccessTokens {
		if strings.EqualFold(at.ClientID, q.ClientID) {
			e.AccessTokens = append(e.AccessTokens, at)
		}
	}
	for _, idt := range all.IDTokens {
		if strings.EqualFold(idt.ClientID, q.ClientID) {
			e.IDTokens = append(e.IDTokens, idt)
		}
	}
	return secretsOf(e)
}

// countNoHitKey returns how many rows of the hit tables in path's database have no
// hit key (0).
func countNoHitKey(t *testing.T, path string) int {
	t.Helper()
	total := 0
	for _, table := range hitTables {
		var n int
		if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM ` + table + ` WHERE hit_key = 0`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// TestOpen_migratesRowsToHitKeys opens a database at migration 0004 holding rows of
// every kind (sqlcachetest.PreCompactRows, migrated by 0004) and checks that migration
// 0005 and Open give every row of the hit tables its hit key, that FindHit serves every
// account's tokens as Find does, and that the rows are kept whole.
func TestOpen_migratesRowsToHitKeys(t *testing.T) {
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
	if _, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), ms[:4]); err != nil {
		t.Fatalf("apply version 4 = %v", err)
	}
	var before int
	for _, table := range hitTables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		before += n
	}
	_ = db.Close()

	s := openStore(t, sqlite.Config{Path: path})
	if n := countNoHitKey(t, path); n != 0 {
		t.Errorf("%d rows of the hit tables have no hit key after Open; want every one computed", n)
	}
	var after int
	for _, table := range hitTables {
		var n int
		if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		after += n
	}
	if before == 0 || after != before {
		t.Errorf("hit tables hold %d rows after migration 0005; want the %d of version 4", after, before)
	}
	checkHitsAsFind(t, s, path)
	sqlcachetest.CheckMigratedPreCompactRows(t, s)
}

// TestStore_FindHit_rowWithoutHitKey: a write computes its rows' hit keys. A row another
// tool inserted has hit key 0: the hit still serves it (a cache hit, not a sign-in), and
// the next Open computes its key.
func TestStore_FindHit_rowWithoutHitKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	if err := s.Write(t.Context(), fullWrite("p", "h", "x")); err != nil {
		t.Fatal(err)
	}
	for _, table := range hitTables { // a write computes the keys
		var key int64
		if err := rawDB(t, path).QueryRow(`SELECT hit_key FROM ` + table).Scan(&key); err != nil || key != sqlite.HitKey("p", "h") {
			t.Errorf("written %s row's hit_key = %d, %v; want %d", table, key, err, sqlite.HitKey("p", "h"))
		}
	}
	for _, table := range hitTables {
		mustExec(t, rawDB(t, path), `UPDATE `+table+` SET hit_key = 0`)
	}
	checkHitsAsFind(t, s, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, sqlite.Config{Path: path})
	if n := countNoHitKey(t, path); n != 0 {
		t.Errorf("%d rows without a hit key after reopening; want Open to compute them", n)
	}
	checkHitsAsFind(t, s, path)
}

// TestStore_FindHit_collidingHitKeys: accounts whose hit keys collide (32 bits of a
// hash) share index entries; a hit still returns only the tokens and account records
// of the account asked for, never another's.
func TestStore_FindHit_collidingHitKeys(t *testing.T) {
	a, b := collidingHomes(t, "p")
	s := openStore(t, sqlite.Config{})
	for _, home := range []string{a, b} {
		if err := s.Write(t.Context(), fullWrite("p", home, home)); err != nil {
			t.Fatal(err)
		}
	}
	for _, home := range []string{a, b} {
		got, err := s.FindHit(t.Context(), query("p", home))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != domain.Secret("at-secret-"+home) ||
			len(got.IDTokens) != 1 || got.IDTokens[0].Secret != domain.Secret("idt-secret-"+home) ||
			len(got.Accounts) != 1 || got.Accounts[0].HomeAccountID != home {
			t.Errorf("FindHit(%s), whose hit key %s's shares, = %d access tokens, %d ID tokens, %d accounts (%s); want its own one of each",
				home, other(home, a, b), len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), secretsOf(got))
		}
	}
}

// collidingHomes returns two home account ids whose hit keys collide in partition: a
// birthday search over 32-bit keys, some 2^16 hashes.
func collidingHomes(t *testing.T, partition string) (string, string) {
	t.Helper()
	seen := make(map[int64]string)
	for i := range 1 << 22 {
		home := fmt.Sprintf("h%d", i)
		k := sqlite.HitKey(partition, home)
		if prev, ok := seen[k]; ok {
			return prev, home
		}
		seen[k] = home
	}
	t.Fatal("no colliding hit keys among 2^22 homes; the hash is not 32 bits")
	return "", ""
}

func other(home, a, b string) string {
	if home == a {
		return b
	}
	return a
}

// TestStore_FindHit_otherClientsTokens: an account's tokens of every client share its
// hit key; a hit returns only those of the client asked for — another app's token
// served would be a token for the wrong audience.
func TestStore_FindHit_otherClientsTokens(t *testing.T) {
	s := openStore(t, sqlite.Config{})
	mine, theirs := fullWrite("p", "h", "mine"), fullWrite("p", "h", "theirs")
	theirs.AccessToken.ClientID, theirs.IDToken.ClientID, theirs.RefreshToken.ClientID = "other", "other", "other"
	theirs.AppMetadata.ClientID = "other"
	for _, w := range []domain.CacheWrite{theirs, mine} {
		if err := s.Write(t.Context(), w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FindHit(t.Context(), query("p", "h"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != "at-secret-mine" ||
		len(got.IDTokens) != 1 || got.IDTokens[0].Secret != "idt-secret-mine" {
		t.Errorf("FindHit(client) = %s; want the client's own access and ID token only", secretsOf(got))
	}
}
