package postgres

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexauth/hexauth/domain"
)

// Defaults applied by Open to the zero values of Config.
const (
	// DefaultSchema is the schema used when Config.Schema is empty.
	DefaultSchema = "hexauth"
	// DefaultMaxOpenConns is the read-write pool size when Config.MaxOpenConns is 0.
	DefaultMaxOpenConns = 10
	// DefaultConnMaxLifetime is used when Config.ConnMaxLifetime is 0.
	DefaultConnMaxLifetime = 30 * time.Minute
	// DefaultConnMaxIdleTime is used when Config.ConnMaxIdleTime is 0.
	DefaultConnMaxIdleTime = 5 * time.Minute
)

// Config configures a Store. The zero value of every field but DSN is usable.
type Config struct {
	// DSN is a PostgreSQL connection string, as a URL
	// (postgres://user@host:5432/db?sslmode=verify-full) or in key=value form. Required.
	// It may hold a password: Config never prints it (see String).
	DSN string
	// Schema holds the cache's tables; it is created on Open if missing. It must be an
	// identifier of ASCII letters, digits and underscores, not starting with a digit or
	// "pg_", at most 63 bytes; it is always quoted, so case is kept. Default "hexauth".
	Schema string
	// MaxOpenConns caps the connections used for reads and writes. Default 10.
	MaxOpenConns int
	// MaxIdleConns caps the idle connections kept for reuse. Default MaxOpenConns.
	MaxIdleConns int
	// MaxLockConns caps the connections of the separate pool that holds refresh locks:
	// each held lock occupies one for as long as its function runs, and callers beyond
	// the cap wait (honouring their context). Default MaxOpenConns.
	MaxLockConns int
	// ConnMaxLifetime closes connections older than this. Default 30 minutes; negative
	// means no limit.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle longer than this. Default 5 minutes;
	// negative means no limit.
	ConnMaxIdleTime time.Duration
	// Logger receives warnings about corrupt rows and failed lock releases. Nothing it
	// logs contains a token or a password. Default: discard.
	Logger *slog.Logger
}

// schemaPattern is the identifier syntax accepted for Config.Schema.
var schemaPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Validate reports the first problem with c as a *domain.Error of class
// domain.ErrInvalidInput. It does not connect to the server.
func (c Config) Validate() error {
	if strings.TrimSpace(c.DSN) == "" {
		return configError("DSN is empty")
	}
	if _, err := pgx.ParseConfig(c.DSN); err != nil {
		// The parser's message quotes the DSN, whose password it can only redact on a
		// best-effort basis, so it is not passed on.
		return configError("DSN is not a valid PostgreSQL connection string")
	}
	if c.Schema != "" {
		if !schemaPattern.MatchString(c.Schema) {
			return configError("schema %q is not an identifier of letters, digits and underscores (at most 63 bytes)", c.Schema)
		}
		if strings.HasPrefix(strings.ToLower(c.Schema), "pg_") {
			return configError("schema %q: names starting with pg_ are reserved by PostgreSQL", c.Schema)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxOpenConns", c.MaxOpenConns}, {"MaxIdleConns", c.MaxIdleConns}, {"MaxLockConns", c.MaxLockConns}} {
		if f.v < 0 {
			return configError("%s is negative (%d)", f.name, f.v)
		}
	}
	return nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.MaxLockConns == 0 {
		c.MaxLockConns = c.MaxOpenConns
	}
	if c.ConnMaxLifetime == 0 {
		c.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if c.ConnMaxIdleTime == 0 {
		c.ConnMaxIdleTime = DefaultConnMaxIdleTime
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// String describes c without its DSN, which may hold a password.
func (c Config) String() string {
	return fmt.Sprintf("postgres.Config{DSN: [redacted], Schema: %q, MaxOpenConns: %d, MaxIdleConns: %d, MaxLockConns: %d, ConnMaxLifetime: %s, ConnMaxIdleTime: %s}",
		c.Schema, c.MaxOpenConns, c.MaxIdleConns, c.MaxLockConns, c.ConnMaxLifetime, c.ConnMaxIdleTime)
}

// GoString describes c without its DSN, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the DSN.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("schema", c.Schema),
		slog.Int("max_open_conns", c.MaxOpenConns),
		slog.Int("max_idle_conns", c.MaxIdleConns),
		slog.Int("max_lock_conns", c.MaxLockConns),
		slog.Duration("conn_max_lifetime", c.ConnMaxLifetime),
		slog.Duration("conn_max_idle_time", c.ConnMaxIdleTime),
	)
}

func configError(format string, args ...any) error {
	return &domain.Error{Class: domain.ErrInvalidInput, Err: fmt.Errorf("postgres: config: "+format, args...)}
}
