package postgres

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// BenchmarkFind_roundTrips reports the round trips one Find makes on a pooled
// connection ("round-trips/op", messages written to the server): back to back, and
// after the connection sat unused for longer than a second, when pgx's database/sql
// driver (stdlib.Conn.ResetSession) would send a ping before the query had the store
// not turned that off (both cases are 1 since). The idle case's ns/op includes its
// 1.1 s wait.
//
//	HEXAUTH_TEST_POSTGRES_DSN=... go test -run '^$' -bench BenchmarkFind_roundTrips -count 3 ./adapters/postgres/
func BenchmarkFind_roundTrips(b *testing.B) {
	for _, idle := range []time.Duration{0, 1100 * time.Millisecond} {
		b.Run(fmt.Sprintf("idle=%v", idle), func(b *testing.B) {
			var writes atomic.Int64
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return countingConn{c, &writes}, nil
			}
			s := openTestStore(b, Config{MaxOpenConns: 1}, dial)
			ctx := context.Background()
			if err := s.Write(ctx, sampleWrite("p", "h", "at")); err != nil {
				b.Fatalf("Write = %v; want nil", err)
			}
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: []string{"login.example.com"}, ClientID: "client-1"}
			find := func() {
				if got, err := s.Find(ctx, q); err != nil || len(got.AccessTokens) != 1 {
					b.Fatalf("Find = %d access tokens, %v; want 1, nil", len(got.AccessTokens), err)
				}
			}
			find() // prepares the statement on the connection: a round trip of its own
			before := writes.Load()
			for b.Loop() {
				time.Sleep(idle)
				find()
			}
			b.ReportMetric(float64(writes.Load()-before)/float64(b.N), "round-trips/op")
		})
	}
}

// BenchmarkRoundTrip measures the smallest statement, SELECT $1, through the store's
// pool: the cost of one round trip to the server, against which Find compares.
//
//	HEXAUTH_TEST_POSTGRES_DSN=... go test -run '^$' -bench BenchmarkRoundTrip -count 3 ./adapters/postgres/
func BenchmarkRoundTrip(b *testing.B) {
	s := openTestStore(b, Config{}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var got int
		if err := s.db.QueryRowContext(ctx, "SELECT $1::int", 7).Scan(&got); err != nil || got != 7 {
			b.Fatalf("SELECT $1 = %d, %v; want 7, nil", got, err)
		}
	}
}
