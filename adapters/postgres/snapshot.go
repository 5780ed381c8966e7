package postgres

import (
	"context"
	"strings"

	"github.com/hexauth/hexauth/domain"
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
	snap, err := s.scan(ctx, partition).Read(s.db.QueryxContext(ctx, exportQuery, partition))
	return snap, storeError(ctx, op, err)
}

// Import implements ports.CacheSnapshotter: every entry of snap is upserted into
// partition in one transaction, a few thousand rows per statement. Refresh tokens obey
// the ordering rule of Write, between the snapshot and the store as within the
// snapshot.
func (s *Store) Import(ctx context.Context, partition string, snap domain.CacheSnapshot) error {
	return s.up.Import(ctx, partition, snap)
}
