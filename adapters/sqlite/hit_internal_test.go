package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// hitFixture opens a store on a new file holding one account's access token, ID token
// and account record, each with extra fields, and returns it with the file's path.
func hitFixture(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	now := time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)
	extra := map[string]json.RawMessage{"kept": json.RawMessage(`"by another writer"`)}
	w := domain.CacheWrite{Partition: "p",
		AccessToken: &domain.AccessToken{HomeAccountID: "H", Environment: "login.example.com", ClientID: "C", Realm: "r",
			Target: "read", Secret: "at", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour),
			ExtendedExpiresOn: now.Add(time.Hour), Extra: extra},
		IDToken: &domain.IDToken{HomeAccountID: "H", Environment: "login.example.com", ClientID: "C", Realm: "r",
			Secret: "idt", Extra: extra},
		Account: &domain.Account{HomeAccountID: "H", Environment: "login.example.com", Realm: "r", Username: "u",
			AuthorityType: domain.AuthorityTypeMSSTS, Extra: extra},
	}
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v", err)
	}
	return s, path
}

// readNarrow runs the narrow hit read alone on the fixture's account.
func readNarrow(t *testing.T, s *Store) (domain.CacheEntries, error) {
	t.Helper()
	return s.readHit(t.Context(), nil, "p", sqlcache.FoldHome("H"), sqlcache.Fold("C"))
}

// The wide read returns the same entries as the narrow one, so only this test sees the
// narrow read give up on sound rows (ids in another case, extra fields): a hit would
// still be right, at the wide read's cost.
func TestStore_readHit_soundRowsStayNarrow(t *testing.T) {
	s, _ := hitFixture(t)
	got, err := readNarrow(t, s)
	if err != nil {
		t.Fatalf("narrow hit read = %v; want the sound rows served without the wide read", err)
	}
	if len(got.AccessTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
		t.Fatalf("narrow hit read = %d access tokens, %d ID tokens, %d accounts; want one of each",
			len(got.AccessTokens), len(got.IDTokens), len(got.Accounts))
	}
	at := got.AccessTokens[0]
	if at.HomeAccountID != "H" || at.ClientID != "C" || at.Secret != "at" || string(at.Extra["kept"]) != `"by another writer"` ||
		got.IDTokens[0].Secret != "idt" || got.Accounts[0].Extra == nil {
		t.Errorf("narrow hit read = %+v; want the entries as written", got)
	}
}

// concat_ws skips a NULL, so a NULL field would shift the fields after it; the field
// count catches it and the wide read takes over. No column the read joins may be NULL
// under the schema, so the test lifts a NOT NULL constraint by editing the schema.
func TestStore_readHit_nullFieldGoesWide(t *testing.T) {
	s, path := hitFixture(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'key_id                 TEXT    NOT NULL', 'key_id TEXT') WHERE name = 'access_tokens'`,
		`PRAGMA writable_schema = RESET`,
		`UPDATE access_tokens SET key_id = NULL`,
	} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got, err := readNarrow(t, s); !errors.Is(err, errNarrow) {
		t.Errorf("narrow hit read of a NULL key_id = %d access tokens, %v; want errNarrow", len(got.AccessTokens), err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "H", ClientID: "C"}
	hit, err := s.FindHit(t.Context(), q)
	all, err2 := s.Find(t.Context(), q)
	if err != nil || err2 != nil || len(hit.AccessTokens) != len(all.AccessTokens) || len(hit.IDTokens) != 1 {
		t.Errorf("FindHit = %d access tokens, %d ID tokens, %v; want Find's %d access tokens (%v), 1 ID token",
			len(hit.AccessTokens), len(hit.IDTokens), err, len(all.AccessTokens), err2)
	}
}

// openFiles counts this process's open descriptors of path or its -wal and -shm files;
// -1 where /proc/self/fd cannot be read.
func openFiles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, path) {
			n++
		}
	}
	return n
}

// The narrow hit read is prepared on each pool connection, outside database/sql. A
// connection closed with a statement still prepared would stay open in SQLite (a
// "zombie" of sqlite3_close_v2), its file and memory with it: closing the connection
// must close the statement first.
func TestStore_FindHit_closeReleasesConnections(t *testing.T) {
	s, path := hitFixture(t)
	if openFiles(t, path) < 0 {
		t.Skip("no /proc/self/fd to count open files")
	}
	if _, err := s.FindHit(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "H", ClientID: "C"}); err != nil {
		t.Fatalf("FindHit = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if n := openFiles(t, path); n != 0 {
		t.Errorf("after Close, %d descriptors of the database's files are open; want 0", n)
	}
}
