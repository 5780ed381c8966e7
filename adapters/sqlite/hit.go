package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// A silent hit reads three rows; what it costs is mostly modernc.org/sqlite's work per
// column read (a type look-up and a text copy, each behind the connection's mutex),
// not the index searches. The narrow hit read therefore returns four columns a row:
// the kind, the entry's short fields joined by sqlcache.FieldSep in one text, the secret, and
// extra. SQLite joins them inside the statement, where a field costs a few VDBE
// instructions, and Go splits them without copying.
//
// A row the narrow read cannot decode exactly as Find would — a separator inside a
// field, a time that is not an integer, a NULL, an extra that does not decode — sends
// the whole read to FindHit's wide statement (findHitQuery), which decodes, skips and
// logs corrupt rows as Find does. So the narrow read never serves what Find would not.

// Fields of each kind's joined text, in order: ids as written (sqlcache.AsWritten).
var (
	hitAccessTokenFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm", sqlcache.AsWritten("target"), "token_type", "key_id",
		"cached_at", "expires_on", "extended_expires_on", "refresh_on"}
	hitIDTokenFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"),
		sqlcache.AsWritten("client_id"), "realm"}
	hitAccountFields = []string{sqlcache.AsWritten("home_account_id"), sqlcache.AsWritten("environment"), "realm",
		"local_account_id", sqlcache.AsWritten("username"), "name", "authority_type"}
)

// hitQuery is the narrow hit read: ?1 partition, ?2 folded home account id, ?3 folded
// client id; the index searches of findHitQuery.
var hitQuery = strings.Join([]string{
	`SELECT 1, ` + sqlcache.JoinFieldsSQL(hitAccessTokenFields...) + `, secret, extra FROM access_tokens
	WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	`SELECT 3, ` + sqlcache.JoinFieldsSQL(hitIDTokenFields...) + `, secret, extra FROM id_tokens
	WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3`,
	`SELECT 4, ` + sqlcache.JoinFieldsSQL(hitAccountFields...) + `, '', extra FROM accounts
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

// readHit runs the narrow read. It returns errNarrow when a row needs the wide read.
func (s *Store) readHit(ctx context.Context, envs envSet, partition, home, client string) (domain.CacheEntries, error) {
	rows, err := s.hit.QueryContext(ctx, partition, home, client)
	if err != nil {
		return domain.CacheEntries{}, err
	}
	defer rows.Close()
	buf := new(hitBuf)
	out := domain.CacheEntries{AccessTokens: buf.at[:0:1], IDTokens: buf.idt[:0:1], Accounts: buf.acct[:0:1]}
	var (
		kind          int64
		fields        sql.NullString
		secret, extra sql.NullString
		f             [11]string
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &fields, &secret, &extra); err != nil {
			return domain.CacheEntries{}, err
		}
		if !fields.Valid || !secret.Valid {
			return domain.CacheEntries{}, errNarrow
		}
		ex, err := hitExtra(extra)
		if err != nil {
			return domain.CacheEntries{}, errNarrow
		}
		switch kind {
		case 1:
			if !sqlcache.SplitFields(fields.String, f[:len(hitAccessTokenFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			var times [4]int64
			for i := range times {
				// INTEGER affinity stores integer-looking text as an integer, so text that
				// parses here was an INTEGER value; anything else only the wide read explains.
				if times[i], err = strconv.ParseInt(f[7+i], 10, 64); err != nil {
					return domain.CacheEntries{}, errNarrow
				}
			}
			if envs.keepsEnv(f[1]) {
				out.AccessTokens = append(out.AccessTokens, domain.AccessToken{
					HomeAccountID: f[0], Environment: f[1], ClientID: f[2], Realm: f[3], Target: f[4],
					Secret: domain.Secret(secret.String), TokenType: f[5], KeyID: f[6],
					CachedAt: sqlcache.FromUnix(times[0]), ExpiresOn: sqlcache.FromUnix(times[1]),
					ExtendedExpiresOn: sqlcache.FromUnix(times[2]), RefreshOn: sqlcache.FromUnix(times[3]), Extra: ex,
				})
			}
		case 3:
			if !sqlcache.SplitFields(fields.String, f[:len(hitIDTokenFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			if envs.keepsEnv(f[1]) {
				out.IDTokens = append(out.IDTokens, domain.IDToken{HomeAccountID: f[0], Environment: f[1], ClientID: f[2],
					Realm: f[3], Secret: domain.Secret(secret.String), Extra: ex})
			}
		case 4:
			if !sqlcache.SplitFields(fields.String, f[:len(hitAccountFields)]) {
				return domain.CacheEntries{}, errNarrow
			}
			if envs.keepsEnv(f[1]) {
				out.Accounts = append(out.Accounts, domain.Account{HomeAccountID: f[0], Environment: f[1], Realm: f[2],
					LocalAccountID: f[3], Username: f[4], Name: f[5], AuthorityType: f[6], Extra: ex})
			}
		default:
			return domain.CacheEntries{}, errNarrow
		}
	}
	if err := rows.Err(); err != nil {
		return domain.CacheEntries{}, err
	}
	return out, rows.Close()
}

// hitExtra decodes a narrow row's extra column as Find does.
func hitExtra(extra sql.NullString) (map[string]json.RawMessage, error) {
	if !extra.Valid {
		return nil, nil
	}
	return extraCodec.Decode(extra.String)
}
