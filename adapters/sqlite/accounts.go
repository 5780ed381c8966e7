package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// envFilter returns the condition that keeps rows whose folded environment is one of
// the n parameters starting at ?first; none when n is 0 (every environment).
func envFilter(first, n int) string { return inFilter("environment_folded", first, n) }

// inFilter returns the condition that keeps rows whose column is one of the n
// parameters starting at ?first; none when n is 0.
func inFilter(column string, first, n int) string {
	if n == 0 {
		return ""
	}
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("?%d", first+i)
	}
	return " AND " + column + " IN (" + strings.Join(marks, ", ") + ")"
}

// tokenOfClient is true when the account row a has a token of the folded client ?N in
// its environment or an alias of it (MSAL .NET writes an account under one alias and
// its tokens under others) in any of the three token tables; each probe uses the
// table's (partition, home_account_id_folded, client_id_folded) index.
var tokenOfClient = "(" + strings.Join([]string{
	tokenOfClientIn("access_tokens"), tokenOfClientIn("refresh_tokens"), tokenOfClientIn("id_tokens"),
}, " OR ") + ")"

// familyTokenOf is true when the account row a has a family refresh token, of any
// client, in its environment or an alias of it, whose family is the parameter FAMILY
// (any family when it is "*").
var familyTokenOf = `EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.partition = a.partition
	AND t.home_account_id_folded = a.home_account_id_folded AND t.family_id <> ''
	AND (FAMILY = '*' OR lower(t.family_id) = lower(FAMILY))
	AND ` + sqlcache.CanonicalEnvironmentSQL("t.environment_folded") + ` = ` + sqlcache.CanonicalEnvironmentSQL("a.environment_folded") + `)`

func tokenOfClientIn(table string) string { return tokenOfAccountIn(table, "t.client_id_folded = ?N") }

// tokenOfAccountIn is true when table holds a token t meeting cond of the account row a,
// in a's environment or an alias of it.
func tokenOfAccountIn(table, cond string) string {
	return `EXISTS (SELECT 1 FROM ` + table + ` t WHERE t.partition = a.partition
	AND t.home_account_id_folded = a.home_account_id_folded AND ` + cond + `
	AND ` + sameCloud + `)`
}

// sameCloud is true when the token row t is in the account row a's environment or an
// alias of it; built once, as removals build their statements per call.
var sameCloud = sqlcache.CanonicalEnvironmentSQL("t.environment_folded") + ` = ` + sqlcache.CanonicalEnvironmentSQL("a.environment_folded")

// accountsQuery builds the statement for f: only the filters f sets appear in it, so
// that SQLite's planner picks the index each one needs (username, environment).
func accountsQuery(f domain.AccountFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(selectAccounts + ` a WHERE a.partition = ?1`)
	args := []any{f.Partition}
	if envs := sqlcache.FoldEnvironments(f.Environments); len(envs) > 0 {
		b.WriteString(envFilter(len(args)+1, len(envs)))
		for _, e := range envs {
			args = append(args, e)
		}
	}
	if f.Username != "" {
		args = append(args, domain.FoldUsername(f.Username))
		fmt.Fprintf(&b, ` AND a.username_folded = ?%d`, len(args))
	}
	if f.ClientID != "" {
		args = append(args, sqlcache.Fold(f.ClientID))
		cond := strings.ReplaceAll(tokenOfClient, "?N", fmt.Sprintf("?%d", len(args)))
		if f.Family != "" {
			args = append(args, f.Family)
			cond = "(" + cond + " OR " + strings.ReplaceAll(familyTokenOf, "FAMILY", fmt.Sprintf("?%d", len(args))) + ")"
		}
		b.WriteString(` AND ` + cond)
	}
	return b.String(), args
}

// Accounts implements ports.AccountStore with one statement.
func (s *Store) Accounts(ctx context.Context, f domain.AccountFilter) ([]domain.Account, error) {
	const op = "accounts"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	query, args := accountsQuery(f)
	snap, err := s.scan(ctx, f.Partition, nil).Read(s.db.QueryxContext(ctx, query, args...))
	if err != nil {
		return nil, storeError(ctx, op, err)
	}
	return snap.Accounts, nil
}

// removal is one statement of RemoveAccount and its arguments.
type removal struct {
	query string
	args  []any
}

// removals returns the deletions of r: its client's tokens of the account (and its
// family refresh tokens when r.FamilyRefreshTokens), then the account records, each
// restricted to r's environments (with their aliases) and realms when it names some.
// A record for which a token of another client remains, in the record's environment or
// an alias of it (and in r's realms), stays (ADR 0020): the statements run in order in
// one transaction, so the last one sees what the token deletions left.
func removals(r domain.AccountRemoval) []removal {
	folded := sqlcache.FoldEnvironments(r.Environments)
	envs := make([]any, len(folded))
	for i, e := range folded {
		envs[i] = e
	}
	realms := make([]any, len(r.Realms))
	for i, realm := range r.Realms {
		realms[i] = realm
	}
	home, client := sqlcache.FoldHome(r.HomeAccountID), sqlcache.Fold(r.ClientID)
	realmScope := func(column string) string { return inFilter(column, 4+len(envs), len(realms)) }
	scope := envFilter(4, len(envs)) + realmScope("realm")
	byClient := ` WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3` + scope
	refreshOf := byClient
	if r.FamilyRefreshTokens { // any client's family token too, in the same scope (ADR 0016)
		refreshOf = ` WHERE partition = ?1 AND home_account_id_folded = ?2 AND (client_id_folded = ?3 OR family_id <> '')` + scope
	}
	heldByAnother := make([]string, 3)
	for i, table := range []string{"access_tokens", "refresh_tokens", "id_tokens"} {
		heldByAnother[i] = tokenOfAccountIn(table, "t.client_id_folded <> ?3"+realmScope("t.realm"))
	}
	tokenArgs := slices.Concat([]any{r.Partition, home, client}, envs, realms)
	return []removal{
		{`DELETE FROM access_tokens` + byClient, tokenArgs},
		{`DELETE FROM refresh_tokens` + refreshOf, tokenArgs},
		{`DELETE FROM id_tokens` + byClient, tokenArgs},
		{`DELETE FROM accounts AS a WHERE partition = ?1 AND home_account_id_folded = ?2` + scope +
			` AND NOT (` + strings.Join(heldByAnother, " OR ") + `)`, tokenArgs},
	}
}

// RemoveAccount implements ports.AccountStore: the four deletions are one write
// transaction, so a reader sees the account entirely or not at all.
func (s *Store) RemoveAccount(ctx context.Context, r domain.AccountRemoval) error {
	const op = "remove account"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	err := s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		for _, d := range removals(r) {
			if _, err := tx.ExecContext(ctx, d.query, d.args...); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError(ctx, op, err)
}
