// Package postgres is a ports.CacheStore on PostgreSQL, for clusters of processes that
// share one token cache.
//
// It talks to the server through pgx/v5's database/sql driver and sqlx. Every entry
// kind of MSAL's unified cache has a table of its own in a configurable schema, whose
// primary key (partition, the entry's identity) serves upserts and every look-up the
// use cases make, so a silent cache hit costs one round trip whatever the number of
// cached accounts. Rows store no entry key, ids once and refresh tokens packed
// (docs/cache-schema.md). The schema is
// created and migrated on Open from embedded SQL files, under an advisory lock so that
// many processes may start at once.
//
// Writes are upserts (INSERT ... ON CONFLICT DO UPDATE) in one transaction; a refresh
// token is only replaced by one that is not older, a rule enforced in SQL so that it
// holds across processes. The refresh lock is pg_advisory_xact_lock on a 64-bit hash of
// the lock key, taken on a connection pool of its own so that lock holders never starve
// the queries they make while holding it.
//
// What this store does as the SQLite store does (the encoding of entries into rows and
// back, the course of a write, errors, the in-process half of the refresh lock) is
// internal/sqlcache; the SQL is its own.
package postgres
