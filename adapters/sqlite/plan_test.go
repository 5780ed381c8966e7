package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// queryPlan returns the lines of SQLite's plan for query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scanning the plan: %v", err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestQueries_useIndexes checks that no look-up reads a whole table or sorts: every
// table is searched through an index, so the cost of a call does not grow with the
// cache. The silent hit's reads search each table's identity index by its leading
// columns: one index search and one row read per entry.
func TestQueries_useIndexes(t *testing.T) {
	s, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "plan.db")})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer s.Close()
	accountsByUser, userArgs := accountsQuery(domain.AccountFilter{Partition: "p", Username: "u@x", ClientID: "c"})
	accountsByEnv, envArgs := accountsQuery(domain.AccountFilter{Partition: "p", Environments: []string{"e1", "e2"}})
	const byHome = "SEARCH accounts USING INDEX accounts_identity (partition=? AND home_account_id_folded=?"
	type planCase struct {
		name  string
		query string
		args  []any
		want  string // a step the plan must hold
	}
	cases := []planCase{
		{"Find", findQuery, []any{"p", "h", "c"}, byHome},
		{"FindHit", findHitQuery, []any{"p", "h", "c"}, "SEARCH access_tokens USING INDEX access_tokens_identity (partition=? AND home_account_id_folded=? AND client_id_folded=?)"},
		{"FindHit ID tokens", findHitQuery, []any{"p", "h", "c"}, "SEARCH id_tokens USING INDEX id_tokens_identity (partition=? AND home_account_id_folded=? AND client_id_folded=?)"},
		{"FindHit narrow", hitQuery, []any{"p", "h", "c"}, "SEARCH access_tokens USING INDEX access_tokens_identity (partition=? AND home_account_id_folded=? AND client_id_folded=?)"},
		{"FindHit narrow ID tokens", hitQuery, []any{"p", "h", "c"}, "SEARCH id_tokens USING INDEX id_tokens_identity (partition=? AND home_account_id_folded=? AND client_id_folded=?)"},
		{"FindHit narrow accounts", hitQuery, []any{"p", "h", "c"}, byHome},
		{"delete a superseded access token", deleteAccessToken, []any{"p", "h", "c", "e", "r", "t"},
			"SEARCH access_tokens USING INDEX access_tokens_identity (partition=? AND home_account_id_folded=? AND client_id_folded=? AND environment_folded=? AND realm=? AND target_folded=?)"},
		{"Export", exportQuery, []any{"p"}, "SEARCH app_metadata"},
		{"Accounts by username and client", accountsByUser, userArgs, "USING INDEX accounts_username"},
		{"Accounts by environment", accountsByEnv, envArgs, "USING INDEX accounts_environment"},
		{"lock row", readLockRow, []any{"name"}, "SEARCH refresh_locks"},
	}
	for _, d := range removals(domain.AccountRemoval{Partition: "p", HomeAccountID: "h", ClientID: "c", Environments: []string{"e"}}) {
		table := strings.Fields(d.query)[2]
		want := "SEARCH " + table + " USING INDEX " + table + "_identity"
		if table == "accounts" { // "accounts AS a": the records another client's token keeps are probed through a
			want = "INDEX accounts_identity (partition=? AND home_account_id_folded=?"
		}
		cases = append(cases, planCase{"RemoveAccount " + table, d.query, d.args, want})
	}
	for _, c := range cases {
		plan := queryPlan(t, s, c.query, c.args...)
		found := false
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s: plan step %q reads a whole table or index; want index searches only (plan %q)", c.name, step, plan)
			}
			if strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s: plan step %q sorts or groups in a temporary B-tree; want rows in index order (plan %q)", c.name, step, plan)
			}
			found = found || strings.Contains(step, c.want)
		}
		if !found {
			t.Errorf("%s: plan %q; want a step with %q", c.name, plan, c.want)
		}
	}
}
