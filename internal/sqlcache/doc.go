// Package sqlcache holds what the SQL cache stores (adapters/sqlite and
// adapters/postgres) do the same way, whatever the database: the column encoding of
// cache entries (times as Unix seconds, folded ids, Extra as byte-exact JSON), the
// tables an upsert writes and each entry's values for them, the decoding of the rows
// of the five-table union queries, the execution of upsert batches, the classification
// of store errors, the open/closed state of a store and the in-process lock per key
// that queues refresh-lock waiters.
//
// The SQL itself is each adapter's own: placeholders, upsert statements, locking and
// the union queries differ between dialects. The adapters' union queries must return
// the columns of Row in order and number the kinds as Kind does.
//
// The errors this package returns describe data (an Extra field that is not JSON, a
// column of the wrong type) and never quote a value; they are causes that the adapters
// wrap in their own prefixed errors (see Errors), so they carry no prefix themselves.
package sqlcache
