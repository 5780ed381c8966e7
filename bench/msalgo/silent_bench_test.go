package msalgo_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// loaded is one size of the fixture loaded into both libraries, kept across -count runs
// (loading 100k accounts takes longer than measuring them).
type loaded struct {
	fixture
	msal    public.Client
	hex     *app.PublicClient
	msalNet *noNetwork
	hexNet  *noNetwork
	removed int // accounts removed so far, from the end of the list
}

var (
	loadedMu sync.Mutex
	loadedBy = map[int]*loaded{}
)

// load returns the fixture of n accounts loaded into MSAL Go and hexauth.
func load(b *testing.B, n int) *loaded {
	b.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if l, ok := loadedBy[n]; ok {
		return l
	}
	start := time.Now()
	l := &loaded{fixture: newFixture(b, n, time.Now().Truncate(time.Second)), msalNet: &noNetwork{}, hexNet: &noNetwork{}}
	built := time.Now()
	l.msal = newMSALGo(b, l.doc, l.msalNet)
	// MSAL Go loads its document on its first operation.
	if _, err := l.msal.AcquireTokenSilent(context.Background(), []string{benchScope}, public.WithSilentAccount(msalAccount(l.accounts[0]))); err != nil {
		b.Fatalf("MSAL Go's first silent call: %v", err)
	}
	msalLoaded := time.Now()
	l.hex = newHexauth(b, l.chunks, l.hexNet)
	// hexauth reads the authority's discovery document on its first hit, for the issuer.
	if res, err := l.hex.AcquireTokenSilent(context.Background(), []string{benchScope}, hexAccount(l.accounts[0])); err != nil || res.IDTokenClaims == nil {
		b.Fatalf("hexauth's first silent call: %v (claims %v)", err, res.IDTokenClaims != nil)
	}
	b.Logf("%d accounts: fixture built in %s (%d MB document); MSAL Go loaded it in %s, hexauth imported it in %s",
		n, built.Sub(start).Round(time.Millisecond), len(l.doc)>>20, msalLoaded.Sub(built).Round(time.Millisecond), time.Since(msalLoaded).Round(time.Millisecond))
	l.doc, l.chunks = nil, nil
	runtime.GC() // the documents' garbage is not charged to the first benchmark
	loadedBy[n] = l
	return l
}

// hitAccounts are the accounts the hit benchmarks use: all but the last tenth at 10k
// and more, which the removal benchmark takes.
func (l *loaded) hitAccounts() []domain.Account {
	if len(l.accounts) < 10 {
		return l.accounts
	}
	return l.accounts[:len(l.accounts)*9/10]
}

func benchSizes() []int {
	sizes := []int{1, 10_000, 100_000}
	if limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX")); limit > 0 {
		for i, n := range sizes {
			if n > limit {
				return sizes[:i]
			}
		}
	}
	return sizes
}

// BenchmarkSilentHit is AcquireTokenSilent answered from the cache, through each
// library's public API, on the same accounts. Every call must be a cache hit: a request
// to the network fails the benchmark.
//
//	go test -run '^$' -bench '^BenchmarkSilentHit$' -benchtime 200x -count 5
func BenchmarkSilentHit(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		l := load(b, n)
		accounts := l.hitAccounts()
		b.Run(fmt.Sprintf("accounts=%d/msal-go", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				acct := accounts[(i*7919)%len(accounts)]
				res, err := l.msal.AcquireTokenSilent(ctx, []string{benchScope}, public.WithSilentAccount(msalAccount(acct)))
				if err != nil || res.Metadata.TokenSource != public.TokenSourceCache || res.IDToken.PreferredUsername != acct.Username {
					b.Fatalf("MSAL Go silent = %v (source %v); want a cache hit for %s", err, res.Metadata.TokenSource, acct.Username)
				}
				i++
			}
			if c := l.msalNet.calls.Load(); c != 0 {
				b.Fatalf("MSAL Go sent %d requests; want none", c)
			}
		})
		b.Run(fmt.Sprintf("accounts=%d/hexauth-memory", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				acct := accounts[(i*7919)%len(accounts)]
				res, err := l.hex.AcquireTokenSilent(ctx, []string{benchScope}, hexAccount(acct))
				if err != nil || res.TokenSource != domain.SourceCache || res.IDTokenClaims == nil || res.IDTokenClaims.PreferredUsername != acct.Username {
					b.Fatalf("hexauth silent = %v (source %v); want a cache hit for %s", err, res.TokenSource, acct.Username)
				}
				i++
			}
			if c := l.hexNet.calls.Load(); c != 0 {
				b.Fatalf("hexauth sent %d requests; want none", c)
			}
		})
	}
}

// BenchmarkAccounts lists every account (Accounts) and removes one (RemoveAccount) at
// the largest size, through each library's public API.
//
//	go test -run '^$' -bench '^BenchmarkAccounts$' -benchtime 10x -count 5
func BenchmarkAccounts(b *testing.B) {
	ctx := context.Background()
	sizes := benchSizes()
	n := sizes[len(sizes)-1]
	l := load(b, n)
	b.Run(fmt.Sprintf("list/accounts=%d/msal-go", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := l.msal.Accounts(ctx)
			if err != nil || len(got) < n-l.removed {
				b.Fatalf("MSAL Go Accounts = %d, %v; want %d", len(got), err, n-l.removed)
			}
		}
	})
	b.Run(fmt.Sprintf("list/accounts=%d/hexauth-memory", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := l.hex.Accounts(ctx)
			if err != nil || len(got) < n-l.removed {
				b.Fatalf("hexauth Accounts = %d, %v; want %d", len(got), err, n-l.removed)
			}
		}
	})
	if n < 10 {
		return // no accounts set aside for removal
	}
	// Each iteration removes another account of the last tenth (which no hit uses),
	// from both libraries, the same one.
	reserve := l.accounts[len(l.accounts)*9/10:]
	next := func(b *testing.B) domain.Account {
		if l.removed >= len(reserve) {
			b.Fatalf("removed all %d accounts set aside", len(reserve))
		}
		a := reserve[len(reserve)-1-l.removed]
		return a
	}
	b.Run(fmt.Sprintf("remove/accounts=%d/msal-go", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := l.msal.RemoveAccount(ctx, msalAccount(next(b))); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := l.hex.RemoveAccount(ctx, hexAccount(next(b))); err != nil {
				b.Fatal(err)
			}
			l.removed++
			b.StartTimer()
		}
	})
	b.Run(fmt.Sprintf("remove/accounts=%d/hexauth-memory", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := l.hex.RemoveAccount(ctx, hexAccount(next(b))); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := l.msal.RemoveAccount(ctx, msalAccount(next(b))); err != nil {
				b.Fatal(err)
			}
			l.removed++
			b.StartTimer()
		}
	})
}
