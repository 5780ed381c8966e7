package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	msqlite "modernc.org/sqlite"
)

// File modes of what Open creates: the database is readable by its owner only (it
// holds refresh tokens), and so are the -wal and -shm files SQLite creates beside it,
// which take the database file's mode.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// prepareFile returns the absolute form of path, and whether the file is empty (new),
// after creating the database file, and
// its directory, when they are missing: SQLite would create the file with the
// process's umask (usually readable by everyone). An existing file is left as it is;
// one that others may read or write is reported through log.
func prepareFile(path string, log *slog.Logger) (abs string, empty bool, err error) {
	abs, err = filepath.Abs(path)
	if err != nil {
		return "", false, fmt.Errorf("database path: %w", err)
	}
	dir := filepath.Dir(abs)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return "", false, fmt.Errorf("create database directory: %w", err)
		}
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return "", false, fmt.Errorf("create database file: %w", err)
	}
	info, err := f.Stat()
	_ = f.Close()
	if err != nil {
		return "", false, fmt.Errorf("database file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", false, fmt.Errorf("database path %s is not a regular file", abs)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("sqlite: the token cache file is accessible to other users; chmod 600 it",
			"path", abs, "mode", fmt.Sprintf("%#o", perm))
	}
	return abs, info.Size() == 0, nil
}

// initFile gives an empty database file its page size and WAL mode, on a connection of
// its own: the pragmas of the store's DSN would switch to WAL before setting the page
// size (modernc.org/sqlite applies them in its own order), and a WAL database keeps the
// page size it has. Another process doing the same at the same time is harmless: the
// first to write the header decides, with the same values.
func initFile(ctx context.Context, cfg Config) error {
	db, err := sql.Open("sqlite", cfg.fileURI()+fmt.Sprintf("?_pragma=busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	if err != nil {
		return fmt.Errorf("initialise database file: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return fmt.Errorf("initialise database file: page size: %w", err)
	}
	// Switching to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
	// without its busy handler, when another process initialising the same new file
	// holds a shared one (parallel kubectl calls on a first run): retry, within
	// BusyTimeout, until one of them has switched it.
	deadline := time.Now().Add(cfg.BusyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			return nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("initialise database file: journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("initialise database file: journal mode: %w", err)
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (5) or SQLITE_LOCKED (6).
func isBusy(err error) bool {
	var se *msqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}
