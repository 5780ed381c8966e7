package usecases_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// A rotated refresh token is never lost (DESIGN §3 "Rotation never loses a credential"):
// a failed cache write is retried, and when it keeps failing the tokens come back with
// an ErrCacheStore error. These tests run the in-process fake provider, which rotates
// refresh tokens and revokes the redeemed one, over the memory store behind flakyStore.

const (
	rotUser     = "ada@example.com"
	rotPassword = "ada-pw"
	rotDaemon   = "daemon"
	rotSecret   = "daemon-secret"
	rotRedirect = "http://127.0.0.1:9/cb"
)

// errDiskFull is the failure flakyStore's writes report.
var errDiskFull = errors.New("disk full")

// flakyStore is a store whose Write fails while failures is not zero (a negative count
// fails every write), as a store does when its disk is full or its database fails over.
type flakyStore struct {
	ports.CacheStore
	mu       sync.Mutex
	failures int
	writes   int
	onFail   func() error // when set, called on each failed write, whose error it returns
	// findIgnoresCtx makes Find answer after ctx ended, so that only the engine's own
	// wait can stop the retries.
	findIgnoresCtx bool
}

func (s *flakyStore) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	if s.findIgnoresCtx {
		ctx = context.WithoutCancel(ctx)
	}
	return s.CacheStore.Find(ctx, q)
}

func (s *flakyStore) Write(ctx context.Context, w domain.CacheWrite) error {
	s.mu.Lock()
	s.writes++
	fail := s.failures != 0
	if s.failures > 0 {
		s.failures--
	}
	onFail := s.onFail
	s.mu.Unlock()
	if fail {
		if onFail != nil {
			return onFail()
		}
		return &domain.Error{Class: domain.ErrCacheStore, Op: "flaky: write", Err: errDiskFull}
	}
	return s.CacheStore.Write(ctx, w)
}

// failWrites makes the next n writes fail (negative: all of them) and resets the count
// of writes.
func (s *flakyStore) failWrites(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.writes = n, 0
}

func (s *flakyStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// rotationScene is the fake provider (rotating refresh tokens) and a flaky memory store.
type rotationScene struct {
	idp   *memory.IdentityProvider
	store *flakyStore
	clock *memory.Clock
	cfg   usecases.Config
}

func newRotationScene(t *testing.T, mod func(*memory.ProviderConfig)) *rotationScene {
	t.Helper()
	clock := memory.NewClock(t0)
	pc := memory.ProviderConfig{
		Clock: clock, RotateRefreshTokens: true,
		Users:   []memory.User{{Username: rotUser, Password: rotPassword}},
		Clients: []memory.Client{{ID: testClient}, {ID: rotDaemon, Secret: rotSecret}},
	}
	if mod != nil {
		mod(&pc)
	}
	idp, err := memory.NewIdentityProvider(pc)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	a, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	return &rotationScene{idp: idp, store: &flakyStore{CacheStore: inner}, clock: clock,
		cfg: usecases.Config{ClientID: testClient, Authority: a, Partition: "p1"}}
}

func (sc *rotationScene) deps() usecases.Deps {
	return usecases.Deps{IdentityProvider: sc.idp, Store: sc.store, Clock: sc.clock}
}

// flow builds a use case of the scene with newFlow.
func flow[T any](t *testing.T, sc *rotationScene, cfg usecases.Config, newFlow func(usecases.Config, usecases.Deps) (T, error)) T {
	t.Helper()
	f, err := newFlow(cfg, sc.deps())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// signIn signs ada in with her password while the store works.
func (sc *rotationScene) signIn(t *testing.T) domain.AuthResult {
	t.Helper()
	res, err := flow(t, sc, sc.cfg, usecases.NewUsernamePassword).Acquire(testContext(t),
		usecases.PasswordRequest{Username: rotUser, Password: rotPassword, Scopes: []string{"read"}})
	if err != nil || res.RefreshToken == "" {
		t.Fatalf("sign in: %v (refresh token %t)", err, res.RefreshToken != "")
	}
	return res
}

// code returns an authorization code for ada and the flow that asked for it.
func (sc *rotationScene) code(t *testing.T) (domain.AuthCodeFlow, domain.Secret) {
	t.Helper()
	ctx := testContext(t)
	fl, err := flow(t, sc, sc.cfg, usecases.NewAuthCode).Initiate(ctx, usecases.AuthCodeRequest{Scopes: []string{"read"}, RedirectURI: rotRedirect})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sc.idp.Authorize(ctx, fl.AuthURI, rotUser)
	if err != nil {
		t.Fatal(err)
	}
	return fl, domain.Secret(q.Get("code"))
}

// rotationFlow is one flow that redeems a grant, run after its set-up.
type rotationFlow struct {
	name    string
	appOnly bool
	// run sets the flow up while the store works, calls fail (which makes the store
	// fail from then on), then redeems.
	run func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error)
}

func rotationFlows() []rotationFlow {
	read := []string{"read"}
	return []rotationFlow{
		{name: "silent refresh", run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			acct := sc.signIn(t).Account
			fail()
			return flow(t, sc, sc.cfg, usecases.NewSilent).Acquire(testContext(t), usecases.SilentRequest{Scopes: read, Account: acct, ForceRefresh: true})
		}},
		{name: "password", run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			fail()
			return flow(t, sc, sc.cfg, usecases.NewUsernamePassword).Acquire(testContext(t), usecases.PasswordRequest{Username: rotUser, Password: rotPassword, Scopes: read})
		}},
		{name: "refresh token", run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			rt := sc.signIn(t).RefreshToken
			fail()
			return flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: rt, Scopes: read})
		}},
		{name: "auth code flow", run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			fl, code := sc.code(t)
			fail()
			return flow(t, sc, sc.cfg, usecases.NewAuthCode).Complete(testContext(t), fl, map[string][]string{"code": {string(code)}, "state": {fl.State}})
		}},
		{name: "legacy code", run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			fl, code := sc.code(t)
			fail()
			return flow(t, sc, sc.cfg, usecases.NewLegacyCode).Acquire(testContext(t), usecases.CodeRequest{
				Code: code, RedirectURI: rotRedirect, Scopes: read, CodeVerifier: fl.CodeVerifier, Nonce: fl.Nonce})
		}},
		{name: "client credentials", appOnly: true, run: func(t *testing.T, sc *rotationScene, fail func()) (domain.AuthResult, error) {
			cfg := sc.cfg
			cfg.ClientID, cfg.Credential = rotDaemon, domain.ClientCredential{Secret: rotSecret}
			fail()
			return flow(t, sc, cfg, usecases.NewClientCredentials).Acquire(testContext(t), usecases.ClientRequest{Scopes: []string{"api://x/.default"}})
		}},
	}
}

// A write that fails once is retried: the tokens are cached and no error is returned.
func TestRedeem_cacheWriteFailsOnce_retriedAndCached(t *testing.T) {
	for _, fl := range rotationFlows() {
		t.Run(fl.name, func(t *testing.T) {
			sc := newRotationScene(t, nil)
			res, err := fl.run(t, sc, func() { sc.store.failWrites(1) })
			if err != nil || res.AccessToken == "" {
				t.Fatalf("got %v (access token %t); want the tokens and no error after one failed write", err, res.AccessToken != "")
			}
			if got := sc.store.writeCount(); got != 2 {
				t.Fatalf("got %d writes; want 2 (one failed, one retried)", got)
			}
			if !fl.appOnly && !cachedAccessToken(t, sc, res) {
				t.Fatal("the retried write did not cache the access token")
			}
		})
	}
}

// A write that keeps failing returns every token with a detectable ErrCacheStore: the
// new refresh token too (silent included), which the provider now honours while the one
// redeemed before is revoked.
func TestRedeem_cacheWriteKeepsFailing_tokensReturnedWithErrCacheStore(t *testing.T) {
	for _, fl := range rotationFlows() {
		t.Run(fl.name, func(t *testing.T) {
			sc := newRotationScene(t, nil)
			res, err := fl.run(t, sc, func() { sc.store.failWrites(-1) })
			if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, errDiskFull) {
				t.Fatalf("got error %v; want ErrCacheStore wrapping the store's failure", err)
			}
			if got := sc.store.writeCount(); got != 3 {
				t.Fatalf("got %d writes; want 3 (bounded retries)", got)
			}
			if res.AccessToken == "" || res.ExpiresOn.IsZero() || len(res.Scopes) == 0 || res.TokenSource != domain.SourceIdentityProvider {
				t.Fatalf("got result %+v; want the access token, its expiry and scopes", res)
			}
			if fl.appOnly {
				return
			}
			if res.RefreshToken == "" || res.IDToken == "" || res.IDTokenClaims == nil || res.Account.HomeAccountID == "" {
				t.Fatalf("got refresh token %t, ID token %t, account %+v; want all of them", res.RefreshToken != "", res.IDToken != "", res.Account)
			}
			sc.store.failWrites(0)
			kept, err := flow(t, sc, sc.cfg, usecases.NewRefreshTokenRedeemer).Acquire(testContext(t),
				usecases.RefreshTokenRequest{RefreshToken: res.RefreshToken, Scopes: []string{"read"}})
			if err != nil || kept.Account.HomeAccountID != res.Account.HomeAccountID {
				t.Fatalf("redeeming the returned refresh token: %v; want the session kept", err)
			}
		})
	}
}

// A proactive refresh (refresh_on passed, the cached token still usable) whose tokens
// cannot be cached returns them with the error, not the cached token: the cached
// refresh token was just rotated away.
func TestSilent_Acquire_proactiveRefreshUncachedReturnsNewTokens(t *testing.T) {
	sc := newRotationScene(t, func(c *memory.ProviderConfig) { c.TokenLifetime, c.RefreshIn = 4*time.Hour, time.Hour })
	signed := sc.signIn(t)
	sc.clock.Advance(2 * time.Hour)
	sc.store.failWrites(-1)
	res, err := flow(t, sc, sc.cfg, usecases.NewSilent).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: signed.Account})
	if !errors.Is(err, domain.ErrCacheStore) || res.AccessToken == "" || res.AccessToken == signed.AccessToken || res.RefreshToken == "" {
		t.Fatalf("got %v (new access token %t, refresh token %t); want the new tokens with ErrCacheStore",
			err, res.AccessToken != "" && res.AccessToken != signed.AccessToken, res.RefreshToken != "")
	}
}

// The wait between attempts honours ctx: a caller that gives up stops the retries and
// still gets the tokens. The store here reports the bare context error, which is
// classified ErrCacheStore (still matching context.Canceled).
func TestRedeem_cacheWriteRetryStopsWhenCtxEnds(t *testing.T) {
	sc := newRotationScene(t, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	sc.store.failWrites(-1)
	sc.store.onFail = func() error { cancel(); return ctx.Err() }
	sc.store.findIgnoresCtx = true
	res, err := flow(t, sc, sc.cfg, usecases.NewUsernamePassword).Acquire(ctx,
		usecases.PasswordRequest{Username: rotUser, Password: rotPassword, Scopes: []string{"read"}})
	if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, context.Canceled) || res.RefreshToken == "" {
		t.Fatalf("got %v (refresh token %t); want the tokens with ErrCacheStore wrapping context.Canceled", err, res.RefreshToken != "")
	}
	if got := sc.store.writeCount(); got != 1 {
		t.Fatalf("got %d writes; want 1: the caller's context ended during the wait", got)
	}
}

// cachedAccessToken reports whether a silent call for res's account is served res's
// access token from the cache.
func cachedAccessToken(t *testing.T, sc *rotationScene, res domain.AuthResult) bool {
	t.Helper()
	got, err := flow(t, sc, sc.cfg, usecases.NewSilent).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: res.Account})
	return err == nil && got.TokenSource == domain.SourceCache && got.AccessToken == res.AccessToken
}
