// Package sqlite is a ports.CacheStore on SQLite, for a laptop or a single node: one
// database file that any number of processes may share.
//
// It uses modernc.org/sqlite (no cgo) through sqlx; a silent hit's read (FindHit) runs
// on the driver's connection, with a statement each pool connection prepares (conn.go).
// Every entry kind of MSAL's unified cache has a table of its own, with one unique
// index on (partition, the entry's identity) that serves upserts and every look-up the use cases make, so a silent
// cache hit costs one indexed query whatever the number of cached accounts. Rows store
// no entry key, ids once and refresh tokens packed (docs/cache-schema.md). The schema is created and migrated on Open from embedded
// SQL files (internal/sqlmigrate).
//
// The database runs in WAL mode, so readers never wait for the writer. Every write is
// one BEGIN IMMEDIATE transaction: it takes the database's write lock at its start,
// waiting for another process's writer under the busy timeout, and so never fails with
// an SQLITE_BUSY lock upgrade. A refresh token is only replaced by one that is not
// older, a rule enforced in the upsert itself, so that it holds across processes.
//
// The refresh lock works across processes: a row of the refresh_locks table, inserted
// in its own committed transaction, names the holder and a lease that the holder renews
// while it runs; a crashed holder's lease expires and its row is taken over. Goroutines
// of one process first queue on an in-process lock per key, so only one of them polls
// the database.
//
// A row that cannot be read back (invalid JSON in extra, a value of the wrong type) is
// skipped as a cache miss and reported through the Logger, without any secret.
//
// What this store does as the PostgreSQL store does (the encoding of entries into rows
// and back, the course of a write, errors, the in-process half of the refresh lock) is
// internal/sqlcache; the SQL is its own.
package sqlite
