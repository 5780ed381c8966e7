package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// A silent hit reads three rows; what it costs is mostly modernc.org/sqlite's work per
// column read (a type look-up, a text copy and database/sql's conversion, each behind the
// connection's mutex), not the index searches. The narrow hit read therefore returns one
// text column a row: the kind, the entry's short fields, the secret and extra joined by
// sqlcache.FieldSep with concat_ws, which sizes the text once where a chain of || copies
// it at each step. Go splits it without copying.
//
// concat_ws skips NULL arguments, so a NULL field makes the row's field count wrong, as
// a separator inside a field does. Extra, NULL for most entries, is therefore read
// through hitExtraSQL, never NULL.
//
// A row the narrow read cannot decode exactly as Find would — a separator inside a
// field, a secret or extra, a NULL, a time that is not an integer, an extra that does
// not decode — sends the whole read to FindHit's wide statement (findHitQuery), which
// decodes, skips and logs corrupt rows as Find does. So the narrow read never serves
// what Find would not.

// Fields of each kind's joined text after the kind, in order: ids as written
// (sqlcache.AsWritten); secret and extra are the last two (the account: extra only).
var (
	hitAccessTokenFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm", sqlcache.AsWritten("target"), "token_type", "key_id",
		"cached_at", "expires_on", "extended_expires_on", "refresh_on", "secret", hitExtraSQL}
	hitIDTokenFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm", "secret", hitExtraSQL}
	hitAccountFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"), "realm",
		"local_account_id", sqlcache.AsWritten("username"), "name", "authority_type", hitExtraSQL}
)

// hitExtraSQL reads extra as a field that is never NULL: empty for NULL, the text after
// an '=' otherwise, so that an empty extra (corrupt) is not taken for a NULL one.
const hitExtraSQL = "coalesce('=' || extra, '')"

// hitRowSQL is the narrow read's one column: kind and fields joined by sqlcache.FieldSep.
func hitRowSQL(kind string, fields []string) string {
	return "concat_ws('" + sqlcache.FieldSep + "', " + kind + ", " + strings.Join(fields, ", ") + ") AS hit"
}

// hitQuery is the narrow hit read: ?1 partition, ?2 folded home account id, ?3 folded
// client id; the index searches of findHitQuery.
var hitQuery = strings.Join([]string{
	`SELECT ` + hitRowSQL("1", hitAccessTokenFields) + ` FROM access_tokens
	WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	`SELECT ` + hitRowSQL("3", hitIDTokenFields) + ` FROM id_tokens
	WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	`SELECT ` + hitRowSQL("4", hitAccountFields) + ` FROM accounts
	WHERE partition = ?1 AND home_account_id_folded = ?2`,
}, "\nUNION ALL\n")

// errNarrow says that a row needs the wide read.
var errNarrow = errors.New("row needs the wide read")

// FindHit implements ports.HitReader with one prepared statement: the access and ID
// tokens of q.ClientID and the account records, filtered and decoded as Find's. It
// tries the narrow read first and falls back to the wide one (see hitQuery).
func (s *Store) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	const op = "find hit"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheEntries{}, err
	}
	envs := newEnvFilter(q.Environments)
	home, client := sqlcache.FoldHome(q.HomeAccountID), sqlcache.Fold(q.ClientID)
	out, err := s.readHit(ctx, envs, q.Partition, home, client)
	if errors.Is(err, errNarrow) {
		var snap domain.CacheSnapshot
		snap, err = s.scan(ctx, q.Partition, envs).Read(s.findHit.QueryxContext(ctx, q.Partition, home, client))
		out = snap.Entries()
	}
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	return out, nil
}

// hitBuf backs the entries of a hit in one allocation: typically one access token,
// one ID token and one account record; more spill into slices of their own.
type hitBuf struct {
	at   [1]domain.AccessToken
	idt  [1]domain.IDToken
	acct [1]domain.Account
}

// readHit runs the narrow read on a pool connection's own statement (conn.go). It
// returns errNarrow when a row needs the wide read.
func (s *Store) readHit(ctx context.Context, envs envSet, partition, home, client string) (domain.CacheEntries, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return domain.CacheEntries{}, err
	}
	var out domain.CacheEntries
	err = c.Raw(func(dc any) error {
		pc, ok := dc.(*conn)
		if !ok {
			return fmt.Errorf("pool connection is a %T", dc)
		}
		st, err := pc.hitStmt(ctx)
		if err != nil {
			return err
		}
		// The statement runs without ctx's cancellation (FindHit checked ctx, and
		// db.Conn did again): the driver watches a cancellable context with a goroutine
		// and a progress handler for each statement, some 5 µs of CPU and 3 allocations
		// a hit (BenchmarkFindHit/warm-cancellable), while the statement runs for some
		// 15 µs and, in WAL mode, waits for no writer. Ending earlier than that is worth
		// nothing to a cancelled request; a read held up by a checkpoint's lock waits at
		// most the busy timeout.
		qctx := ctx
		if ctx.Done() != nil {
			qctx = context.WithoutCancel(ctx)
		}
		rows, err := st.QueryContext(qctx, []driver.NamedValue{
			{Ordinal: 1, Value: partition}, {Ordinal: 2, Value: home}, {Ordinal: 3, Value: client}})
		if err != nil {
			return err
		}
		out, err = decodeHit(rows, envs)
		// Closing the rows resets the statement, which ends the read transaction.
		return errors.Join(err, rows.Close())
	})
	if err = errors.Join(err, c.Close()); err != nil {
		return domain.CacheEntries{}, err
	}
	return out, nil
}

// decodeHit reads the narrow read's rows, keeping those of envs.
func decodeHit(rows driver.Rows, envs envSet) (domain.CacheEntries, error) {
	buf := new(hitBuf)
	out := domain.CacheEntries{AccessTokens: buf.at[:0:1], IDTokens: buf.idt[:0:1], Accounts: buf.acct[:0:1]}
	var (
		dest [1]driver.Value
		f    [13]string
	)
	for {
		if err := rows.Next(dest[:]); err == io.EOF {
			return out, nil
		} else if err != nil {
			return domain.CacheEntries{}, err
		}
		row, ok := dest[0].(string)
		if !ok {
			return domain.CacheEntries{}, errNarrow
		}
		if err := appendHitRow(&out, envs, row, &f); err != nil {
			return domain.CacheEntries{}, err
		}
	}
}

// appendHitRow decodes one narrow row into out, f holding its fields; errNarrow when
// it does not decode exactly.
func appendHitRow(out *domain.CacheEntries, envs envSet, row string, f *[13]string) error {
	kind, fields, _ := strings.Cut(row, sqlcache.FieldSep)
	switch kind {
	case "1":
		n := len(hitAccessTokenFields)
		if !sqlcache.SplitFields(fields, f[:n]) {
			return errNarrow
		}
		var times [4]int64
		for i := range times {
			// INTEGER affinity stores integer-looking text as an integer, so text that
			// parses here was an INTEGER value; anything else only the wide read explains.
			var err error
			if times[i], err = strconv.ParseInt(f[7+i], 10, 64); err != nil {
				return errNarrow
			}
		}
		ex, err := hitExtra(f[n-1])
		if err != nil {
			return errNarrow
		}
		if envs.keepsEnv(f[1]) {
			out.AccessTokens = append(out.AccessTokens, domain.AccessToken{
				HomeAccountID: f[0], Environment: f[1], ClientID: f[2], Realm: f[3], Target: f[4],
				Secret: domain.Secret(f[n-2]), TokenType: f[5], KeyID: f[6],
				CachedAt: sqlcache.FromUnix(times[0]), ExpiresOn: sqlcache.FromUnix(times[1]),
				ExtendedExpiresOn: sqlcache.FromUnix(times[2]), RefreshOn: sqlcache.FromUnix(times[3]), Extra: ex,
			})
		}
	case "3":
		n := len(hitIDTokenFields)
		if !sqlcache.SplitFields(fields, f[:n]) {
			return errNarrow
		}
		ex, err := hitExtra(f[n-1])
		if err != nil {
			return errNarrow
		}
		if envs.keepsEnv(f[1]) {
			out.IDTokens = append(out.IDTokens, domain.IDToken{HomeAccountID: f[0], Environment: f[1], ClientID: f[2],
				Realm: f[3], Secret: domain.Secret(f[n-2]), Extra: ex})
		}
	case "4":
		n := len(hitAccountFields)
		if !sqlcache.SplitFields(fields, f[:n]) {
			return errNarrow
		}
		ex, err := hitExtra(f[n-1])
		if err != nil {
			return errNarrow
		}
		if envs.keepsEnv(f[1]) {
			out.Accounts = append(out.Accounts, domain.Account{HomeAccountID: f[0], Environment: f[1], Realm: f[2],
				LocalAccountID: f[3], Username: f[4], Name: f[5], AuthorityType: f[6], Extra: ex})
		}
	default:
		return errNarrow
	}
	return nil
}

// hitExtra decodes a narrow row's extra field (hitExtraSQL) as Find decodes the column.
func hitExtra(field string) (map[string]json.RawMessage, error) {
	if field == "" {
		return nil, nil
	}
	text, ok := strings.CutPrefix(field, "=")
	if !ok {
		return nil, errNarrow
	}
	return extraCodec.Decode(text)
}
