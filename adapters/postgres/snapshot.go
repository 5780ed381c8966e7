package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// exportQuery is the union of the five tables and the foreign sections restricted to partition $1.
var exportQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = $1`,
	selectRefreshTokens + ` WHERE partition = $1`,
	selectIDTokens + ` WHERE partition = $1`,
	selectAccounts + ` WHERE partition = $1`,
	selectAppMetadata + ` WHERE partition = $1`,
	selectForeignSections + ` WHERE partition = $1`,
}, "\nUNION ALL\n")

// selectForeignSections returns a partition's foreign sections as rows of the union
// (sqlcache.KindForeignSection): the name as key, the value (json) as extra.
const selectForeignSections = `SELECT 6 AS kind, key, NULL::text AS home_account_id, NULL::text AS environment,
	NULL::text AS client_id, NULL::text AS realm, NULL::text AS target, NULL::text AS secret, NULL::text AS token_type,
	NULL::text AS family_id, NULL::text AS key_id, NULL::text AS local_account_id, NULL::text AS username,
	NULL::text AS name, NULL::text AS authority_type, NULL::bigint AS cached_at, NULL::bigint AS expires_on,
	NULL::bigint AS extended_expires_on, NULL::bigint AS refresh_on, value AS extra, NULL::bytea AS secret_packed
	FROM foreign_sections`

// Export implements ports.CacheSnapshotter with one statement, which sees one
// consistent snapshot of the partition. Corrupt rows are skipped and logged.
func (s *Store) Export(ctx context.Context, partition string) (domain.CacheSnapshot, error) {
	const op = "export"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheSnapshot{}, err
	}
	if err := checkText("partition", partition); err != nil {
		return domain.CacheSnapshot{}, inputError(op, err)
	}
	snap, err := s.read(ctx, partition, exportQuery, partition)
	return snap, storeError(ctx, op, err)
}

// Import implements ports.CacheSnapshotter: every entry of snap is upserted into
// partition in one transaction, a few thousand rows per statement. Refresh tokens obey
// the ordering rule of Write, between the snapshot and the store as within the
// snapshot. Its transaction notifies a change of anything (changes.go).
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	return s.up.ImportWith(ctx, partition, snap, func(tx *sqlx.Tx) error {
		// An import may change any account of the partition: one notification says so.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changeChannel, s.changePayload("")); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		return nil
	})
}

// foreignTotals implements sqlcache.Upserter.ForeignTotals: the count and bytes of
// partition's foreign sections, within the import's transaction. Two imports into one
// partition would each count only its own rows and the committed ones (READ COMMITTED)
// and could together exceed the bounds, so an advisory transaction lock of the
// partition's foreign sections serializes them first: the second counts after the
// first committed.
func (s *Store) foreignTotals(ctx context.Context, tx *sqlx.Tx, partition string) (count int, size int64, err error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(s.schema, "\x00foreign-sections\x00"+partition)); err != nil {
		return 0, 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(octet_length(value::text)), 0)
		FROM foreign_sections WHERE partition = $1`, partition).Scan(&count, &size)
	return count, size, err
}
