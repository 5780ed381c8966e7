package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// File modes of what Open creates: the database is readable by its owner only (it
// holds refresh tokens), and so are the -wal and -shm files SQLite creates beside it,
// which take the database file's mode.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// prepareFile returns the absolute form of path after creating the database file, and
// its directory, when they are missing: SQLite would create the file with the
// process's umask (usually readable by everyone). An existing file is left as it is;
// one that others may read or write is reported through log.
func prepareFile(path string, log *slog.Logger) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("database path: %w", err)
	}
	dir := filepath.Dir(abs)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return "", fmt.Errorf("create database directory: %w", err)
		}
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	info, err := f.Stat()
	_ = f.Close()
	if err != nil {
		return "", fmt.Errorf("database file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("database path %s is not a regular file", abs)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("sqlite: the token cache file is accessible to other users; chmod 600 it",
			"path", abs, "mode", fmt.Sprintf("%#o", perm))
	}
	return abs, nil
}
