package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkReadFloor measures what any read through the store's pool costs before it
// reads a row, against which FindHit compares (BenchmarkFindHit): "select" is SELECT 1
// (database/sql and the driver, no read transaction); "probe" is a one-row index search
// of an empty table (a WAL read transaction: its locks on the -shm file are two fcntl
// calls); "hitShape" is FindHit's three index searches in one statement, on empty tables.
//
//	go test -run '^$' -bench BenchmarkReadFloor -count 3 ./adapters/sqlite
func BenchmarkReadFloor(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "floor.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	for _, c := range []struct {
		name, query string
		args        []any
	}{
		{"select", "SELECT 1", nil},
		{"probe", "SELECT 1 FROM accounts WHERE partition = ?1 AND home_account_id_folded = ?2", []any{"p", "h"}},
		{"hitShape", `SELECT 1 FROM access_tokens WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3
			UNION ALL SELECT 3 FROM id_tokens WHERE partition = ?1 AND home_account_id_folded = ?2 AND client_id_folded = ?3
			UNION ALL SELECT 4 FROM accounts WHERE partition = ?1 AND home_account_id_folded = ?2`, []any{"p", "h", "c"}},
	} {
		stmt, err := s.db.PrepareContext(ctx, c.query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := stmt.QueryContext(ctx, c.args...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = stmt.Close()
	}
}
