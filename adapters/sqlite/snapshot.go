package sqlite

import (
	"context"
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
	return s.up.Import(ctx, partition, snap)
}

// foreignTotals implements sqlcache.Upserter.ForeignTotals: the count and bytes of
// partition's foreign sections, within the import's write transaction (SQLite runs one
// writer at a time, so no other import commits in between).
func foreignTotals(ctx context.Context, tx *sqlx.Tx, partition string) (count int, size int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(value AS BLOB))), 0)
		FROM foreign_sections WHERE partition = ?1`, partition).Scan(&count, &size)
	return count, size, err
}
