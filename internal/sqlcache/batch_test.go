package sqlcache

import (
	"database/sql"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // an in-memory database to run batches on
)

func TestExecBatches(t *testing.T) {
	const insert = `INSERT INTO t (k, v) VALUES (?1, ?2)`
	tests := []struct {
		name    string
		batches []Batch
		wantErr string
		wantN   int
	}{
		{"none", nil, "", 0},
		{"one row", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{"a", 1}}}}, "", 1},
		{"prepared for many rows", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{"a", 1}, {"b", 2}, {"c", 3}}}}, "", 3},
		{"several batches", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{"a", 1}}},
			{Kind: "other", Query: insert, Rows: [][]any{{"b", 2}, {"c", 3}}}}, "", 3},
		{"failing row names the kind", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{"a", 1}, {"a", 2}}}},
			"upsert thing: ", 1},
		{"failing single row", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{nil, 1}}}}, "upsert thing: ", 0},
		{"bad statement", []Batch{{Kind: "thing", Query: `INSERT INTO nowhere VALUES (?1)`, Rows: [][]any{{1}, {2}}}},
			"prepare upsert of thing: ", 0},
		{"stops at the first failure", []Batch{{Kind: "thing", Query: insert, Rows: [][]any{{nil, 1}}},
			{Kind: "other", Query: insert, Rows: [][]any{{"b", 2}}}}, "upsert thing: ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", ":memory:")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if _, err := db.Exec(`CREATE TABLE t (k TEXT NOT NULL PRIMARY KEY, v INTEGER)`); err != nil {
				t.Fatal(err)
			}
			tx, err := db.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = ExecBatches(t.Context(), tx, tt.batches)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Errorf("ExecBatches = %v; want an error starting %q", err, tt.wantErr)
			}
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != tt.wantN {
				t.Errorf("rows written = %d, %v; want %d", n, err, tt.wantN)
			}
			_ = tx.Rollback()
		})
	}
}
