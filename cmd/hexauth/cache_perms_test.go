//go:build unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// chmod sets path's mode, whatever the umask did when it was created.
func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// wantMode fails t unless path has the permission bits want.
func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o; want %#o", path, got, want)
	}
}

func TestTightenDefaultCache_narrowsWhatIsOurs(t *testing.T) {
	parent := t.TempDir()
	chmod(t, parent, 0o755)
	dir := filepath.Join(parent, "hexauth")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o775)
	db := filepath.Join(dir, "tokens.db")
	for path, mode := range map[string]fs.FileMode{db: 0o644, db + "-wal": 0o666, db + "-shm": 0o640} {
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		chmod(t, path, mode)
	}
	if err := tightenDefaultCache(dir, db); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o700)
	for _, path := range []string{db, db + "-wal", db + "-shm"} {
		wantMode(t, path, 0o600)
	}
	wantMode(t, parent, 0o755) // the user cache directory is not hexauth's
}

func TestTightenDefaultCache_leavesStricterModesAndLinks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hexauth")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o700) // already private
	db := filepath.Join(dir, "tokens.db")
	if err := os.WriteFile(db, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	chmod(t, db, 0o400)
	elsewhere := filepath.Join(t.TempDir(), "shared.db")
	if err := os.WriteFile(elsewhere, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	chmod(t, elsewhere, 0o644)
	if err := os.Symlink(elsewhere, db+"-wal"); err != nil {
		t.Fatal(err)
	}
	if err := tightenDefaultCache(dir, db); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o700)
	wantMode(t, db, 0o400)
	wantMode(t, elsewhere, 0o644) // reached through a link: not changed
	if err := tightenDefaultCache(filepath.Join(t.TempDir(), "missing"), "missing.db"); err != nil {
		t.Fatalf("nothing to tighten: %v; want nil", err)
	}
}

func TestTightenDefaultCache_leavesAnotherUsersFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	dir := filepath.Join(t.TempDir(), "hexauth")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o755)
	db := filepath.Join(dir, "tokens.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, db, 0o644)
	const nobody = 65534
	for _, path := range []string{dir, db} {
		if err := os.Lchown(path, nobody, nobody); err != nil {
			t.Skipf("chown: %v", err)
		}
	}
	if err := tightenDefaultCache(dir, db); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o755)
	wantMode(t, db, 0o644)
}
