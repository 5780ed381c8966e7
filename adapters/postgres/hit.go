package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
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
// log a corrupt row. The narrow hit read returns three text columns a row — the
// entry's short fields joined by sqlcache.FieldSep, the secret, and extra — and runs on the
// pooled connection's own pgx.Conn (sql.Conn.Raw), whose raw values Go splits into the
// entry's fields without copying them again: a row costs two strings.
//
// A row the narrow read cannot decode exactly as Find would — a NULL (which makes the
// joined text NULL), a separator inside a field, a kind or a time that does not parse,
// an extra that does not decode — sends the whole read to findHitQuery, which decodes,
// skips and logs corrupt rows as Find does. So the narrow read never serves what Find
// would not.

// The fields of each kind's joined text, in order: the kind, the folded environment
// (which the environment filter compares), then the entry's fields, ids as written
// (sqlcache.AsWritten), times as decimal text.
var (
	hitAccessTokenFields = []string{"'1'", "environment_folded", sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm", sqlcache.AsWritten("target"), "token_type", "key_id",
		"cached_at::text", "expires_on::text", "extended_expires_on::text", "refresh_on::text"}
	hitIDTokenFields = []string{"'3'", "environment_folded", sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm"}
	hitAccountFields = []string{"'4'", "environment_folded", sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"), "realm",
		"local_account_id", sqlcache.AsWritten("username"), "name", "authority_type"}
)

// hitQuery is the narrow hit read, with findHitQuery's index searches: $1 partition,
// $2 folded home account id, $3 folded client id. It leaves the environment filter to
// Go (keepEnv), which compares the same column, environment_folded: an array parameter
// costs pgx an allocation per element and a hit has one row per kind.
var hitQuery = strings.Join([]string{
	`SELECT ` + sqlcache.JoinFieldsSQL(hitAccessTokenFields...) + `, secret, extra::text FROM access_tokens
	WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $3`,
	`SELECT ` + sqlcache.JoinFieldsSQL(hitIDTokenFields...) + `, secret, extra::text FROM id_tokens
	WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $3`,
	`SELECT ` + sqlcache.JoinFieldsSQL(hitAccountFields...) + `, '', extra::text FROM accounts
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
	var f [13]string
	for rows.Next() {
		raw := rows.RawValues() // valid until the next row; text is its bytes in either format
		if len(raw) != 3 || raw[0] == nil || raw[1] == nil {
			return domain.CacheEntries{}, errNarrow
		}
		fields := string(raw[0])
		secret := domain.Secret(raw[1])
		ex, err := hitExtra(raw[2])
		if err != nil {
			return domain.CacheEntries{}, errNarrow
		}
		kind, _, _ := strings.Cut(fields, sqlcache.FieldSep)
		switch kind {
		case "1":
			if !sqlcache.SplitFields(fields, f[:len(hitAccessTokenFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			var times [4]int64
			for i := range times {
				if times[i], err = strconv.ParseInt(f[9+i], 10, 64); err != nil {
					return domain.CacheEntries{}, errNarrow
				}
			}
			if !keepEnv(envs, f[1]) {
				continue
			}
			out.AccessTokens = append(out.AccessTokens, domain.AccessToken{
				HomeAccountID: f[2], Environment: f[3], ClientID: f[4], Realm: f[5], Target: f[6],
				Secret: secret, TokenType: f[7], KeyID: f[8],
				CachedAt: sqlcache.FromUnix(times[0]), ExpiresOn: sqlcache.FromUnix(times[1]),
				ExtendedExpiresOn: sqlcache.FromUnix(times[2]), RefreshOn: sqlcache.FromUnix(times[3]), Extra: ex,
			})
		case "3":
			if !sqlcache.SplitFields(fields, f[:len(hitIDTokenFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			if !keepEnv(envs, f[1]) {
				continue
			}
			out.IDTokens = append(out.IDTokens, domain.IDToken{HomeAccountID: f[2], Environment: f[3], ClientID: f[4],
				Realm: f[5], Secret: secret, Extra: ex})
		case "4":
			if !sqlcache.SplitFields(fields, f[:len(hitAccountFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			if !keepEnv(envs, f[1]) {
				continue
			}
			out.Accounts = append(out.Accounts, domain.Account{HomeAccountID: f[2], Environment: f[3], Realm: f[4],
				LocalAccountID: f[5], Username: f[6], Name: f[7], AuthorityType: f[8], Extra: ex})
		default:
			return domain.CacheEntries{}, errNarrow
		}
	}
	if err := rows.Err(); err != nil {
		return domain.CacheEntries{}, err
	}
	return out, nil
}

// keepEnv is envFilter in Go: whether a row of folded environment env passes the
// filter of the folded environments envs, which keeps every row when empty.
func keepEnv(envs []string, env string) bool {
	return len(envs) == 0 || slices.Contains(envs, env)
}

// hitExtra decodes a narrow row's extra column as Find does; nil is NULL.
func hitExtra(extra []byte) (map[string]json.RawMessage, error) {
	if extra == nil {
		return nil, nil
	}
	return extraCodec.Decode(string(extra))
}
