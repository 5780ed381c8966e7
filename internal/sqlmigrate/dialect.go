package sqlmigrate

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Dialect tells Apply how to lock and where to record versions in one kind of
// database. SQLite and Postgres return the two hexauth uses; a Dialect is plain data,
// so a test can build its own.
type Dialect struct {
	// Name names the database kind in error messages ("sqlite", "postgres").
	Name string
	// Begin are the statements that open a transaction on a dedicated connection and
	// take the migration lock, held until the transaction ends. Apply runs them at the
	// start of every transaction it opens, and ends it with COMMIT or ROLLBACK.
	Begin []string
	// Setup are statements run under the lock, after Begin, before the version is
	// read: they create the version table (and whatever holds it) when it is missing.
	Setup []string
	// Version reads the recorded version: one row, one integer column, 0 when no
	// version is recorded. It fails when the version table does not exist.
	Version string
	// Record inserts the row of a migration just applied; its two parameters are the
	// version (an int) and the name (a string), in that order.
	Record string
}

// versionTable is the name of the table that records applied migrations.
const versionTable = "schema_migrations"

// SQLite returns the dialect of SQLite. The lock is BEGIN IMMEDIATE, which takes the
// database's write lock at once: a second process migrating the same file waits for it
// under the connection's busy timeout, so the DSN must set one
// (modernc.org/sqlite: _pragma=busy_timeout(5000)); without it that process fails with
// SQLITE_BUSY instead of waiting. The version table is schema_migrations in the main
// database; applied_at is in Unix seconds.
func SQLite() Dialect {
	return Dialect{
		Name:  "sqlite",
		Begin: []string{"BEGIN IMMEDIATE"},
		Setup: []string{`CREATE TABLE IF NOT EXISTS ` + versionTable + ` (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
)`},
		Version: `SELECT coalesce(max(version), 0) FROM ` + versionTable,
		Record:  `INSERT INTO ` + versionTable + ` (version, name, applied_at) VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))`,
	}
}

// Postgres returns the dialect of PostgreSQL for migrations of schema, which is
// created if missing; the version table is schema.schema_migrations, always qualified,
// so the connection's search_path does not matter to Apply (it does to the migrations'
// own statements). The lock is pg_advisory_xact_lock on a 64-bit key derived from the
// schema's name: processes migrating the same schema take turns, other schemas do not
// wait. schema is quoted as an identifier, so its case is kept.
func Postgres(schema string) Dialect {
	s := quoteIdent(schema)
	table := s + "." + versionTable
	return Dialect{
		Name:  "postgres",
		Begin: []string{"BEGIN", fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", PostgresLockKey(schema))},
		Setup: []string{
			`CREATE SCHEMA IF NOT EXISTS ` + s,
			`CREATE TABLE IF NOT EXISTS ` + table + ` (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`,
		},
		Version: `SELECT coalesce(max(version), 0) FROM ` + table,
		Record:  `INSERT INTO ` + table + ` (version, name) VALUES ($1, $2)`,
	}
}

// PostgresLockKey returns the advisory-lock key the Postgres dialect takes for schema:
// FNV-1a (64 bits) of "hexauth/sqlmigrate/" and the schema's name.
func PostgresLockKey(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("hexauth/sqlmigrate/" + schema))
	return int64(h.Sum64())
}

// quoteIdent quotes name as an SQL identifier, doubling the quotes it holds.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
