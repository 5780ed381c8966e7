package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// exportQuery is the union of the five tables and the foreign sections restricted to partition ?1, each branch
// served by the primary key's index, whose first column is the partition.
var exportQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = ?1`,
	selectRefreshTokens + ` WHERE partition = ?1`,
	selectIDTokens + ` WHERE partition = ?1`,
	selectAccounts + ` WHERE partition = ?1`,
	selectAppMetadata + ` WHERE partition = ?1`,
	selectForeignSections + ` WHERE partition = ?1`,
}, "\nUNION ALL\n")

// selectForeignSections returns a partition's foreign sections as rows of the union
// (sqlcache.KindForeignSection): the name as key, the value as extra.
const selectForeignSections = `SELECT 6, key, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, value, NULL
	FROM foreign_sections`

// Export implements ports.CacheSnapshotter with one statement, which reads one
// consistent snapshot of the partition. Corrupt rows are skipped and logged.
func (s *Store) Export(ctx context.Context, partition string) (domain.CacheSnapshot, error) {
	const op = "export"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheSnapshot{}, err
	}
	snap, err := s.scan(ctx, partition, nil).Read(s.db.QueryxContext(ctx, exportQuery, partition))
	return snap, storeError(ctx, op, err)
}

// Import implements ports.CacheSnapshotter: every entry of snap is upserted into
// partition in one write transaction, with one prepared statement per table. Refresh
// tokens obey the ordering rule of Write, between the snapshot and the store as within
// the snapshot. An entry the store refuses fails the whole import before anything is
// written (sqlcache.Upserter).
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	if err := s.up.Import(ctx, partition, snap); err != nil {
		return err
	}
	s.truncateWAL(ctx)
	return nil
}

// truncateWAL copies the WAL into the database file and cuts it to nothing, unless a
// reader or writer is using it. journal_size_limit trims the WAL only when the next
// write starts it over, so an import left it at the size of its transaction until then
// (~57 MB for 10,000 Entra accounts): on disk beside a database of about that size.
// Best effort, on a connection of its own that does not wait (busy_timeout 0): a busy
// database keeps its WAL until a later checkpoint and write; the import has committed.
func (s *Store) truncateWAL(ctx context.Context) {
	if !s.shared {
		return
	}
	db, err := sql.Open("sqlite", s.cfg.fileURI()+"?_pragma=busy_timeout(0)")
	if err != nil {
		return
	}
	defer db.Close()
	var busy, frames, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil || busy != 0 {
		s.log.DebugContext(ctx, "sqlite: the WAL was not cut back after an import (the database is in use)", "busy", busy, "error", err)
	}
}

// foreignTotals implements sqlcache.Upserter.ForeignTotals: the count and bytes of
// partition's foreign sections, within the import's write transaction (SQLite runs one
// writer at a time, so no other import commits in between).
func foreignTotals(ctx context.Context, tx *sqlx.Tx, partition string) (count int, size int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(value AS BLOB))), 0)
		FROM foreign_sections WHERE partition = ?1`, partition).Scan(&count, &size)
	return count, size, err
}
