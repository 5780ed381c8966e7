package sqlcache

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/hexauth/hexauth/domain"
)

// openDB returns an in-memory SQLite database with a table t (k primary key, v),
// closed when t ends.
func openDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT NOT NULL PRIMARY KEY, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func countRows(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM t`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTx(t *testing.T) {
	failed := errors.New("fn failed")
	tests := []struct {
		name    string
		fn      func(tx *sqlx.Tx) error
		wantErr error
		wantN   int
	}{
		{"commits", func(tx *sqlx.Tx) error { _, err := tx.Exec(`INSERT INTO t VALUES ('a', 1)`); return err }, nil, 1},
		{"rolls back on failure", func(tx *sqlx.Tx) error {
			if _, err := tx.Exec(`INSERT INTO t VALUES ('a', 1)`); err != nil {
				return err
			}
			return failed
		}, failed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			if err := InTx(t.Context(), db, tt.fn); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("InTx = %v; want %v", err, tt.wantErr)
			}
			if n := countRows(t, db); n != tt.wantN {
				t.Errorf("rows after InTx = %d; want %d", n, tt.wantN)
			}
		})
	}
}

func TestUpserter(t *testing.T) {
	const insert = `INSERT INTO t (k, v) VALUES (?1, ?2)`
	// batches writes one row per access token, keyed by its target, refusing "bad".
	batches := func(partition string, snap domain.CacheSnapshot) ([]Batch, error) {
		b := Batch{Kind: "access token", Query: insert}
		for _, at := range snap.AccessTokens {
			if at.Target == "bad" {
				return nil, errors.New(`access token: extra field "x" is not valid JSON`)
			}
			b.Rows = append(b.Rows, []any{at.Target, len(partition)})
		}
		if len(b.Rows) == 0 {
			return nil, nil
		}
		return []Batch{b}, nil
	}
	tokens := func(targets ...string) domain.CacheSnapshot {
		var s domain.CacheSnapshot
		for _, tg := range targets {
			s.AccessTokens = append(s.AccessTokens, domain.AccessToken{Target: tg})
		}
		return s
	}
	failFirst := errors.New("first failed")
	tests := []struct {
		name    string
		closed  bool
		call    func(u Upserter, ctx context.Context) error
		wantErr []error // all wrapped by the result; nil for success
		wantMsg string  // in the result's message
		wantN   int     // rows in t afterwards
		wantTx  int     // transactions begun
	}{
		{"import", false, func(u Upserter, ctx context.Context) error { return u.Import(ctx, "p", tokens("a", "b")) },
			nil, "", 2, 1},
		{"empty import starts no transaction", false, func(u Upserter, ctx context.Context) error {
			return u.Import(ctx, "p", domain.CacheSnapshot{})
		}, nil, "", 0, 0},
		{"refused entry writes nothing", false, func(u Upserter, ctx context.Context) error {
			return u.Import(ctx, "p", tokens("a", "bad"))
		}, []error{domain.ErrCacheStore, domain.ErrInvalidInput}, "test: import: ", 0, 0},
		{"write runs first, then the upserts", false, func(u Upserter, ctx context.Context) error {
			w := domain.CacheWrite{Partition: "p", AccessToken: &domain.AccessToken{Target: "a"}}
			return u.Write(ctx, w, func(tx *sqlx.Tx) error { _, err := tx.Exec(insert, "first", 0); return err })
		}, nil, "", 2, 1},
		{"write of nothing still runs first", false, func(u Upserter, ctx context.Context) error {
			return u.Write(ctx, domain.CacheWrite{Partition: "p"}, func(tx *sqlx.Tx) error { _, err := tx.Exec(insert, "first", 0); return err })
		}, nil, "", 1, 1},
		{"failing first rolls back", false, func(u Upserter, ctx context.Context) error {
			w := domain.CacheWrite{Partition: "p", AccessToken: &domain.AccessToken{Target: "a"}}
			return u.Write(ctx, w, func(tx *sqlx.Tx) error { return failFirst })
		}, []error{domain.ErrCacheStore, failFirst}, "test: write: first failed", 0, 1},
		{"failing upsert rolls back", false, func(u Upserter, ctx context.Context) error {
			return u.Import(ctx, "p", tokens("a", "a"))
		}, []error{domain.ErrCacheStore}, "test: import: upsert access token: ", 0, 1},
		{"closed store", true, func(u Upserter, ctx context.Context) error { return u.Import(ctx, "p", tokens("a")) },
			[]error{domain.ErrCacheStore, ErrClosed}, "test: import: store is closed", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			life := NewLifecycle()
			if tt.closed {
				_ = life.Close(func() error { return nil })
			}
			var txs int
			u := Upserter{Errors: Errors{Prefix: "test"}, Life: life, Batches: batches,
				InTx: func(ctx context.Context, fn func(tx *sqlx.Tx) error) error { txs++; return InTx(ctx, db, fn) }}
			err := tt.call(u, t.Context())
			if tt.wantErr == nil && err != nil {
				t.Errorf("call = %v; want nil", err)
			}
			for _, target := range tt.wantErr {
				if !errors.Is(err, target) {
					t.Errorf("call = %v; want it to wrap %v", err, target)
				}
			}
			if tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Errorf("call = %v; want a message containing %q", err, tt.wantMsg)
			}
			if n := countRows(t, db); n != tt.wantN {
				t.Errorf("rows written = %d; want %d", n, tt.wantN)
			}
			if txs != tt.wantTx {
				t.Errorf("transactions = %d; want %d", txs, tt.wantTx)
			}
		})
	}
}
