package postgres

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// exportQuery is the union of the five tables restricted to partition $1.
var exportQuery = strings.Join([]string{
	selectAccessTokens + ` WHERE partition = $1`,
	selectRefreshTokens + ` WHERE partition = $1`,
	selectIDTokens + ` WHERE partition = $1`,
	selectAccounts + ` WHERE partition = $1`,
	selectAppMetadata + ` WHERE partition = $1`,
}, "\nUNION ALL\n")

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
	rows, err := s.db.QueryxContext(ctx, exportQuery, partition)
	if err != nil {
		return domain.CacheSnapshot{}, storeError(ctx, op, err)
	}
	var snap domain.CacheSnapshot
	if err := s.scanEntries(ctx, rows, partition, &snap); err != nil {
		return domain.CacheSnapshot{}, storeError(ctx, op, err)
	}
	return snap, nil
}

// Import implements ports.CacheSnapshotter: every entry of snap is upserted into
// partition in one transaction, a few thousand rows per statement. Refresh tokens obey
// the ordering rule of Write, between the snapshot and the store as within the
// snapshot.
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	const op = "import"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	batches, err := buildBatches(partition, snap)
	if err != nil {
		return inputError(op, err)
	}
	if len(batches) == 0 {
		return nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error { return sqlcache.ExecBatches(ctx, tx, batches) })
	return storeError(ctx, op, err)
}
