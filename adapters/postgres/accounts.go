package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// tokenOfClient is true when the account row a has a token of the folded client $N in
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

func tokenOfClientIn(table string) string { return tokenOfAccountIn(table, "t.client_id_folded = $N") }

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
// that the planner picks the index each one needs (username, environment) whether or
// not it reuses a generic plan.
func accountsQuery(f domain.AccountFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(selectAccounts + ` a WHERE a.partition = $1`)
	args := []any{f.Partition}
	next := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Environments) > 0 {
		b.WriteString(` AND a.environment_folded = ANY(` + next(foldAll(f.Environments)) + `::text[])`)
	}
	if f.Username != "" {
		b.WriteString(` AND a.username_folded = ` + next(domain.FoldUsername(f.Username)))
	}
	if f.ClientID != "" {
		cond := strings.ReplaceAll(tokenOfClient, "$N", next(sqlcache.Fold(f.ClientID)))
		if f.Family != "" {
			cond = "(" + cond + " OR " + strings.ReplaceAll(familyTokenOf, "FAMILY", next(f.Family)+"::text") + ")"
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
	if err := checkQueryText(f.Partition, f.Environments, f.Username, f.ClientID, f.Family); err != nil {
		return nil, inputError(op, err)
	}
	query, args := accountsQuery(f)
	snap, err := s.read(ctx, f.Partition, query, args...)
	if err != nil {
		return nil, storeError(ctx, op, err)
	}
	return snap.Accounts, nil
}

// removeAccount deletes, in one statement and so atomically, the entries an
// AccountRemoval names: $1 partition, $2 folded home account id, $3 folded
// environments (empty for all), $4 folded client id, $5 realms (empty for all), $8
// whether family refresh tokens of any client go too (AccountRemoval.FamilyRefreshTokens);
// and notifies channel $6 with payload $7 (changes.go) when the statement's transaction
// commits. Data-modifying WITH clauses run whether or not the final SELECT reads them.
//
// An account record stays while a token of another client remains in its environment or
// an alias of it, in the realms $5 (ADR 0020). Every clause of the statement sees the
// rows as they were before it, so "remains" is spelled out: another client's access and
// ID tokens are never deleted here, and a refresh token remains unless rt returned it
// (a family token of another client that went with the removal keeps nothing, ADR 0016).
var removeAccount = `WITH
	at AS (DELETE FROM access_tokens WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $4 AND ` + envFilter + ` AND ` + realmFilter + `),
	rt AS (DELETE FROM refresh_tokens WHERE partition = $1 AND home_account_id_folded = $2 AND (client_id_folded = $4 OR ($8::boolean AND family_id <> '')) AND ` + envFilter + ` AND ` + realmFilter + `
		RETURNING client_id_folded, environment_folded, realm),
	it AS (DELETE FROM id_tokens WHERE partition = $1 AND home_account_id_folded = $2 AND client_id_folded = $4 AND ` + envFilter + ` AND ` + realmFilter + `),
	ac AS (DELETE FROM accounts a WHERE partition = $1 AND home_account_id_folded = $2 AND ` + envFilter + ` AND ` + realmFilter + ` AND NOT (` +
	tokenOfAccountIn("access_tokens", otherClient) + ` OR ` +
	tokenOfAccountIn("refresh_tokens", otherClient+` AND NOT EXISTS (SELECT 1 FROM rt
		WHERE rt.client_id_folded = t.client_id_folded AND rt.environment_folded = t.environment_folded AND rt.realm = t.realm)`) + ` OR ` +
	tokenOfAccountIn("id_tokens", otherClient) + `))
	SELECT pg_notify($6, $7)`

// otherClient keeps the tokens t of a client other than $4 in the realms $5.
const otherClient = `t.client_id_folded <> $4 AND (cardinality($5::text[]) = 0 OR t.realm = ANY($5::text[]))`

// realmFilter keeps rows of one of the realms $5 (compared exactly), or every row when
// $5 is empty.
const realmFilter = `(cardinality($5::text[]) = 0 OR realm = ANY($5::text[]))`

// RemoveAccount implements ports.AccountStore. The four deletions and the change
// notification are one statement, hence one transaction: a reader sees the account
// entirely or not at all, and a listener hears of it only once it is gone.
func (s *Store) RemoveAccount(ctx context.Context, r domain.AccountRemoval) error {
	const op = "remove account"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	if err := checkQueryText(r.Partition, r.Environments, append([]string{r.HomeAccountID, r.ClientID}, r.Realms...)...); err != nil {
		return inputError(op, err)
	}
	realms := r.Realms
	if realms == nil {
		realms = []string{}
	}
	_, err := s.db.ExecContext(ctx, removeAccount, r.Partition, sqlcache.FoldHome(r.HomeAccountID), foldAll(r.Environments), sqlcache.Fold(r.ClientID), realms,
		changeChannel, s.changePayload(domain.ChangeKey(r.Partition, r.HomeAccountID)), r.FamilyRefreshTokens)
	return storeError(ctx, op, err)
}

// checkQueryText applies checkText to the strings of a query.
func checkQueryText(partition string, envs []string, values ...string) error {
	if err := checkText("partition", partition); err != nil {
		return err
	}
	for _, e := range envs {
		if err := checkText("environment", e); err != nil {
			return err
		}
	}
	for _, v := range values {
		if err := checkText("query value", v); err != nil {
			return err
		}
	}
	return nil
}
