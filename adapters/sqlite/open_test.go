package sqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

func TestOpen_twiceMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	logger, logs := newLogger()
	first := openStore(t, sqlite.Config{Path: path, Logger: logger})
	w := fullWrite("p", "h", "kept")
	if err := first.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	second := openStore(t, sqlite.Config{Path: path, Logger: logger})
	got, err := second.Find(t.Context(), query("p", "h"))
	if err != nil || len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != w.AccessToken.Secret {
		t.Errorf("Find after reopening = %d access tokens, %v; want the one written before", len(got.AccessTokens), err)
	}
	var rows int
	if err := rawDB(t, path).QueryRow("SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil || rows != 4 {
		t.Errorf("schema_migrations rows = %d, %v; want 4 (each of the four migrations once)", rows, err)
	}
	if n := strings.Count(logs.String(), "migrated the token cache"); n != 1 {
		t.Errorf("logged %d migrations over two opens; want 1:\n%s", n, logs)
	}
}

func TestOpen_concurrentOpensOfANewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open of a new file = %v; want nil", err)
		}
	}
}

func TestOpen_filePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	if err := s.Write(t.Context(), fullWrite("p", "h", "x")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	for _, f := range []struct {
		path string
		want fs.FileMode
	}{{dir, 0o700}, {path, 0o600}, {path + "-wal", 0o600}, {path + "-shm", 0o600}} {
		info, err := os.Stat(f.path)
		if err != nil {
			t.Errorf("stat %s: %v", f.path, err)
			continue
		}
		if got := info.Mode().Perm(); got != f.want {
			t.Errorf("mode of %s = %#o; want %#o", filepath.Base(f.path), got, f.want)
		}
	}
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpen_warnsAboutALooseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	logger, logs := newLogger()
	openStore(t, sqlite.Config{Path: path, Logger: logger})
	if !strings.Contains(logs.String(), "accessible to other users") {
		t.Errorf("Open of a 0644 file logged %q; want a warning about its permissions", logs)
	}
}

func TestOpen_pathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd name?x=1#frag%20.db")
	s := openStore(t, sqlite.Config{Path: path})
	if err := s.Write(t.Context(), fullWrite("p", "h", "x")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}

func TestOpen_directoryIsNotADatabase(t *testing.T) {
	_, err := sqlite.Open(context.Background(), sqlite.Config{Path: t.TempDir()})
	if !errors.Is(err, domain.ErrCacheStore) || !strings.Contains(err.Error(), "sqlite: open:") {
		t.Errorf("Open(a directory) = %v; want an ErrCacheStore error prefixed sqlite: open:", err)
	}
}

func TestOpen_notADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	if err := os.WriteFile(path, []byte("this is not an SQLite database, but it is long enough to have a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("Open(a text file) = %v; want an ErrCacheStore error", err)
	}
}

func TestOpen_databaseOfANewerProgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	s := openStore(t, sqlite.Config{Path: path})
	_ = s.Close()
	mustExec(t, rawDB(t, path), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)")
	_, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, sqlmigrate.ErrDatabaseAhead) {
		t.Errorf("Open of a database at version 99 = %v; want an ErrCacheStore error wrapping sqlmigrate.ErrDatabaseAhead", err)
	}
}

func TestOpen_memoryDatabasesAreSeparate(t *testing.T) {
	a := openStore(t, sqlite.Config{Path: sqlite.MemoryPath})
	b := openStore(t, sqlite.Config{Path: sqlite.MemoryPath})
	if err := a.Write(t.Context(), fullWrite("p", "h", "a")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	got, err := b.Find(t.Context(), query("p", "h"))
	if err != nil || len(got.AccessTokens) != 0 {
		t.Errorf("Find in another in-memory store = %d access tokens, %v; want 0, nil", len(got.AccessTokens), err)
	}
	got, err = a.Find(t.Context(), query("p", "h"))
	if err != nil || len(got.AccessTokens) != 1 {
		t.Errorf("Find in the same in-memory store = %d access tokens, %v; want 1, nil", len(got.AccessTokens), err)
	}
}
