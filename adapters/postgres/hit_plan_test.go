package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// The silent hit's statements search each table's primary key by its leading columns,
// in the generic plan the pool's prepared statement settles on, over a partition of a
// few hundred analyzed accounts: no table is read whole and no branch reads the whole
// partition through another index, so a hit costs the same few pages however many
// accounts the cache holds.
func TestHitQueries_searchPrimaryKeys(t *testing.T) {
	s := OpenTestStore(t, Config{MaxOpenConns: 1})
	var snap domain.CacheSnapshot
	for i := range 400 {
		w := sampleWrite("p", fmt.Sprintf("home-%d", i), "plan")
		snap.AccessTokens = append(snap.AccessTokens, *w.AccessToken)
		snap.IDTokens = append(snap.IDTokens, *w.IDToken)
		snap.Accounts = append(snap.Accounts, *w.Account)
	}
	if err := s.Import(t.Context(), "p", snap); err != nil {
		t.Fatalf("Import = %v", err)
	}
	if _, err := s.db.ExecContext(t.Context(), "ANALYZE access_tokens, id_tokens, accounts"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, query, types, args string }{
		{"narrow", hitQuery, "text, text, text", "'p', 'home-7', 'client-1'"},
		{"wide", findHitQuery, "text, text, text[], text", "'p', 'home-7', '{}', 'client-1'"},
	} {
		name := c.name
		t.Run(name, func(t *testing.T) {
			conn, err := s.db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, stmt := range []string{"SET plan_cache_mode = force_generic_plan",
				"PREPARE hit_plan_" + name + "(" + c.types + ") AS " + c.query} {
				if _, err := conn.ExecContext(t.Context(), stmt); err != nil {
					t.Fatalf("%.60s: %v", stmt, err)
				}
			}
			defer conn.ExecContext(t.Context(), "RESET plan_cache_mode; DEALLOCATE hit_plan_"+name) //nolint:errcheck // the store is closed after the test
			rows, err := conn.QueryContext(t.Context(), `EXPLAIN EXECUTE hit_plan_`+name+`(`+c.args+`)`)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("plan reads a table whole:\n%s", text)
			}
			for _, index := range []string{"access_tokens_pkey", "id_tokens_pkey", "accounts_pkey"} {
				if !strings.Contains(text, "using "+index+" on ") {
					t.Errorf("plan does not search %s:\n%s", index, text)
				}
			}
		})
	}
}
