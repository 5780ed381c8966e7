package usecases_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// BenchmarkSilentSignInHit measures AcquireTokenSilent without scopes served from the
// cache (an ID-token-only sign-in, as kubectl's exec plugin asks on every command), per
// store, over the fixtures of BenchmarkSilentHit.
//
//	go test -run '^$' -bench BenchmarkSilentSignInHit -count 3 ./usecases
func BenchmarkSilentSignInHit(b *testing.B) {
	for _, st := range []struct {
		name string
		open func(b *testing.B) benchStore
	}{{"memory", openBenchMemory}, {"sqlite", openBenchSQLite}} {
		b.Run(st.name, func(b *testing.B) {
			for _, n := range []int{1, 10_000} {
				store := st.open(b)
				accounts := loadAccounts(b, store, n)
				silent := benchSilent(b, store.CacheStore)
				b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
					ctx := context.Background()
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						acct := accounts[(i*7919)%len(accounts)]
						res, err := silent.Acquire(ctx, usecases.SilentRequest{Account: acct})
						if err != nil || res.TokenSource != domain.SourceCache || !res.IDTokenOnly() {
							b.Fatalf("Acquire without scopes = %q, %v; want the cached ID token", res.TokenSource, err)
						}
						i++
					}
				})
				_ = store.Close()
			}
		})
	}
}
