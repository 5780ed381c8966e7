package msalgo_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// The fixture of usecases.BenchmarkSilentHit (usecases/silent_bench_test.go), rebuilt
// here: one Entra tenant, the Azure CLI's client id, one scope; per account an account
// record, an ID token with a work account's Entra v2.0 claims (1,368 bytes for account
// 1), a 1,600-byte access token (valid for benchATLifetime here) and a 1,200-byte refresh token.
const (
	benchClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	benchTenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	benchScope    = "api://orders/read"
	benchEnv      = "login.microsoftonline.com"
	benchATSize   = 1600
	benchRTSize   = 1200
	benchIDTMin   = 1200
	benchIDTMax   = 1600
	// benchATLifetime outlasts a long run (the fixture is built once per size and kept
	// across -count runs) by more than either library's 5-minute expiry buffer.
	benchATLifetime = 3 * time.Hour
)

var benchAuthority = "https://" + benchEnv + "/" + benchTenant

// benchPool is random base64url text the opaque tokens are cut from.
var benchPool = sync.OnceValue(func() string {
	r := rand.New(rand.NewPCG(2, 3))
	raw := make([]byte, 36<<10)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(raw)
})

func benchCut(r *rand.Rand, n int) string {
	p := benchPool()
	off := r.IntN(len(p) - n)
	return p[off : off+n]
}

var benchHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"kWbkaa6qs8wsTnBwiiNYOhHbnAw"}`))

// benchIDToken is a compact JWS with an Entra v2.0 work account's claims and a 342-
// character signature (nothing verifies a cached ID token's signature; both libraries
// decode its claims on a hit).
func benchIDToken(r *rand.Rand, now time.Time, acct domain.Account) string {
	guid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
	}
	iat := now.Add(-5 * time.Minute).Unix()
	claims, _ := json.Marshal(map[string]any{
		"aud": benchClientID, "iss": "https://login.microsoftonline.com/" + benchTenant + "/v2.0",
		"iat": iat, "nbf": iat, "exp": iat + 3600, "aio": benchCut(r, 112), "name": acct.Name, "nonce": guid(),
		"oid": acct.LocalAccountID, "preferred_username": acct.Username, "rh": "1." + benchCut(r, 54) + ".", "sid": guid(),
		"sub": benchCut(r, 43), "tid": benchTenant, "uti": benchCut(r, 22), "ver": "2.0",
	})
	return benchHeader + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + benchCut(r, 342)
}

// fixture is n accounts as one MSAL document (msalcache.Encode of the snapshot), which
// MSAL Go loads, the same accounts as documents of at most fixtureChunk accounts, which
// hexauth imports one after the other (ImportCache reads at most app.MaxCacheDocument
// bytes at a time), and the accounts.
type fixture struct {
	doc      []byte
	chunks   [][]byte
	accounts []domain.Account
}

// fixtureChunk is the number of accounts per document hexauth imports: about 60 MB.
const fixtureChunk = 10_000

// newFixture builds n accounts whose tokens were cached at now.
func newFixture(b *testing.B, n int, now time.Time) fixture {
	b.Helper()
	r := rand.New(rand.NewPCG(1, uint64(n)))
	var all, chunk domain.CacheSnapshot
	f := fixture{accounts: make([]domain.Account, 0, n)}
	flush := func() {
		doc, err := msalcache.Encode(chunk)
		if err != nil {
			b.Fatal(err)
		}
		f.chunks = append(f.chunks, doc)
		all.Accounts = append(all.Accounts, chunk.Accounts...)
		all.AccessTokens = append(all.AccessTokens, chunk.AccessTokens...)
		all.RefreshTokens = append(all.RefreshTokens, chunk.RefreshTokens...)
		all.IDTokens = append(all.IDTokens, chunk.IDTokens...)
		chunk = domain.CacheSnapshot{}
	}
	for i := range n {
		oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		home := oid + "." + benchTenant
		acct := domain.Account{HomeAccountID: home, Environment: benchEnv, Realm: benchTenant, LocalAccountID: oid,
			Username: fmt.Sprintf("user%d@contoso.example", i), Name: fmt.Sprintf("User %d", i), AuthorityType: domain.AuthorityTypeMSSTS}
		idt := benchIDToken(r, now, acct)
		if len(idt) < benchIDTMin || len(idt) > benchIDTMax {
			b.Fatalf("fixture ID token of %d bytes; want %d to %d", len(idt), benchIDTMin, benchIDTMax)
		}
		chunk.Accounts = append(chunk.Accounts, acct)
		chunk.AccessTokens = append(chunk.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: benchEnv, ClientID: benchClientID,
			Realm: benchTenant, Target: benchScope, Secret: domain.Secret(benchCut(r, benchATSize)), TokenType: "Bearer",
			CachedAt: now, ExpiresOn: now.Add(benchATLifetime), ExtendedExpiresOn: now.Add(benchATLifetime)})
		chunk.RefreshTokens = append(chunk.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: benchEnv,
			ClientID: benchClientID, Secret: domain.Secret(benchCut(r, benchRTSize)), CachedAt: now})
		chunk.IDTokens = append(chunk.IDTokens, domain.IDToken{HomeAccountID: home, Environment: benchEnv, ClientID: benchClientID,
			Realm: benchTenant, Secret: domain.Secret(idt)})
		f.accounts = append(f.accounts, acct)
		if len(chunk.Accounts) == fixtureChunk {
			flush()
		}
	}
	if len(chunk.Accounts) > 0 {
		flush()
	}
	doc, err := msalcache.Encode(all)
	if err != nil {
		b.Fatal(err)
	}
	f.doc = doc
	return f
}

// loadOnce is an MSAL Go cache accessor that loads its document into MSAL Go's memory
// once and keeps what MSAL writes there: MSAL Go calls Replace before every operation,
// and an accessor that unmarshalled the document each time would measure JSON parsing,
// not MSAL Go's in-memory cache.
type loadOnce struct {
	mu     sync.Mutex
	doc    []byte
	loaded bool
}

func (l *loadOnce) Replace(_ context.Context, c cache.Unmarshaler, _ cache.ReplaceHints) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded {
		return nil
	}
	l.loaded = true
	return c.Unmarshal(l.doc)
}

func (l *loadOnce) Export(context.Context, cache.Marshaler, cache.ExportHints) error { return nil }

// noNetwork fails every request and counts them: a cache hit must send none. The one
// exception is the authority's discovery document, answered here and counted apart:
// hexauth serves a cached ID token only once it has checked the token's issuer against
// the authority's (a process fetches the document once and keeps it), while MSAL Go
// serves it unchecked.
type noNetwork struct{ calls, discovery atomic.Int64 }

func (n *noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Host == benchEnv && r.URL.Path == "/"+benchTenant+"/v2.0/.well-known/openid-configuration" {
		n.discovery.Add(1)
		base := "https://" + benchEnv + "/" + benchTenant
		body := `{"issuer":"` + base + `/v2.0","authorization_endpoint":"` + base + `/oauth2/v2.0/authorize",` +
			`"token_endpoint":"` + base + `/oauth2/v2.0/token","jwks_uri":"` + base + `/discovery/v2.0/keys",` +
			`"response_types_supported":["code"],"subject_types_supported":["pairwise"],"id_token_signing_alg_values_supported":["RS256"]}`
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
	n.calls.Add(1)
	return nil, errors.New("bench: a cache hit sent a request")
}

// newMSALGo is MSAL Go on the fixture's document, with no network.
func newMSALGo(b *testing.B, doc []byte, rt http.RoundTripper) public.Client {
	b.Helper()
	c, err := public.New(benchClientID, public.WithAuthority(benchAuthority), public.WithCache(&loadOnce{doc: doc}),
		public.WithHTTPClient(&http.Client{Transport: rt}), public.WithInstanceDiscovery(false))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// newHexauth is hexauth's public client on a memory store that imported the fixture's
// documents, with no network.
func newHexauth(b *testing.B, docs [][]byte, rt http.RoundTripper) *app.PublicClient {
	b.Helper()
	ctx := context.Background()
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: benchClientID, Authority: benchAuthority, Cache: "memory:", Transport: rt})
	if err != nil {
		b.Fatal(err)
	}
	for _, doc := range docs {
		if _, err := pc.ImportCache(ctx, bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
	return pc
}

// msalAccount is the MSAL Go account of a fixture account (MSAL Go's Account is a
// plain struct: a caller that kept one needs no listing).
func msalAccount(a domain.Account) public.Account {
	return public.Account{HomeAccountID: a.HomeAccountID, Environment: a.Environment, Realm: a.Realm,
		LocalAccountID: a.LocalAccountID, PreferredUsername: a.Username, AuthorityType: a.AuthorityType}
}

// hexAccount is hexauth's account of a fixture account.
func hexAccount(a domain.Account) app.Account { return a }
