package usecases_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// BenchmarkAccountsList measures Accounts.List over the memory store holding n
// accounts of the silent-hit fixture (one Entra account record, access, refresh and ID
// token each): what a backend pays to list its signed-in users. HEXAUTH_BENCH_MAX caps
// the sizes.
//
//	HEXAUTH_BENCH_MAX=100000 go test -run '^$' -bench BenchmarkAccountsList -benchtime 20x -count 3 ./usecases
func BenchmarkAccountsList(b *testing.B) {
	limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX"))
	for _, n := range []int{1, 10_000, 100_000} {
		if limit > 0 && n > limit {
			continue
		}
		store := openBenchMemory(b)
		loadAccounts(b, store, n)
		a, _ := domain.ParseAuthority("https://login.microsoftonline.com/common", domain.AuthorityAuto)
		accounts, err := usecases.NewAccounts(usecases.Config{ClientID: benchClientID, Authority: a, Partition: "bench"},
			usecases.Deps{IdentityProvider: benchProvider{}, Store: store, Clock: &testClock{now: benchNow}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				got, err := accounts.List(ctx, "")
				if err != nil || len(got) != n {
					b.Fatalf("List = %d accounts, %v; want %d", len(got), err, n)
				}
			}
		})
	}
}
