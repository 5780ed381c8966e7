package usecases_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// hotStores are the stores whose ports.HitReader the silent flow uses; Postgres only
// when HEXAUTH_TEST_POSTGRES_DSN is set.
func hotStores(t *testing.T) map[string]func(t *testing.T) ports.CacheStore {
	stores := map[string]func(t *testing.T) ports.CacheStore{
		"memory": func(t *testing.T) ports.CacheStore {
			s, err := memory.NewStore(memory.StoreConfig{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"sqlite": func(t *testing.T) ports.CacheStore {
			s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "hot.db")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	if dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(t *testing.T) ports.CacheStore {
			schema := fmt.Sprintf("hot_path_%d", time.Now().UnixNano())
			s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = s.Close()
				if db, err := sql.Open("pgx", dsn); err == nil {
					_, _ = db.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
					_ = db.Close()
				}
			})
			return s
		}
	}
	return stores
}

const (
	hotTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	hotHome   = "0000aaaa-0000-4000-8000-00000000000a." + hotTenant
)

// TestSilent_Acquire_hotPathKeepsEveryIdentityRule runs silent calls against each store
// whose hit path (ports.HitReader) the flow takes, with one cached entry set per case,
// and no refresh token: a token the cache must not serve ends in ErrNoTokens, never in a
// hit. The provider fails if called.
func TestSilent_Acquire_hotPathKeepsEveryIdentityRule(t *testing.T) {
	entra, _ := domain.ParseAuthority("https://login.microsoftonline.com/"+hotTenant, domain.AuthorityAuto)
	oidc, _ := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityOIDC)
	type entry struct {
		home, env, client, realm, partition string
		secret                              domain.Secret
		cachedAt, expiresOn                 time.Time
	}
	ok := entry{home: hotHome, env: "login.microsoftonline.com", client: benchClientID, realm: hotTenant, partition: "p",
		secret: "at-secret", cachedAt: benchNow, expiresOn: benchNow.Add(time.Hour)}
	with := func(f func(e *entry)) entry { e := ok; f(&e); return e }
	cases := []struct {
		name      string
		authority domain.Authority
		acctHome  string
		cached    entry
		served    bool
	}{
		{"usable token is served", entra, hotHome, ok, true},
		{"alias host is served", entra, hotHome, with(func(e *entry) { e.env = "login.windows.net" }), true},
		{"Entra home id in capitals is the same account", entra, strings.ToUpper(hotHome), ok, true},
		{"expired within the buffer", entra, hotHome, with(func(e *entry) { e.expiresOn = benchNow.Add(4 * time.Minute) }), false},
		{"expired", entra, hotHome, with(func(e *entry) { e.expiresOn = benchNow.Add(-time.Minute) }), false},
		{"cached in the future", entra, hotHome, with(func(e *entry) { e.cachedAt = benchNow.Add(time.Hour); e.expiresOn = benchNow.Add(2 * time.Hour) }), false},
		{"lifetime beyond the cap", entra, hotHome, with(func(e *entry) { e.expiresOn = benchNow.Add(400 * 24 * time.Hour) }), false},
		{"empty secret", entra, hotHome, with(func(e *entry) { e.secret = "" }), false},
		{"other realm", entra, hotHome, with(func(e *entry) { e.realm = "0000bbbb-86f1-41af-91ab-2d7cd011db47" }), false},
		{"other client", entra, hotHome, with(func(e *entry) { e.client = "11111111-8ddb-461a-bbee-02f9e1bf7b46" }), false},
		{"other host", entra, hotHome, with(func(e *entry) { e.env = "login.example.com" }), false},
		{"other partition", entra, hotHome, with(func(e *entry) { e.partition = "q" }), false},
		{"OIDC subject in its own case", oidc, "Alice", with(func(e *entry) { e.home, e.env, e.realm = "Alice", "idp.example", "realms/a" }), true},
		{"OIDC subject in other case is another person", oidc, "alice", with(func(e *entry) { e.home, e.env, e.realm = "Alice", "idp.example", "realms/a" }), false},
		{"OIDC token of another issuer on the host", oidc, "Alice", with(func(e *entry) { e.home, e.env, e.realm = "Alice", "idp.example", "realms/b" }), false},
	}
	for name, open := range hotStores(t) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					store := open(t)
					if _, isHot := store.(ports.HitReader); !isHot {
						t.Fatalf("%T does not implement ports.HitReader; this test is about its hit path", store)
					}
					e := tc.cached
					idt := rawIDTokenFor(t, tc.authority, e.home)
					snap := domain.CacheSnapshot{
						AccessTokens: []domain.AccessToken{{HomeAccountID: e.home, Environment: e.env, ClientID: e.client, Realm: e.realm,
							Target: benchScope, Secret: e.secret, TokenType: "Bearer", CachedAt: e.cachedAt, ExpiresOn: e.expiresOn, ExtendedExpiresOn: e.expiresOn}},
						IDTokens: []domain.IDToken{{HomeAccountID: e.home, Environment: e.env, ClientID: e.client, Realm: e.realm, Secret: domain.Secret(idt)}},
						Accounts: []domain.Account{{HomeAccountID: e.home, Environment: e.env, Realm: e.realm, Username: "u@example.com", AuthorityType: domain.AuthorityTypeMSSTS}},
					}
					if err := store.Import(t.Context(), e.partition, snap); err != nil {
						t.Fatalf("Import = %v", err)
					}
					silent, err := usecases.NewSilent(usecases.Config{ClientID: benchClientID, Authority: tc.authority, Partition: "p"},
						usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}})
					if err != nil {
						t.Fatal(err)
					}
					res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope},
						Account: domain.Account{HomeAccountID: tc.acctHome, Environment: tc.authority.Host}})
					switch {
					case tc.served && (err != nil || res.AccessToken != "at-secret" || res.TokenSource != domain.SourceCache || res.IDTokenClaims == nil || res.IDTokenClaims.Subject != e.home):
						t.Errorf("Acquire = %q from %q, claims %+v, %v; want the cached token and its ID token's claims", res.AccessToken, res.TokenSource, res.IDTokenClaims, err)
					case !tc.served && (!errors.Is(err, domain.ErrNoTokens) || res.AccessToken != ""):
						t.Errorf("Acquire = %q, %v; want no token and ErrNoTokens (the cached token must not be served)", res.AccessToken, err)
					}
				})
			}
		})
	}
}

// rawIDTokenFor returns a compact JWS whose subject is sub, issued by authority's issuer
// (as noProvider's discovery names it) to benchClientID, in tenant hotTenant.
func rawIDTokenFor(t *testing.T, authority domain.Authority, sub string) string {
	iss := strings.ReplaceAll(fakeIssuer(authority), "{tenantid}", hotTenant)
	return string(idToken(t, map[string]any{"iss": iss, "sub": sub, "tid": hotTenant, "aud": benchClientID, "iat": benchNow.Unix(), "exp": benchNow.Add(time.Hour).Unix()}))
}

// TestSealedStore_FindHit_opensSecrets checks that a sealed store's hit path opens the
// secrets it reads: a sealed secret is never served as an access or ID token.
func TestSealedStore_FindHit_opensSecrets(t *testing.T) {
	for name, open := range hotStores(t) {
		t.Run(name, func(t *testing.T) {
			store := usecases.SealedStore(open(t), xorSealer{}, nil)
			a, _ := domain.ParseAuthority("https://login.microsoftonline.com/"+hotTenant, domain.AuthorityAuto)
			silent, err := usecases.NewSilent(usecases.Config{ClientID: benchClientID, Authority: a, Partition: "p"},
				usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}})
			if err != nil {
				t.Fatal(err)
			}
			idt := rawIDTokenFor(t, a, hotHome)
			at := domain.AccessToken{HomeAccountID: hotHome, Environment: a.Host, ClientID: benchClientID, Realm: hotTenant, Target: benchScope,
				Secret: "at-secret", TokenType: "Bearer", CachedAt: benchNow, ExpiresOn: benchNow.Add(time.Hour), ExtendedExpiresOn: benchNow.Add(time.Hour)}
			id := domain.IDToken{HomeAccountID: hotHome, Environment: a.Host, ClientID: benchClientID, Realm: hotTenant, Secret: domain.Secret(idt)}
			acct := domain.Account{HomeAccountID: hotHome, Environment: a.Host, Realm: hotTenant, AuthorityType: domain.AuthorityTypeMSSTS}
			if err := store.Write(t.Context(), domain.CacheWrite{Partition: "p", AccessToken: &at, IDToken: &id, Account: &acct}); err != nil {
				t.Fatal(err)
			}
			if _, isHot := store.(ports.HitReader); !isHot {
				t.Fatal("the sealed store hides the wrapped store's ports.HitReader")
			}
			res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: acct})
			if err != nil || res.AccessToken != "at-secret" || string(res.IDToken) != idt || res.IDTokenClaims == nil {
				t.Errorf("Acquire through a sealed store = %q, ID token %d bytes (claims %v), %v; want the opened secrets", res.AccessToken, len(res.IDToken), res.IDTokenClaims != nil, err)
			}
		})
	}
}

// xorSealer is a toy ports.Sealer: enough to tell a sealed secret from an opened one.
type xorSealer struct{}

func (xorSealer) Seal(p, _ []byte) ([]byte, error) { return xor(p), nil }
func (xorSealer) Open(s, _ []byte) ([]byte, error) { return xor(s), nil }

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

// TestSilent_Acquire_memoryHitServesTheReplacedIDTokensClaims checks, on the memory
// store (whose secrets the claims cache finds by address, ports.StableSecrets), that a
// hit after the account's ID token was replaced by another of the same length serves
// the new token's claims, on every hit: the address of the old one names it no more.
func TestSilent_Acquire_memoryHitServesTheReplacedIDTokensClaims(t *testing.T) {
	entra, _ := domain.ParseAuthority("https://login.microsoftonline.com/"+hotTenant, domain.AuthorityAuto)
	store, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	iss := strings.ReplaceAll(fakeIssuer(entra), "{tenantid}", hotTenant)
	put := func(name string) {
		idt := idToken(t, map[string]any{"iss": iss, "sub": hotHome, "tid": hotTenant, "aud": benchClientID, "name": name,
			"iat": benchNow.Unix(), "exp": benchNow.Add(time.Hour).Unix()})
		snap := domain.CacheSnapshot{
			AccessTokens: []domain.AccessToken{{HomeAccountID: hotHome, Environment: entra.Host, ClientID: benchClientID, Realm: hotTenant,
				Target: benchScope, Secret: "at-secret", TokenType: "Bearer", CachedAt: benchNow, ExpiresOn: benchNow.Add(time.Hour), ExtendedExpiresOn: benchNow.Add(time.Hour)}},
			IDTokens: []domain.IDToken{{HomeAccountID: hotHome, Environment: entra.Host, ClientID: benchClientID, Realm: hotTenant, Secret: idt}},
			Accounts: []domain.Account{{HomeAccountID: hotHome, Environment: entra.Host, Realm: hotTenant, Username: "u@example.com", AuthorityType: domain.AuthorityTypeMSSTS}},
		}
		if err := store.Import(t.Context(), "p", snap); err != nil {
			t.Fatalf("Import = %v", err)
		}
	}
	silent, err := usecases.NewSilent(usecases.Config{ClientID: benchClientID, Authority: entra, Partition: "p"},
		usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "secnd", "first"} {
		put(name)
		for range 3 { // the first hit parses or finds by text, the others by address
			res, err := silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: domain.Account{HomeAccountID: hotHome}})
			if err != nil || res.IDTokenClaims == nil || res.IDTokenClaims.Name != name {
				t.Fatalf("after the ID token named %q was stored: Acquire's claims %+v, %v; want that token's", name, res.IDTokenClaims, err)
			}
		}
	}
}
