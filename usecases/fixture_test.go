package usecases_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports/mocks"
	"github.com/hexauth/hexauth/usecases"
)

const (
	testClient = "client-1"
	testIssuer = "https://idp.example/"
	testHome   = "sub-alice"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// testClock is a settable ports.Clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture wires the use cases to gomock ports: any call not expected fails the test.
type fixture struct {
	ctrl      *gomock.Controller
	idp       *mocks.MockIdentityProvider
	store     *mocks.MockCacheStore
	clock     *testClock
	authority domain.Authority
	cfg       usecases.Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	a, err := domain.ParseAuthority(testIssuer, domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		ctrl: ctrl, idp: mocks.NewMockIdentityProvider(ctrl), store: mocks.NewMockCacheStore(ctrl),
		clock: &testClock{now: t0}, authority: a,
	}
	f.cfg = usecases.Config{ClientID: testClient, Authority: a, Partition: "p1"}
	return f
}

func (f *fixture) deps() usecases.Deps {
	return usecases.Deps{IdentityProvider: f.idp, Store: f.store, Clock: f.clock}
}

// expectMetadata lets the use case resolve the authority any number of times.
func (f *fixture) expectMetadata() {
	f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{
		Authority: f.authority, Issuer: f.authority.URL, TokenEndpoint: f.authority.URL + "/token",
		AuthorizationEndpoint: f.authority.URL + "/authorize",
	}, nil).AnyTimes()
}

// lockRunsCallback expects the refresh lock to be taken once and runs the callback.
func (f *fixture) lockRunsCallback() *gomock.Call {
	return f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		})
}

// idToken builds an unsigned-looking compact JWT with the given claims (signatures are
// the identity provider port's job, mocked here).
func idToken(t *testing.T, claims map[string]any) domain.Secret {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return domain.Secret(enc(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + enc(claims) + ".c2ln")
}

// claimsFor returns valid ID-token claims for subject at the fixture's time.
func (f *fixture) claimsFor(sub, nonce string) map[string]any {
	c := map[string]any{
		"iss": f.authority.URL, "sub": sub, "aud": testClient, "exp": f.clock.Now().Add(time.Hour).Unix(),
		"iat": f.clock.Now().Unix(), "preferred_username": sub + "@example.com",
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

func (f *fixture) account() domain.Account {
	return domain.Account{HomeAccountID: testHome, Environment: f.authority.Host, Username: "alice@example.com", AuthorityType: domain.AuthorityTypeGeneric}
}

func (f *fixture) accessToken(target string, expiresIn time.Duration) domain.AccessToken {
	now := f.clock.Now()
	return domain.AccessToken{
		HomeAccountID: testHome, Environment: f.authority.Host, ClientID: testClient, Target: target,
		Secret: "cached-at", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(expiresIn), ExtendedExpiresOn: now.Add(expiresIn),
	}
}

func (f *fixture) refreshToken(client, family, secret string) domain.RefreshToken {
	return domain.RefreshToken{HomeAccountID: testHome, Environment: f.authority.Host, ClientID: client, FamilyID: family, Secret: domain.Secret(secret), CachedAt: f.clock.Now()}
}

// tokenResponse is a successful response for subject.
func (f *fixture) tokenResponse(t *testing.T, sub string) domain.TokenResponse {
	return domain.TokenResponse{
		AccessToken: "new-at", TokenType: "Bearer", ExpiresIn: time.Hour, RefreshToken: "new-rt",
		IDToken: idToken(t, f.claimsFor(sub, "")), Scope: []string{"read"},
	}
}

// testContext bounds a test's port calls: a gomock failure inside a shared refresh
// ends that goroutine, and without a deadline its waiters would wait forever.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// refreshScene scripts a store holding one refresh token for the fixture's account,
// whose reads find the access token a write stored, and a provider that answers exactly
// one refresh, once release is closed. The caller scripts the refresh lock.
func (f *fixture) refreshScene(t *testing.T) (release chan struct{}) {
	t.Helper()
	var mu sync.Mutex
	var stored *domain.AccessToken
	rt := f.refreshToken(testClient, "", "rt-1")
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheQuery) (domain.CacheEntries, error) {
		mu.Lock()
		defer mu.Unlock()
		e := domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{f.account()}}
		if stored != nil {
			e.AccessTokens = []domain.AccessToken{*stored}
		}
		return e, nil
	}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		mu.Lock()
		defer mu.Unlock()
		stored = w.AccessToken
		return nil
	})
	f.expectMetadata()
	release = make(chan struct{})
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
		<-release
		return f.tokenResponse(t, testHome), nil
	}).Times(1)
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	return release
}

// storeKeepingWrites scripts a store whose reads find what its writes stored (the
// entries of every write so far, as a store would return them for the account) and that
// expects exactly writes writes.
func (f *fixture) storeKeepingWrites(writes int) {
	var mu sync.Mutex
	var kept domain.CacheEntries
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheQuery) (domain.CacheEntries, error) {
		mu.Lock()
		defer mu.Unlock()
		return kept, nil
	}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		mu.Lock()
		defer mu.Unlock()
		if w.AccessToken != nil {
			kept.AccessTokens = append(kept.AccessTokens, *w.AccessToken)
		}
		if w.RefreshToken != nil {
			kept.RefreshTokens = append(kept.RefreshTokens, *w.RefreshToken)
		}
		if w.IDToken != nil {
			kept.IDTokens = append(kept.IDTokens, *w.IDToken)
		}
		if w.Account != nil {
			kept.Accounts = append(kept.Accounts, *w.Account)
		}
		if w.AppMetadata != nil {
			kept.AppMetadata = append(kept.AppMetadata, *w.AppMetadata)
		}
		return nil
	}).Times(writes)
}
