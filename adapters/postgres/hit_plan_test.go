package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// hitPlanStore returns a store whose partition "p" holds a few hundred analyzed
// accounts, home-0 to home-399, each with an access and an ID token of client-1, and
// the accounts homes besides.
func hitPlanStore(t *testing.T, homes ...string) *Store {
	t.Helper()
	s := OpenTestStore(t, Config{MaxOpenConns: 1})
	var snap domain.CacheSnapshot
	for i := range 400 {
		homes = append(homes, fmt.Sprintf("home-%d", i))
	}
	for _, home := range homes {
		w := sampleWrite("p", home, "at-"+home)
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
	return s
}

// The silent hit's statements search small indexes by their leading columns, in the
// generic plan the pool's prepared statement settles on, over a partition of a few
// hundred analyzed accounts: no table is read whole and no branch reads the whole
// partition through another index, so a hit costs the same few pages however many
// accounts the cache holds. The narrow read finds access tokens through the hash of the
// home account id (migration 0006), ID tokens and account records through their
// primary keys; the wide read searches every primary key.
func TestHitQueries_searchSmallIndexes(t *testing.T) {
	s := hitPlanStore(t)
	for _, c := range []struct {
		name, query, types, args string
		indexes                  []string
	}{
		{"narrow", hitQuery, "text, text, text", "'p', 'home-7', 'client-1'",
			[]string{"access_tokens_home_hash_idx", "id_tokens_pkey", "accounts_pkey"}},
		{"wide", findHitQuery, "text, text, text[], text", "'p', 'home-7', '{}', 'client-1'",
			[]string{"access_tokens_pkey", "id_tokens_pkey", "accounts_pkey"}},
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
			for _, index := range c.indexes {
				if !strings.Contains(text, "using "+index+" on ") {
					t.Errorf("plan does not search %s:\n%s", index, text)
				}
			}
		})
	}
}

// Two home account ids of one hashtext value: the hash index finds both accounts'
// access tokens for either, and the hit keeps only the asked one's (hitQuery compares the ids
// in full). hashtext hashes a string's bytes in the server's byte order; these two
// collide on a little-endian server.
func TestFindHit_homeHashCollision(t *testing.T) {
	homes := []string{"home-189302", "home-288318"}
	s := hitPlanStore(t, homes...)
	var same bool
	if err := s.db.QueryRowContext(t.Context(), "SELECT hashtext($1) = hashtext($2)", homes[0], homes[1]).Scan(&same); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Skipf("%s and %s have hashtext values of their own on this server (big-endian?): no collision to test", homes[0], homes[1])
	}
	for _, home := range homes {
		q := domain.CacheQuery{Partition: "p", HomeAccountID: home, ClientID: "client-1"}
		got, err := s.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("FindHit(%s) = %v", home, err)
		}
		if len(got.AccessTokens) != 1 || string(got.AccessTokens[0].Secret) != "at-"+home || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
			t.Errorf("FindHit(%s) = %d access tokens, %d ID tokens, %d accounts; want 1 each, of %s only",
				home, len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), home)
		}
		if g, w := entriesJSON(t, got), hitOf(t, s, q); g != w {
			t.Errorf("FindHit(%s) =\n%s\nwant\n%s", home, g, w)
		}
	}
}
