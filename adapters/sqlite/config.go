package sqlite

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// MemoryPath is the Config.Path of a database held in memory, private to the Store.
const MemoryPath = ":memory:"

// Defaults applied by Open to the zero values of Config.
const (
	DefaultBusyTimeout  = 5 * time.Second
	DefaultMaxOpenConns = 8
	DefaultLockLease    = 30 * time.Second
)

// minLockLease bounds Config.LockLease from below: the lease is renewed every third of
// it, and a shorter one would be lost to a pause of the process.
const minLockLease = 100 * time.Millisecond

// Config configures a Store. The zero value of every field but Path is usable.
type Config struct {
	// Path is the database file, created (mode 0600, its directory 0700) when missing;
	// a relative path is taken from the working directory. MemoryPath (":memory:")
	// keeps the database in memory on a single connection: nothing persists and no
	// other Store sees it. Required.
	Path string
	// BusyTimeout is how long a statement waits for a lock another process holds (the
	// write lock, or a checkpoint) before it fails. Default 5s.
	BusyTimeout time.Duration
	// MaxOpenConns caps the pool's connections. Readers use them concurrently; writers
	// of one Store take turns on one at a time. Default 8; always 1 in memory.
	MaxOpenConns int
	// LockLease is how long a refresh lock held by a process stays valid without being
	// renewed; the holder renews it every LockLease/3 while its function runs. A
	// crashed holder's lock is taken over once the lease has run out. Default 30s,
	// at least 100ms.
	LockLease time.Duration
	// Logger receives warnings about corrupt rows, lost refresh locks and loose file
	// permissions. Nothing it logs contains a token. Default: discard.
	Logger *slog.Logger
}

// Validate reports the first problem with c as a *domain.Error of class
// domain.ErrInvalidInput. It touches no file.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Path) == "":
		return configError("Path is empty (want a file path or %q)", MemoryPath)
	case strings.IndexByte(c.Path, 0) >= 0:
		return configError("Path holds a NUL byte")
	case c.BusyTimeout < 0:
		return configError("BusyTimeout is negative (%s)", c.BusyTimeout)
	case c.MaxOpenConns < 0:
		return configError("MaxOpenConns is negative (%d)", c.MaxOpenConns)
	case c.LockLease < 0:
		return configError("LockLease is negative (%s)", c.LockLease)
	case c.LockLease > 0 && c.LockLease < minLockLease:
		return configError("LockLease %s is shorter than %s", c.LockLease, minLockLease)
	}
	return nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.inMemory() {
		c.MaxOpenConns = 1
	}
	if c.LockLease == 0 {
		c.LockLease = DefaultLockLease
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) inMemory() bool { return c.Path == MemoryPath }

// mmapSize is how much of a database file SQLite reads through memory-mapped I/O:
// look-ups then read pages from the OS page cache, shared by every connection and
// process, instead of copying them into each connection's page cache. It halves the
// cost of a Find on a cache of 100,000 accounts. It is address space, not memory: 2 GiB
// (SQLite's default ceiling) maps the whole file of a cache of some 200,000 accounts
// with Entra-sized tokens; with 256 MiB a silent hit at 100,000 accounts (an 820 MB
// file) cost about 40% more CPU time. Where the mapping cannot be made (a 32-bit
// process), SQLite reads pages instead.
const mmapSize = 2 << 30

// walSizeLimit is what the WAL file is cut back to after a checkpoint. Without it the
// file keeps the size of the largest transaction ever written (an import of 10,000
// accounts leaves ~100 MB) for as long as the database is open.
const walSizeLimit = 16 << 20

// dsn returns the data source name of modernc.org/sqlite for c, whose Path is
// absolute (or MemoryPath). The pragmas are in the DSN so that every connection of the
// pool gets them: the busy timeout first, WAL, foreign keys, full sync (a rotated
// refresh token survives a power loss), memory-mapped reads, a bounded WAL; _txlock=immediate makes
// every transaction that is not read-only BEGIN IMMEDIATE.
func (c Config) dsn() string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", c.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	if c.inMemory() {
		return MemoryPath + "?" + q.Encode()
	}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmapSize))
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	return c.fileURI() + "?" + q.Encode()
}

// fileURI returns the file: URI of c.Path, its path escaped, so that no character of
// the path (a '?' or '#') is taken for the start of the parameters.
func (c Config) fileURI() string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(c.Path)}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path // a Windows volume: file:///C:/...
	}
	return u.String()
}

// pageSize is the page size of a database the store creates. A row of an Entra access
// token (~2.2 KB) fills a 4 KB page alone, as two do not fit; 16 KB pages hold seven,
// and the ID and refresh token rows (~1.5 KB) pack ten to a page instead of two. It
// cannot change once a database is in WAL mode: a database created with another page
// size keeps it (docs/operations.md says how to convert one).
const pageSize = 16384

// String describes c.
func (c Config) String() string {
	return fmt.Sprintf("sqlite.Config{Path: %q, BusyTimeout: %s, MaxOpenConns: %d, LockLease: %s}",
		c.Path, c.BusyTimeout, c.MaxOpenConns, c.LockLease)
}

func configError(format string, args ...any) error {
	return &domain.Error{Class: domain.ErrInvalidInput, Err: fmt.Errorf("sqlite: config: "+format, args...)}
}
