// Package sqlcache holds what the SQL cache stores (adapters/sqlite and
// adapters/postgres) do the same way, whatever the database: the column encoding of
// cache entries (times as Unix seconds, folded ids, Extra as byte-exact JSON), the
// tables an upsert writes and each entry's values for them, the decoding of the rows
// of the five-table union queries (Row, Scan), the course of a write or an import
// (Upserter: every entry encoded before anything is written, then one transaction),
// the classification of store errors (Errors), the open/closed state of a store
// (Lifecycle) and the in-process half of the refresh lock (RefreshLocker).
//
// The SQL itself is each adapter's own: placeholders, upsert statements, transactions,
// cross-process locking and the union queries differ between dialects; the adapters
// hand them in as strings and functions. Their union queries must return the columns
// of Row in order and number the kinds as Kind does.
//
// The errors this package returns as causes describe data (an Extra field that is not
// JSON, a column of the wrong type) and never quote a value; the adapters wrap them in
// their own prefixed errors (Errors), so they carry no prefix themselves.
package sqlcache
