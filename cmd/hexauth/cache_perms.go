package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// tightenDefaultCache narrows the default cache's directory to mode 0700 and its
// database files (tokens.db and the -wal, -shm and -journal files SQLite keeps beside
// it) to 0600 when they are wider: an older hexauth, a copy or a umask may have left
// them readable by others, and MkdirAll and the store leave an existing path as it is.
// Only what hexauth owns is changed: the hexauth directory itself (never the user cache
// directory above it) and files that are regular, not symbolic links, and belong to
// this user. Elsewhere permissions mean nothing to change (Windows), and nothing is.
func tightenDefaultCache(dir, db string) error {
	if err := tighten(dir, 0o700, true); err != nil {
		return err
	}
	for _, path := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		if err := tighten(path, 0o600, false); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes the permission bits of path outside mode when path is a directory
// (isDir) or a regular file owned by this user; anything else is left alone.
func tighten(path string, mode fs.FileMode, isDir bool) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("hexauth: token cache: %w", err)
	case isDir && !info.IsDir(), !isDir && !info.Mode().IsRegular():
		return nil // a symbolic link or a device: not ours to change
	case info.Mode().Perm()&^mode == 0, !ownedByUser(info):
		return nil
	}
	if err := os.Chmod(path, info.Mode().Perm()&mode); err != nil {
		return fmt.Errorf("hexauth: token cache: make it private: %w", err)
	}
	return nil
}
