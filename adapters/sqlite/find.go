package sqlite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// envFilter returns the condition that keeps rows whose folded environment is one of
// the n parameters starting at ?first; none when n is 0 (every environment).
func envFilter(first, n int) string {
	if n == 0 {
		return ""
	}
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("?%d", first+i)
	}
	return " AND environment_folded IN (" + strings.Join(marks, ", ") + ")"
}

// findQuery is Find's statement for n environments: ?1 partition, ?2 folded home
// account id, ?3 folded client id of the app metadata, ?4... folded environments. Each
// branch of the union is served by an index whose leading columns are (partition,
// home_account_id_folded) or, for app metadata, (partition, client_id_folded).
func findQuery(n int) string {
	env := envFilter(4, n)
	byAccount := ` WHERE partition = ?1 AND home_account_id_folded = ?2` + env
	return strings.Join([]string{
		selectAccessTokens + byAccount,
		selectRefreshTokens + byAccount,
		selectIDTokens + byAccount,
		selectAccounts + byAccount,
		selectAppMetadata + ` WHERE partition = ?1 AND client_id_folded = ?3` + env,
	}, "\nUNION ALL\n")
}

// Find implements ports.TokenReader with one statement: the union of the five tables
// restricted to the account (and, for app metadata, the client), each branch an index
// look-up. One statement reads one consistent snapshot, so a concurrent Write is seen
// whole or not at all. Corrupt rows are skipped and logged.
func (s *Store) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	const op = "find"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheEntries{}, err
	}
	args := make([]any, 0, 3+len(q.Environments))
	args = append(args, q.Partition, fold(q.HomeAccountID), fold(q.ClientID))
	for _, e := range q.Environments {
		args = append(args, fold(e))
	}
	stmt, err := s.finds.get(ctx, s.db, len(q.Environments))
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	var rows *sqlx.Rows
	if stmt != nil {
		rows, err = stmt.QueryxContext(ctx, args...)
	} else {
		rows, err = s.db.QueryxContext(ctx, findQuery(len(q.Environments)), args...)
	}
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	var snap domain.CacheSnapshot
	if err := s.scanEntries(ctx, rows, q.Partition, &snap); err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	return domain.CacheEntries(snap), nil
}

// maxCachedEnvs is the largest number of environments whose Find statement is kept
// prepared; Entra's four aliases are the usual most.
const maxCachedEnvs = 8

// stmtCache keeps Find's statements prepared, one per number of environments, so that
// the cache hit does not pay for parsing and planning a five-way union every time.
type stmtCache struct {
	stmts  [maxCachedEnvs + 1]atomic.Pointer[sqlx.Stmt]
	mu     sync.Mutex // serialises preparing and closing
	closed bool
}

// get returns the prepared statement for n environments, preparing it on first use; nil
// (and no error) when n is too large to be cached.
func (c *stmtCache) get(ctx context.Context, db *sqlx.DB, n int) (*sqlx.Stmt, error) {
	if n > maxCachedEnvs {
		return nil, nil
	}
	if st := c.stmts[n].Load(); st != nil {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if st := c.stmts[n].Load(); st != nil {
		return st, nil
	}
	st, err := db.PreparexContext(ctx, findQuery(n))
	if err != nil {
		return nil, err
	}
	c.stmts[n].Store(st)
	return st, nil
}

// close closes the prepared statements; later calls of get fail, and a call still
// using one fails with "sql: statement is closed".
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for i := range c.stmts {
		if st := c.stmts[i].Swap(nil); st != nil {
			_ = st.Close()
		}
	}
}
