package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

// deleteAccessTokens removes the access tokens of partition $1 whose identity columns
// are the rows of $2 to $6 taken together (sqlcache.DeletedAccessTokens), each a search
// of the unique index.
const deleteAccessTokens = `DELETE FROM access_tokens t
	USING unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS d(home, client, env, realm, target)
	WHERE t.partition = $1 AND t.home_account_id_folded = d.home AND t.client_id_folded = d.client
	AND t.environment_folded = d.env AND t.realm = d.realm AND t.target_folded = d.target`

// lockAndNotify takes the advisory lock $1 and notifies channel $2 once with each of
// the payloads $3 (never empty, so the lock is always taken; taking it again within a
// transaction is a no-op until commit).
const lockAndNotify = `SELECT pg_advisory_xact_lock($1), pg_notify($2, p) FROM unnest($3::text[]) AS p`

// Write implements ports.TokenWriter in one transaction: the superseded access tokens
// are deleted first, then every entry is upserted, so an access token listed in both
// is kept. A refresh token is only replaced by one that is not older (second
// precision); the comparison happens in the upsert itself, so it holds against
// writers in other processes. The transaction notifies the accounts it changes
// (changes.go).
//
// Writes of one account take turns on a transaction-scoped advisory lock of the
// account: two writes that each supersede the other's access token would otherwise
// lock the two rows in opposite orders and deadlock, which the server resolves only
// after deadlock_timeout (1 s by default). A transaction that still loses a deadlock or
// a serialization conflict is retried.
func (s *Store) Write(ctx context.Context, w domain.CacheWrite) error {
	var deletes [5][]string
	cols := sqlcache.DeletedAccessTokens(w)
	for i := range cols[0] {
		holdable := true // a token the table cannot hold is not there
		for _, c := range cols {
			holdable = holdable && checkText("access token identity", c[i]) == nil
		}
		if !holdable {
			continue
		}
		for j, c := range cols {
			deletes[j] = append(deletes[j], c[i])
		}
	}
	lock := advisoryKey(s.schema, "write\x00"+w.Partition+"\x00"+sqlcache.FoldHome(accountOf(w)))
	return s.up.Write(ctx, w, func(tx *sqlx.Tx) error {
		// The notifications are delivered when (and only if) the transaction commits.
		if _, err := tx.ExecContext(ctx, lockAndNotify, lock, changeChannel, s.writePayloads(w)); err != nil {
			return fmt.Errorf("lock the account: %w", err)
		}
		if len(deletes[0]) > 0 {
			if _, err := tx.ExecContext(ctx, deleteAccessTokens, w.Partition, deletes[0], deletes[1], deletes[2], deletes[3], deletes[4]); err != nil {
				return fmt.Errorf("delete superseded access tokens: %w", err)
			}
		}
		return nil
	})
}

// accountOf returns the home account id of the entries w writes ("" for app-only
// tokens).
func accountOf(w domain.CacheWrite) string {
	switch {
	case w.AccessToken != nil:
		return w.AccessToken.HomeAccountID
	case w.RefreshToken != nil:
		return w.RefreshToken.HomeAccountID
	case w.IDToken != nil:
		return w.IDToken.HomeAccountID
	case w.Account != nil:
		return w.Account.HomeAccountID
	}
	return ""
}
