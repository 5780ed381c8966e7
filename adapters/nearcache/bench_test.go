package nearcache_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/ports"
)

// BenchmarkStore_FindHit measures a warm near hit in front of SQLite — the store's
// own read, with a data_version read per CheckInterval — against the SQLite read it
// saves, and with the version read on every hit (CheckInterval < 0):
//
//	go test -run '^$' -bench BenchmarkStore_FindHit -count 5 ./adapters/nearcache
//
// The whole silent hit through the use case is BenchmarkSilentHit/sqlite+near in
// package usecases.
func BenchmarkStore_FindHit(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  *nearcache.Config
	}{
		{"sqlite", nil},
		{"near/default", &nearcache.Config{}},
		{"near/version-every-hit", &nearcache.Config{CheckInterval: -1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			inner := openSQLite(b, filepath.Join(b.TempDir(), "b.db"))
			ctx := context.Background()
			if err := inner.Write(ctx, tokenWrite("secret")); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			if bc.cfg == nil {
				hr := inner.(ports.HitReader)
				for b.Loop() {
					if got, err := hr.FindHit(ctx, mpQuery); err != nil || len(got.AccessTokens) != 1 {
						b.Fatal(err)
					}
				}
				return
			}
			near := wrap(b, inner, *bc.cfg)
			for b.Loop() {
				if got, err := near.FindHit(ctx, mpQuery); err != nil || len(got.AccessTokens) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}
