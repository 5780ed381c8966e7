package postgres

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// A silent hit reads three rows in one round trip. Through database/sql, each of the
// wide statement's twenty columns of each row costs a driver.Value, a conversion and,
// for text, a string of its own, and the key the statement computes is read only to
// log a corrupt row. The narrow hit read runs on the pooled connection's own pgx.Conn
// (sql.Conn.Raw), whose raw values cost nothing a column: Go copies a row's text
// columns into one string, which the entry's fields share, and reads its times from
// their binary form. The statement selects plain columns: a column the server only
// copies costs it less, at every execution, than text joined inside the statement
// (ExecBuildProjectionInfo compiles the projection at ExecutorStart, and each || and
// ::text builds a string of its own).
//
// A row the narrow read cannot decode exactly as Find would — a NULL where a value
// belongs, a kind it does not know, a time that does not decode, an extra that does
// not decode — sends the whole read to findHitQuery, which decodes, skips and logs
// corrupt rows as Find does. So the narrow read never serves what Find would not.

// The narrow read's columns, the same for every kind (UNION ALL) and NULL where a kind
// has no such field: hitKind, the folded environment (which the environment filter
// compares), the text fields from hitHome to hitSecret, ids as written
// (sqlcache.AsWritten), extra as text, then the access token's four times.
const (
	hitKind     = iota
	hitEnvFold  // environment_folded
	hitHome     // home_account_id
	hitEnv      // environment
	hitClient   // client_id; an account's local_account_id
	hitRealm    // realm
	hitTarget   // an access token's target; an account's username
	hitType     // an access token's token_type; an account's name
	hitKeyID    // an access token's key_id; an account's authority_type
	hitSecret   // a token's secret
	hitExtraCol // extra
	hitTimes    // cached_at, expires_on, extended_expires_on, refresh_on
	hitColumns  = hitTimes + 4
)

// hitQuery is the narrow hit read, with findHitQuery's index searches: $1 partition,
// $2 folded home account id, $3 folded client id. It leaves the environment filter to
// Go (keepEnv), which compares the same column, environment_folded: an array parameter
// costs pgx an allocation per element and a hit has one row per kind.
var hitQuery = strings.Join([]string{
	`SELECT '1', environment_folded, ` + sqlcache.AsWritten("home_account_id") + `, ` + sqlcache.AsWritten("environment") + `, ` +
		sqlcache.AsWritten("client_id") + `, realm, ` + sqlcache.AsWritten("target") + `, token_type, key_id, secret, extra::text,
	cached_at, expires_on, extended_expires_on, refresh_on FROM access_tokens
	WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $3`,
	`SELECT '3', environment_folded, ` + sqlcache.AsWritten("home_account_id") + `, ` + sqlcache.AsWritten("environment") + `, ` +
		sqlcache.AsWritten("client_id") + `, realm, NULL, NULL, NULL, secret, extra::text,
	NULL, NULL, NULL, NULL FROM id_tokens
	WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $3`,
	`SELECT '4', environment_folded, ` + sqlcache.AsWritten("home_account_id") + `, ` + sqlcache.AsWritten("environment") + `, ` +
		`local_account_id, realm, ` + sqlcache.AsWritten("username") + `, name, authority_type, NULL, extra::text,
	NULL, NULL, NULL, NULL FROM accounts
	WHERE partition = $1 AND home_account_id_folded = $2`,
}, "\nUNION ALL\n")

// errNarrow says that a row needs the wide read.
var errNarrow = errors.New("row needs the wide read")

// FindHit implements ports.HitReader with one statement, one round trip: the access
// and ID tokens of q.ClientID and the account records, decoded as Find's. It tries the
// narrow read first and falls back to the wide one (see hitQuery).
func (s *Store) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	const op = "find hit"
	if err := s.begin(ctx, op); err != nil {
		return domain.CacheEntries{}, err
	}
	if err := checkQueryText(q.Partition, q.Environments, q.HomeAccountID, q.ClientID); err != nil {
		return domain.CacheEntries{}, inputError(op, err)
	}
	home, envs, client := sqlcache.FoldHome(q.HomeAccountID), foldAll(q.Environments), sqlcache.Fold(q.ClientID)
	out, err := s.readHit(ctx, envs, q.Partition, home, client)
	if errors.Is(err, errNarrow) {
		var snap domain.CacheSnapshot
		snap, err = s.read(ctx, q.Partition, findHitQuery, q.Partition, home, envs, client)
		out = snap.Entries()
	}
	if err != nil {
		return domain.CacheEntries{}, storeError(ctx, op, err)
	}
	return out, nil
}

// readHit runs the narrow read on a pooled connection, again on another when the
// connection was lost (retryLost, as read). It returns errNarrow when a row needs the
// wide read.
func (s *Store) readHit(ctx context.Context, envs []string, args ...any) (domain.CacheEntries, error) {
	var out domain.CacheEntries
	err := s.retryLost(ctx, "read", s.idle, func() (bool, error) {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return true, err
		}
		err = c.Raw(func(dc any) error {
			var err error
			out, err = hitRows(ctx, dc.(*stdlib.Conn).Conn(), envs, args)
			return err
		})
		// A connection the read found dead is closed (pgx marks it so); database/sql
		// discards it when it is next taken from the pool.
		_ = c.Close()
		return true, err
	})
	return out, err
}

// hitBuf backs the entries of a hit in one allocation: typically one access token,
// one ID token and one account record; more spill into slices of their own.
type hitBuf struct {
	at   [1]domain.AccessToken
	idt  [1]domain.IDToken
	acct [1]domain.Account
}

// hitRows runs hitQuery on conn and decodes the rows of the folded environments envs
// (all when envs is empty).
func hitRows(ctx context.Context, conn *pgx.Conn, envs []string, args []any) (domain.CacheEntries, error) {
	rows, err := conn.Query(ctx, hitQuery, args...)
	if err != nil {
		return domain.CacheEntries{}, err
	}
	defer rows.Close()
	buf := new(hitBuf)
	out := domain.CacheEntries{AccessTokens: buf.at[:0:1], IDTokens: buf.idt[:0:1], Accounts: buf.acct[:0:1]}
	binaryTimes := false
	if fd := rows.FieldDescriptions(); len(fd) == hitColumns {
		binaryTimes = fd[hitTimes].Format == pgx.BinaryFormatCode
	}
	for rows.Next() {
		// The raw values are valid until the next row; text is its bytes in either format.
		if err := decodeHitRow(&out, rows.RawValues(), binaryTimes, envs); err != nil {
			return domain.CacheEntries{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return domain.CacheEntries{}, err
	}
	return out, nil
}

// hitNeeds returns the last of the columns hitHome..hitSecret that an entry of kind
// reads and, as bits (1<<column), those that must hold a value; false for an unknown
// kind.
func hitNeeds(kind byte) (last int, need uint16, ok bool) {
	const ids = 1<<hitHome | 1<<hitEnv | 1<<hitClient | 1<<hitRealm
	switch kind {
	case '1': // an access token: every one
		return hitSecret, ids | 1<<hitTarget | 1<<hitType | 1<<hitKeyID | 1<<hitSecret, true
	case '3': // an ID token: no target, type or key id
		return hitSecret, ids | 1<<hitSecret, true
	case '4': // an account record: no secret
		return hitKeyID, ids | 1<<hitTarget | 1<<hitType | 1<<hitKeyID, true
	}
	return 0, 0, false
}

// decodeHitRow appends the entry of the narrow row raw to out when its folded
// environment is one of envs (or envs is empty). binaryTimes says the times are in
// PostgreSQL's binary form (eight bytes, big-endian), not text. It returns errNarrow
// when the row needs the wide read.
func decodeHitRow(out *domain.CacheEntries, raw [][]byte, binaryTimes bool, envs []string) error {
	if len(raw) != hitColumns || len(raw[hitKind]) != 1 || raw[hitEnvFold] == nil {
		return errNarrow
	}
	kind := raw[hitKind][0]
	last, need, ok := hitNeeds(kind)
	if !ok {
		return errNarrow
	}
	for i := hitHome; i <= last; i++ {
		if raw[i] == nil && need&(1<<i) != 0 {
			return errNarrow
		}
	}
	ex, err := hitExtra(raw[hitExtraCol])
	if err != nil {
		return errNarrow
	}
	var times [4]int64
	if kind == '1' {
		for i := range times {
			if times[i], ok = hitTime(raw[hitTimes+i], binaryTimes); !ok {
				return errNarrow
			}
		}
	}
	if !keepEnv(envs, raw[hitEnvFold]) {
		return nil
	}
	var f [hitSecret + 1]string
	hitStrings(raw[hitHome:last+1], f[hitHome:last+1])
	switch kind {
	case '1':
		out.AccessTokens = append(out.AccessTokens, domain.AccessToken{
			HomeAccountID: f[hitHome], Environment: f[hitEnv], ClientID: f[hitClient], Realm: f[hitRealm], Target: f[hitTarget],
			Secret: domain.Secret(f[hitSecret]), TokenType: f[hitType], KeyID: f[hitKeyID],
			CachedAt: sqlcache.FromUnix(times[0]), ExpiresOn: sqlcache.FromUnix(times[1]),
			ExtendedExpiresOn: sqlcache.FromUnix(times[2]), RefreshOn: sqlcache.FromUnix(times[3]), Extra: ex,
		})
	case '3':
		out.IDTokens = append(out.IDTokens, domain.IDToken{HomeAccountID: f[hitHome], Environment: f[hitEnv], ClientID: f[hitClient],
			Realm: f[hitRealm], Secret: domain.Secret(f[hitSecret]), Extra: ex})
	case '4':
		out.Accounts = append(out.Accounts, domain.Account{HomeAccountID: f[hitHome], Environment: f[hitEnv], Realm: f[hitRealm],
			LocalAccountID: f[hitClient], Username: f[hitTarget], Name: f[hitType], AuthorityType: f[hitKeyID], Extra: ex})
	}
	return nil
}

// hitStrings sets f[i] to the text of raw[i], all of them substrings of one string: a
// row's fields cost one allocation. A NULL is "".
func hitStrings(raw [][]byte, f []string) {
	n := 0
	for _, r := range raw {
		n += len(r)
	}
	var b strings.Builder
	b.Grow(n)
	for _, r := range raw {
		b.Write(r)
	}
	s := b.String()
	for i, r := range raw {
		f[i], s = s[:len(r)], s[len(r):]
	}
}

// hitTime decodes a time column, Unix seconds in PostgreSQL's binary form of a bigint
// or as decimal text; false when it does not decode.
func hitTime(raw []byte, bin bool) (int64, bool) {
	if bin {
		if len(raw) != 8 {
			return 0, false
		}
		return int64(binary.BigEndian.Uint64(raw)), true
	}
	if raw == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// keepEnv is envFilter in Go: whether a row of folded environment env passes the
// filter of the folded environments envs, which keeps every row when empty.
func keepEnv(envs []string, env []byte) bool {
	if len(envs) == 0 {
		return true
	}
	for _, e := range envs {
		if e == string(env) {
			return true
		}
	}
	return false
}

// hitExtra decodes a narrow row's extra column as Find does; nil is NULL.
func hitExtra(extra []byte) (map[string]json.RawMessage, error) {
	if extra == nil {
		return nil, nil
	}
	return extraCodec.Decode(string(extra))
}
