//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// withoutUserCacheDir makes os.UserCacheDir fail (no HOME, no XDG_CACHE_HOME), as for
// some services, and points the temporary directory at a fresh one, which it returns.
func withoutUserCacheDir(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("TMPDIR", tmp)
	if _, err := os.UserCacheDir(); err == nil {
		t.Skip("os.UserCacheDir works without HOME on this system")
	}
	return tmp
}

// Without a user cache directory the locks go to a directory of this user's own in the
// shared temporary directory, created 0700; not to a "hexauth" any user may create.
func TestLockDir_fallbackIsPerUser(t *testing.T) {
	tmp := withoutUserCacheDir(t)
	dir, err := lockDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(tmp, "hexauth-"+strconv.Itoa(os.Geteuid())); dir != want {
		t.Fatalf("lockDir = %s; want %s", dir, want)
	}
	wantMode(t, dir, 0o700)
	l, err := lockLogin(t.Context(), settings{})
	if err != nil {
		t.Fatal(err)
	}
	l.unlock()
}

// A lock directory another user could have made, or can write into, is refused with
// an error naming it, and no lock is taken there.
func TestLockLogin_refusesALockDirectoryNotPrivate(t *testing.T) {
	for name, squat := range map[string]func(t *testing.T, dir string){
		"others may write": func(t *testing.T, dir string) { mkdir(t, dir); chmod(t, dir, 0o757) },
		"group may write":  func(t *testing.T, dir string) { mkdir(t, dir); chmod(t, dir, 0o770) },
		"a symbolic link to a private directory": func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			mkdir(t, target)
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
		},
		"a file": func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"another user's": func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("giving a directory to another user takes root")
			}
			mkdir(t, dir)
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(withoutUserCacheDir(t), "hexauth-"+strconv.Itoa(os.Geteuid()))
			squat(t, dir)
			l, err := lockLogin(t.Context(), settings{})
			if err == nil {
				l.unlock()
				t.Fatalf("lockLogin took a lock in a lock directory that is %s", name)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error = %q; want it to name the directory %s", err, dir)
			}
			if matches, _ := filepath.Glob(filepath.Join(dir, "login-*.lock")); len(matches) > 0 {
				t.Errorf("lock files created in the refused directory: %v", matches)
			}
		})
	}
}

// The user cache directory's hexauth directory, left wider by an older hexauth or a
// umask, is narrowed to 0700 as the token cache's is, and used.
func TestLockDir_narrowsTheUserCacheDirectory(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(base, "hexauth")
	if err := os.MkdirAll(want, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, want, 0o775)
	dir, err := lockDir()
	if err != nil || dir != want {
		t.Fatalf("lockDir = %s, %v; want %s", dir, err, want)
	}
	wantMode(t, dir, 0o700)
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}
