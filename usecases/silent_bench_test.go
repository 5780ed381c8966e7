package usecases_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx": measure and drop the benchmark schema
	_ "modernc.org/sqlite"             // database/sql driver "sqlite": checkpoint the benchmark file
)

// BenchmarkSilentHit measures AcquireTokenSilent served from the cache — the call a
// backend makes on every request — through the real use case, per store and per number
// of cached accounts. Each account holds an account record, an Entra-sized ID token
// (a compact RS256 JWT with Entra's default v2.0 claims, which every hit parses for the
// result), a refresh token and an access token. The provider is never called.
//
//	HEXAUTH_TEST_POSTGRES_DSN=... go test -run '^$' -bench BenchmarkSilentHit -count 3 ./usecases
//
// On SQLite and Postgres, accounts=N also reports "disk-B/account": the bytes the
// loaded cache takes on disk divided by N (SQLite: database file plus WAL after a
// checkpoint, and the WAL alone as "wal-MB"; Postgres: pg_total_relation_size of the
// schema's tables, indexes and TOAST included). Postgres rows also report
// "server-cpu-ns/op", the server's CPU per hit, when the server runs on this machine
// (reportServerCPU). HEXAUTH_BENCH_MAX caps the sizes (default 1,000,000 for memory,
// 100,000 for SQL).
func BenchmarkSilentHit(b *testing.B) {
	stores := []struct {
		name  string
		open  func(b *testing.B) benchStore
		sizes []int
	}{
		{"memory", openBenchMemory, []int{1, 10_000, 1_000_000}},
		{"sqlite", openBenchSQLite, []int{1, 10_000, 100_000}},
		{"postgres", openBenchPostgres, []int{1, 10_000, 100_000}},
		// The same stores behind a near cache (adapters/nearcache) with its defaults.
		{"sqlite+near", openBenchNear(openBenchSQLite), []int{1, 10_000, 100_000}},
		{"postgres+near", openBenchNear(openBenchPostgres), []int{1, 10_000, 100_000}},
	}
	limit, _ := strconv.Atoi(os.Getenv("HEXAUTH_BENCH_MAX"))
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			for _, n := range st.sizes {
				if limit > 0 && n > limit {
					continue
				}
				store := st.open(b)
				accounts := loadAccounts(b, store, n)
				settle(b, store)
				disk := measureDisk(b, store)
				silent := benchSilent(b, store.CacheStore) // the store itself: a wrapper would hide its ports.HitReader
				b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
					ctx := context.Background()
					b.ReportAllocs()
					defer reportCPU(b)()
					defer reportThreadCPU(b, store)()
					defer reportServerCPU(b, store)()
					i := 0
					for b.Loop() {
						if err := silentHit(ctx, silent, accounts[(i*7919)%len(accounts)]); err != nil {
							b.Fatal(err)
						}
						i++
					}
					if store.diskBytes != nil {
						b.ReportMetric(float64(disk.total)/float64(n), "disk-B/account")
					}
					if disk.wal > 0 {
						b.ReportMetric(float64(disk.wal)/(1<<20), "wal-MB")
					}
				})
				b.Run(fmt.Sprintf("hot%d/accounts=%d", benchHotSet, n), func(b *testing.B) {
					// The same hits over a working set of benchHotSet accounts spread over
					// the cache, as a backend serving its active users: their ID tokens'
					// claims stay in the silent flow's claims cache, which the main
					// benchmark, visiting every account once before any twice, misses
					// whenever the cache holds more accounts than the claims cache.
					ctx := context.Background()
					hot := hotSet(accounts)
					// Each hot account is visited once before the loop: a backend's active
					// users have their rows in the server's buffers and their claims cached,
					// and the loop measures that state, not the first visits after the main
					// benchmark (at ~7,000 hits a second, a one-second loop visits each of
					// 5,000 accounts once or twice).
					for _, acct := range hot {
						if err := silentHit(ctx, silent, acct); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportAllocs()
					defer reportCPU(b)()
					defer reportThreadCPU(b, store)()
					defer reportServerCPU(b, store)()
					i := 0
					for b.Loop() {
						if err := silentHit(ctx, silent, hot[(i*7919)%len(hot)]); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
				b.Run(fmt.Sprintf("parallel/accounts=%d", n), func(b *testing.B) {
					b.ReportAllocs()
					defer reportCPU(b)()
					defer reportServerCPU(b, store)()
					b.RunParallel(func(pb *testing.PB) {
						ctx := context.Background()
						i := rand.IntN(len(accounts))
						for pb.Next() {
							if err := silentHit(ctx, silent, accounts[(i*7919)%len(accounts)]); err != nil {
								b.Error(err)
								return
							}
							i++
						}
					})
				})
				if err := store.Close(); err != nil {
					b.Errorf("Close() = %v; want nil", err)
				}
			}
		})
	}
}

// reportCPU starts measuring the process's CPU time (user and system, every thread:
// the garbage collector's work included) and returns the function that reports it per
// operation as "cpu-ns/op". On a machine shared with other work, wall-clock ns/op
// includes the time the benchmark waited for a core; CPU time per operation does not.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// reportThreadCPU locks the calling goroutine to its OS thread and returns the function
// that reports the thread's CPU time per operation as "thread-cpu-ns/op", and unlocks
// it: the hit's own work (and any GC assist it is charged), without the background
// garbage collector's threads or the time spent waiting for a core on a shared machine.
// For benchmarks whose loop runs on the calling goroutine only, and never for a store
// reached over the network: a goroutine locked to its thread that waits for a socket
// hands its thread off and back on every wait, which put some 40 µs of wall and process
// CPU time on each Postgres hit of this machine (alternating runs with and without it).
func reportThreadCPU(b *testing.B, store benchStore) func() {
	if store.serverCPU != nil { // a store on a server: Postgres
		return func() {}
	}
	runtime.LockOSThread()
	start := threadCPUTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(threadCPUTime()-start)/float64(b.N), "thread-cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

// threadCPUTime returns the CPU time the calling OS thread has used, in nanoseconds.
func threadCPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchHotSet is the size of the working set of the hot benchmarks: it fits the silent
// flow's default claims cache (about 27,000 Entra ID tokens).
const benchHotSet = 5000

// hotSet returns benchHotSet accounts (all when fewer) spread evenly over accounts.
func hotSet(accounts []domain.Account) []domain.Account {
	if len(accounts) <= benchHotSet {
		return accounts
	}
	step := len(accounts) / benchHotSet
	hot := make([]domain.Account, 0, benchHotSet)
	for i := 0; i < len(accounts) && len(hot) < benchHotSet; i += step {
		hot = append(hot, accounts[i])
	}
	return hot
}

// BenchmarkParseIDToken measures what a silent hit spends on the fixture's ID token:
// domain.ParseIDToken of an Entra-sized token, as the use case calls it on every hit.
//
//	go test -run '^$' -bench BenchmarkParseIDToken -count 3 ./usecases
func BenchmarkParseIDToken(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	acct := domain.Account{LocalAccountID: "00000001-0000-4000-8000-000000000001", Username: "user1@contoso.example", Name: "User 1"}
	idt := benchIDToken(r, acct)
	b.ReportAllocs()
	for b.Loop() {
		if _, c, err := domain.ParseIDToken(idt); err != nil || c.PreferredUsername != acct.Username {
			b.Fatalf("ParseIDToken = %q, %v; want %q, nil", c.PreferredUsername, err, acct.Username)
		}
	}
	b.ReportMetric(float64(len(idt)), "token-B")
}

// silentHit acquires a token for acct and checks that it was a cache hit whose ID
// token parsed: a fixture the use case cannot parse would measure less than a real hit.
func silentHit(ctx context.Context, silent *usecases.Silent, acct domain.Account) error {
	res, err := silent.Acquire(ctx, usecases.SilentRequest{Scopes: []string{benchScope}, Account: acct})
	switch {
	case err != nil || res.TokenSource != domain.SourceCache:
		return fmt.Errorf("Acquire = %q, %v; want a cache hit", res.TokenSource, err)
	case res.IDTokenClaims == nil || res.IDTokenClaims.PreferredUsername != acct.Username:
		return fmt.Errorf("Acquire's ID token claims = %+v; want the cached ID token's, for %s", res.IDTokenClaims, acct.Username)
	}
	return nil
}

// benchStore is a store under benchmark and, for a store on disk, how many bytes its
// data takes there.
type benchStore struct {
	ports.CacheStore
	diskBytes func(ctx context.Context) (diskSize, error) // nil for the memory store
	// serverCPU, for a store on a server process of this machine, returns the CPU time
	// in nanoseconds the server's processes serving the store have used so far, per
	// process id; nil, or false when unreadable, otherwise.
	serverCPU func(ctx context.Context) (map[int]int64, bool)
	// settle, when not nil, brings the loaded store to the state it would reach in
	// service before the hits are measured.
	settle func(ctx context.Context) error
}

// settle runs s.settle, if any.
func settle(b *testing.B, s benchStore) {
	if s.settle == nil {
		return
	}
	start := time.Now()
	if err := s.settle(context.Background()); err != nil {
		b.Fatalf("settling the loaded store: %v", err)
	}
	b.Logf("settled in %s", time.Since(start).Round(time.Millisecond))
}

// diskSize is the bytes a store's data takes on disk: total, of which wal in SQLite's
// write-ahead log.
type diskSize struct{ total, wal int64 }

// openBenchNear opens a store with open and puts a near cache in front of it.
func openBenchNear(open func(b *testing.B) benchStore) func(b *testing.B) benchStore {
	return func(b *testing.B) benchStore {
		inner := open(b)
		near, err := nearcache.New(inner.CacheStore, nearcache.Config{})
		if err != nil {
			b.Fatal(err)
		}
		return benchStore{CacheStore: near, serverCPU: inner.serverCPU, settle: inner.settle}
	}
}

func openBenchMemory(b *testing.B) benchStore {
	s, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	return benchStore{CacheStore: s}
}

func openBenchSQLite(b *testing.B) benchStore {
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	return benchStore{CacheStore: s, diskBytes: func(ctx context.Context) (diskSize, error) { return sqliteDiskBytes(ctx, path) }}
}

// sqliteDiskBytes checkpoints the WAL of the database at path into the database file,
// through a connection of its own (the store's stay open, so SQLite keeps the WAL), and
// returns the size of the file plus that of the WAL. A checkpoint does not shrink the
// WAL: it keeps the size of the largest transaction written, here one Import.
func sqliteDiskBytes(ctx context.Context, path string) (diskSize, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return diskSize{}, err
	}
	defer db.Close()
	var busy, frames, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(FULL)").Scan(&busy, &frames, &done); err != nil {
		return diskSize{}, fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 || done != frames {
		return diskSize{}, fmt.Errorf("checkpoint: busy %d, %d of %d WAL frames copied; want all", busy, done, frames)
	}
	var sizes [2]int64
	for i, name := range []string{path, path + "-wal"} {
		fi, err := os.Stat(name)
		if err != nil {
			return diskSize{}, err
		}
		sizes[i] = fi.Size()
	}
	return diskSize{total: sizes[0] + sizes[1], wal: sizes[1]}, nil
}

func openBenchPostgres(b *testing.B) benchStore {
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("HEXAUTH_TEST_POSTGRES_DSN is unset: no Postgres to benchmark")
	}
	schema := fmt.Sprintf("bench_silent_%d", time.Now().UnixNano())
	// The store's connections carry the schema's name as their application name, by
	// which serverCPU finds the server processes that serve them.
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: withApplicationName(dsn, schema), Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.Close()
		_, _ = admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
		_ = admin.Close()
	})
	return benchStore{CacheStore: s, diskBytes: func(ctx context.Context) (diskSize, error) {
		var n int64
		err := admin.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
			FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
			WHERE ns.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&n)
		return diskSize{total: n}, err
	}, serverCPU: postgresServerCPU(dsn, admin, schema), settle: func(ctx context.Context) error {
		// A load of thousands of rows sets off autovacuum, which vacuums and analyzes
		// the tables within a minute or so (autovacuum_naptime; the insert and analyze
		// thresholds): a server in service plans the hit over analyzed tables. The
		// benchmark, which starts hitting at once, does what autovacuum would.
		for _, table := range []string{"access_tokens", "refresh_tokens", "id_tokens", "accounts", "app_metadata"} {
			if _, err := admin.ExecContext(ctx, `VACUUM (ANALYZE) `+pgx.Identifier{schema, table}.Sanitize()); err != nil {
				return err
			}
		}
		return nil
	}}
}

// measureDisk returns what the loaded store takes on disk, nothing for a store in
// memory.
func measureDisk(b *testing.B, s benchStore) diskSize {
	if s.diskBytes == nil {
		return diskSize{}
	}
	d, err := s.diskBytes(context.Background())
	if err != nil {
		b.Fatalf("measuring the store on disk: %v", err)
	}
	return d
}

var benchNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// The fixture's ids and sizes, as Entra issues them (sizes vary with the claims a
// tenant configures; these are typical for a work account without group claims).
const (
	benchClientID  = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	benchTenant    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	benchScope     = "api://orders/read"
	benchATSize    = 1600 // an access token, opaque to the client
	benchRTSize    = 1200 // a refresh token, opaque
	benchIDTMin    = 1200 // the ID token's length must stay in [benchIDTMin, benchIDTMax]
	benchIDTMax    = 1600
	benchPoolBytes = 48 << 10
)

// benchSilent is the silent flow on store with a provider that must never be called.
func benchSilent(b *testing.B, store ports.CacheStore) *usecases.Silent {
	a, _ := domain.ParseAuthority("https://login.microsoftonline.com/common", domain.AuthorityAuto)
	s, err := usecases.NewSilent(usecases.Config{ClientID: benchClientID, Authority: a, Partition: "bench"},
		usecases.Deps{IdentityProvider: benchProvider{}, Store: store, Clock: &testClock{now: benchNow}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchProvider answers discovery as the HTTP adapter does from its cache (the ID-token
// hit checks iss against it) and fails every other call, as a hit makes none.
type benchProvider struct{ noProvider }

func (benchProvider) Metadata(context.Context, domain.Authority) (domain.ProviderMetadata, error) {
	return domain.ProviderMetadata{Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"}, nil
}

// loadAccounts imports n accounts with Import, 10,000 per call, and returns them.
func loadAccounts(b *testing.B, store ports.CacheStore, n int) []domain.Account {
	b.Helper()
	start := time.Now()
	r := rand.New(rand.NewPCG(1, uint64(n)))
	accounts := make([]domain.Account, 0, n)
	const chunk = 10_000
	for lo := 0; lo < n; lo += chunk {
		var snap domain.CacheSnapshot
		for i := lo; i < min(n, lo+chunk); i++ {
			acct, at, rt, idt := benchAccount(r, i)
			if len(idt.Secret) < benchIDTMin || len(idt.Secret) > benchIDTMax {
				b.Fatalf("fixture ID token of %d bytes; want %d to %d, the size of Entra's", len(idt.Secret), benchIDTMin, benchIDTMax)
			}
			snap.Accounts = append(snap.Accounts, acct)
			snap.AccessTokens = append(snap.AccessTokens, at)
			snap.RefreshTokens = append(snap.RefreshTokens, rt)
			snap.IDTokens = append(snap.IDTokens, idt)
			accounts = append(accounts, acct)
		}
		if err := store.Import(context.Background(), "bench", snap); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d accounts in %s", n, time.Since(start).Round(time.Millisecond))
	return accounts
}

// benchAccount returns account i of the fixture and its access, refresh and ID token.
func benchAccount(r *rand.Rand, i int) (domain.Account, domain.AccessToken, domain.RefreshToken, domain.IDToken) {
	oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	home := oid + "." + benchTenant
	acct := domain.Account{HomeAccountID: home, Environment: "login.microsoftonline.com", Realm: benchTenant,
		LocalAccountID: oid, Username: fmt.Sprintf("user%d@contoso.example", i), Name: fmt.Sprintf("User %d", i),
		AuthorityType: domain.AuthorityTypeMSSTS}
	idt := benchIDToken(r, acct)
	at := domain.AccessToken{HomeAccountID: home, Environment: acct.Environment, ClientID: benchClientID,
		Realm: acct.Realm, Target: benchScope, Secret: domain.Secret(benchCut(r, benchATSize)), TokenType: "Bearer", CachedAt: benchNow,
		ExpiresOn: benchNow.Add(time.Hour), ExtendedExpiresOn: benchNow.Add(time.Hour)}
	rt := domain.RefreshToken{HomeAccountID: home, Environment: acct.Environment,
		ClientID: benchClientID, Secret: domain.Secret(benchCut(r, benchRTSize)), CachedAt: benchNow}
	id := domain.IDToken{HomeAccountID: home, Environment: acct.Environment, ClientID: benchClientID,
		Realm: acct.Realm, Secret: domain.Secret(idt)}
	return acct, at, rt, id
}

// benchPool is random base64url text the fixture's tokens are cut from. Access and
// refresh tokens are slices of it: the client never reads them, and slices share the
// pool's memory, so a million accounts fit the memory store in a few GB; on disk each
// row still holds its own bytes.
var benchPool = sync.OnceValue(func() string {
	r := rand.New(rand.NewPCG(2, 3))
	raw := make([]byte, benchPoolBytes*3/4)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(raw)
})

// benchCut returns n characters of the pool from a random offset.
func benchCut(r *rand.Rand, n int) string {
	p := benchPool()
	off := r.IntN(len(p) - n)
	return p[off : off+n]
}

// benchHeader is the JOSE header of Entra's ID tokens: RS256 with a 27-character kid.
var benchHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"kWbkaa6qs8wsTnBwiiNYOhHbnAw"}`))

// benchIDToken returns a compact JWS of acct with the claims of an Entra v2.0 ID token
// for a work account (the random ones, aio, rh, sub, uti and the signature, cut from
// the pool) and a 256-byte RS256 signature. Nothing checks the signature of a cached
// ID token; the hit parses the claims.
func benchIDToken(r *rand.Rand, acct domain.Account) string {
	guid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
	}
	iat := benchNow.Add(-5 * time.Minute).Unix()
	claims, err := json.Marshal(struct {
		Aud               string `json:"aud"`
		Iss               string `json:"iss"`
		Iat               int64  `json:"iat"`
		Nbf               int64  `json:"nbf"`
		Exp               int64  `json:"exp"`
		Aio               string `json:"aio"`
		Name              string `json:"name"`
		Nonce             string `json:"nonce"`
		Oid               string `json:"oid"`
		PreferredUsername string `json:"preferred_username"`
		Rh                string `json:"rh"`
		Sid               string `json:"sid"`
		Sub               string `json:"sub"`
		Tid               string `json:"tid"`
		Uti               string `json:"uti"`
		Ver               string `json:"ver"`
	}{
		Aud: benchClientID, Iss: "https://login.microsoftonline.com/" + benchTenant + "/v2.0",
		Iat: iat, Nbf: iat, Exp: iat + 3600, Aio: benchCut(r, 112), Name: acct.Name, Nonce: guid(),
		Oid: acct.LocalAccountID, PreferredUsername: acct.Username, Rh: "1." + benchCut(r, 54) + ".", Sid: guid(),
		Sub: benchCut(r, 43), Tid: benchTenant, Uti: benchCut(r, 22), Ver: "2.0",
	})
	if err != nil {
		panic(err) // a struct of strings and integers always marshals
	}
	return benchHeader + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + benchCut(r, 342)
}

// noProvider fails every call but Metadata: a cache hit must not reach the provider's
// token endpoint. Metadata is the provider adapter's cached discovery document, which a
// hit reads to check the cached ID token's issuer.
type noProvider struct{}

func (noProvider) Metadata(_ context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
	return domain.ProviderMetadata{Authority: a, Issuer: fakeIssuer(a)}, nil
}

// fakeIssuer is the issuer the discovery document of a test authority names: Entra's
// multi-tenant template, else the authority's URL.
func fakeIssuer(a domain.Authority) string {
	if a.Kind == domain.AuthorityEntra {
		return "https://login.microsoftonline.com/{tenantid}/v2.0"
	}
	return strings.TrimSuffix(a.URL, "/")
}
func (noProvider) AuthorizationURL(context.Context, domain.Authority, domain.AuthorizationRequest) (string, error) {
	return "", fmt.Errorf("provider called on a cache hit")
}
func (noProvider) Token(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
	return domain.TokenResponse{}, fmt.Errorf("provider called on a cache hit")
}
func (noProvider) VerifyIDTokenSignature(context.Context, domain.Authority, string) error {
	return fmt.Errorf("provider called on a cache hit")
}

// BenchmarkMemoryStoreHeap reports the Go heap the memory store retains per cached
// account of the silent-hit fixture (account record, ID, refresh and access token:
// 4,168 bytes of tokens), each token in its own allocation as a decoded token response
// would have it (the silent benchmark's tokens share one pool to fit a million
// accounts). It measures the live heap after a GC, before the store is created and
// after loading, with nothing but the store holding the entries. The parsed ID token
// claims the silent flow caches are not part of it: they live in the use case, bounded
// by usecases.Config.ClaimsCacheBytes.
//
//	go test -run '^$' -bench '^BenchmarkMemoryStoreHeap$' -benchtime 1x -count 5 ./usecases
func BenchmarkMemoryStoreHeap(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			for b.Loop() {
				perAccount, tokens := memoryStoreHeap(b, n)
				b.ReportMetric(perAccount, "heap-B/account")
				b.ReportMetric(tokens, "token-B/account")
			}
		})
	}
}

// memoryStoreHeap loads n accounts of the fixture into a new memory store and returns
// the heap it retains per account and the token bytes per account.
func memoryStoreHeap(b *testing.B, n int) (perAccount, tokenBytes float64) {
	b.Helper()
	benchPool() // made once, outside the measurement
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var tokens int
	r := rand.New(rand.NewPCG(1, uint64(n)))
	const chunk = 10_000
	for lo := 0; lo < n; lo += chunk {
		var snap domain.CacheSnapshot
		for i := lo; i < min(n, lo+chunk); i++ {
			acct, at, rt, idt := benchAccount(r, i)
			at.Secret = domain.Secret(strings.Clone(string(at.Secret)))
			rt.Secret = domain.Secret(strings.Clone(string(rt.Secret)))
			tokens += len(at.Secret) + len(rt.Secret) + len(idt.Secret)
			snap.Accounts = append(snap.Accounts, acct)
			snap.AccessTokens = append(snap.AccessTokens, at)
			snap.RefreshTokens = append(snap.RefreshTokens, rt)
			snap.IDTokens = append(snap.IDTokens, idt)
		}
		if err := s.Import(context.Background(), "bench", snap); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n), float64(tokens) / float64(n)
}
