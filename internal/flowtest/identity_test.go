package flowtest_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"encoding/base64"
	"encoding/json"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/flowtest"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// The tests of this file check the token identity of DESIGN §3 end to end, through the
// use cases, the in-process fake provider (with refresh-token rotation and reuse
// detection, as real providers have) and each store: every storage opens one handle
// per engine, as separate processes would.

// identityStorages are the storages the identity tests run on.
var identityStorages = []struct {
	name    string
	storage func(t *testing.T) func(t *testing.T) ports.CacheStore
}{
	{"Memory", func(t *testing.T) func(t *testing.T) ports.CacheStore {
		s := memoryStore(t) // one process: every engine shares the store
		return func(*testing.T) ports.CacheStore { return s }
	}},
	{"SQLite", sqliteStorage},
	{"Postgres", func(t *testing.T) func(t *testing.T) ports.CacheStore { return postgresStorage(t, postgresDSN(t)) }},
}

const identityClient = "identity-client"

var identityScopes = []string{"api://orders/read"}

// identityProvider is the in-process fake with the given users, rotating refresh tokens
// with reuse detection; clientInfo makes it Entra-like (home account ids uid.utid).
func identityProvider(t *testing.T, clock *memory.Clock, clientInfo bool, users ...memory.User) *memory.IdentityProvider {
	t.Helper()
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, Users: users, Scopes: identityScopes, ClientInfo: clientInfo,
		RotateRefreshTokens: true, DetectRefreshTokenReuse: true,
		Clients: []memory.Client{{ID: identityClient, RedirectURIs: []string{"http://127.0.0.1/callback"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return idp
}

// flowsAt returns a new engine's flows for identityClient at authority.
func flowsAt(t *testing.T, authority string, deps usecases.Deps) conformance.Flows {
	t.Helper()
	a, err := domain.ParseAuthority(authority, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	f, err := flowtest.New(usecases.Config{ClientID: identityClient, Authority: a, Partition: "p"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tokenRequests records the refresh tokens each authority was sent.
type tokenRequests struct {
	ports.IdentityProvider
	mu   sync.Mutex
	sent map[string][]domain.Secret // canonical authority URL → refresh tokens
}

func (r *tokenRequests) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if req.Grant == domain.GrantRefreshToken {
		r.mu.Lock()
		r.sent[req.Authority.CanonicalURL()] = append(r.sent[req.Authority.CanonicalURL()], req.RefreshToken)
		r.mu.Unlock()
	}
	return r.IdentityProvider.Token(ctx, req)
}

// TestIdentity_twoIssuersOnOneHostAreTwoWorlds: two OIDC issuers on one host (Keycloak
// realms a and b) whose users share a subject. Each issuer's client lists, serves,
// refreshes and removes only its own issuer's account, and a refresh token is only ever
// sent to the issuer that issued it.
func TestIdentity_twoIssuersOnOneHostAreTwoWorlds(t *testing.T) {
	for _, st := range identityStorages {
		t.Run(st.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			clock := memory.NewClock(flowtest.Start)
			// The fake answers for any authority; one user, so both issuers give her one sub.
			idp := &tokenRequests{IdentityProvider: identityProvider(t, clock, false,
				memory.User{Username: "alice@example.com", Password: "pw", Subject: "sub-1"}), sent: map[string][]domain.Secret{}}
			open := st.storage(t)
			const issuerA, issuerB = "https://idp.example/realms/a", "https://idp.example/realms/b"
			a := flowsAt(t, issuerA, usecases.Deps{IdentityProvider: idp, Store: open(t), Clock: clock})
			b := flowsAt(t, issuerB, usecases.Deps{IdentityProvider: idp, Store: open(t), Clock: clock})

			resA, err := a.Password(ctx, "alice@example.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			if accts, err := b.Accounts(ctx, ""); err != nil || len(accts) != 0 {
				t.Fatalf("issuer b's Accounts after a sign-in at issuer a = %v, %v; want none", accts, err)
			}
			if res, err := b.Silent(ctx, identityScopes, resA.Account, false); !errors.Is(err, domain.ErrNoTokens) {
				t.Fatalf("issuer b's Silent with issuer a's account = %q from %q, %v; want ErrNoTokens (never a's token)", res.AccessToken, res.TokenSource, err)
			}
			// An issuer at the host's root (realm "") is a third world: handed a's account
			// (whose realm is realms/a), it must not serve a's token either.
			root := flowsAt(t, "https://idp.example", usecases.Deps{IdentityProvider: idp, Store: open(t), Clock: clock})
			if res, err := root.Silent(ctx, identityScopes, resA.Account, false); !errors.Is(err, domain.ErrNoTokens) {
				t.Fatalf("the root issuer's Silent with issuer a's account = %q from %q, %v; want ErrNoTokens", res.AccessToken, res.TokenSource, err)
			}
			resB, err := b.Password(ctx, "alice@example.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			if resA.Account.HomeAccountID != resB.Account.HomeAccountID {
				t.Fatalf("home account ids %q and %q; the test needs one subject at both issuers", resA.Account.HomeAccountID, resB.Account.HomeAccountID)
			}
			for name, c := range map[string]struct {
				f    conformance.Flows
				want domain.AuthResult
			}{"a": {a, resA}, "b": {b, resB}} {
				accts, err := c.f.Accounts(ctx, "")
				if err != nil || len(accts) != 1 || accts[0].Realm != c.want.Account.Realm {
					t.Fatalf("issuer %s's Accounts = %+v, %v; want its own account only", name, accts, err)
				}
				res, err := c.f.Silent(ctx, identityScopes, accts[0], false)
				if err != nil || res.AccessToken != c.want.AccessToken {
					t.Fatalf("issuer %s's Silent = %v; want its own cached token", name, err)
				}
			}

			clock.Advance(2 * time.Hour)
			for name, f := range map[string]conformance.Flows{"a": a, "b": b} {
				if _, err := f.Silent(ctx, identityScopes, resA.Account, false); err != nil {
					t.Fatalf("issuer %s's Silent after expiry = %v; want a refresh with its own refresh token", name, err)
				}
			}
			idp.mu.Lock()
			sentA, sentB := idp.sent[issuerA], idp.sent[issuerB]
			idp.mu.Unlock()
			if len(sentA) != 1 || len(sentB) != 1 || sentA[0] != resA.RefreshToken || sentB[0] != resB.RefreshToken {
				t.Fatalf("refresh tokens sent: %d to a, %d to b; want each issuer sent exactly its own", len(sentA), len(sentB))
			}

			if err := b.RemoveAccount(ctx, resB.Account); err != nil {
				t.Fatal(err)
			}
			if accts, err := a.Accounts(ctx, ""); err != nil || len(accts) != 1 {
				t.Fatalf("issuer a's Accounts after issuer b removed its account = %v, %v; want a's account kept", accts, err)
			}
			if _, err := a.Silent(ctx, identityScopes, resA.Account, true); err != nil {
				t.Fatalf("issuer a's forced refresh after b's removal = %v; want its refresh token kept", err)
			}
		})
	}
}

// TestIdentity_caseDistinctSubjectsAreTwoPeople: OIDC subjects Alice and alice of one
// issuer each get their own tokens, and removing one keeps the other.
func TestIdentity_caseDistinctSubjectsAreTwoPeople(t *testing.T) {
	for _, st := range identityStorages {
		t.Run(st.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			clock := memory.NewClock(flowtest.Start)
			idp := identityProvider(t, clock, false,
				memory.User{Username: "upper@example.com", Password: "pw", Subject: "Alice"},
				memory.User{Username: "lower@example.com", Password: "pw", Subject: "alice"})
			f := flowsAt(t, "https://idp.example/realms/a", usecases.Deps{IdentityProvider: idp, Store: st.storage(t)(t), Clock: clock})
			upper, err := f.Password(ctx, "upper@example.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			lower, err := f.Password(ctx, "lower@example.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			if accts, err := f.Accounts(ctx, ""); err != nil || len(accts) != 2 {
				t.Fatalf("Accounts = %+v, %v; want two (Alice and alice)", accts, err)
			}
			for _, want := range []domain.AuthResult{upper, lower} {
				res, err := f.Silent(ctx, identityScopes, want.Account, false)
				if err != nil || res.AccessToken != want.AccessToken || res.Account.HomeAccountID != want.Account.HomeAccountID {
					t.Fatalf("Silent for %q = %v; want that subject's own cached token", want.Account.HomeAccountID, err)
				}
			}
			if err := f.RemoveAccount(ctx, lower.Account); err != nil {
				t.Fatal(err)
			}
			res, err := f.Silent(ctx, identityScopes, upper.Account, false)
			if err != nil || res.AccessToken != upper.AccessToken {
				t.Fatalf("Silent for Alice after removing alice = %v; want Alice's token", err)
			}
		})
	}
}

// gatedProvider holds the first refresh grant until release is closed; every later one
// passes at once. entered is closed when the first is held.
type gatedProvider struct {
	ports.IdentityProvider
	refreshes        atomic.Int32
	entered, release chan struct{}
}

func (g *gatedProvider) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if req.Grant == domain.GrantRefreshToken && g.refreshes.Add(1) == 1 {
		close(g.entered)
		select {
		case <-g.release:
		case <-ctx.Done():
			return domain.TokenResponse{}, ctx.Err()
		}
	}
	return g.IdentityProvider.Token(ctx, req)
}

// lockAsks counts the refresh locks asked for through a store handle.
type lockAsks struct {
	ports.CacheStore
	asked chan domain.RefreshLockKey
}

func (s lockAsks) WithRefreshLock(ctx context.Context, k domain.RefreshLockKey, fn func(context.Context) error) error {
	s.asked <- k
	return s.CacheStore.WithRefreshLock(ctx, k, fn)
}

// TestIdentity_twoAuthoritiesReachingOneRefreshTokenSendItOnce: a silent call through
// Entra's organizations and one through the tenant's own URL, in two engines (two
// processes on SQLite and Postgres), need the same refresh token. The provider detects
// refresh-token reuse, as real ones do, so sending it twice would cost the session.
// The first refresh is held at the provider until the second engine has asked for its
// refresh lock: with one lock for the refresh token it waits and then finds the new
// token in the cache; with a lock per authority it would send the token a second time.
func TestIdentity_twoAuthoritiesReachingOneRefreshTokenSendItOnce(t *testing.T) {
	for _, st := range identityStorages {
		t.Run(st.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			clock := memory.NewClock(flowtest.Start)
			fake := identityProvider(t, clock, true, memory.User{Username: "alice@contoso.com", Password: "pw"})
			gate := &gatedProvider{IdentityProvider: fake, entered: make(chan struct{}), release: make(chan struct{})}
			open := st.storage(t)
			asked := make(chan domain.RefreshLockKey, 16)
			orgs := flowsAt(t, "https://login.microsoftonline.com/organizations", usecases.Deps{IdentityProvider: gate, Store: open(t), Clock: clock})
			tenant := flowsAt(t, "https://login.microsoftonline.com/"+memoryTenantID, usecases.Deps{IdentityProvider: gate, Store: lockAsks{open(t), asked}, Clock: clock})

			first, err := orgs.Password(ctx, "alice@contoso.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Hour)
			errs := make(chan error, 2)
			go func() { _, err := orgs.Silent(ctx, identityScopes, first.Account, false); errs <- err }()
			select {
			case <-gate.entered:
			case <-ctx.Done():
				t.Fatal("the first silent refresh never reached the provider")
			}
			go func() { _, err := tenant.Silent(ctx, identityScopes, first.Account, false); errs <- err }()
			select {
			case <-asked: // the tenant engine wants the lock: let the first refresh finish
			case <-ctx.Done():
				t.Fatal("the tenant engine never asked for a refresh lock")
			}
			close(gate.release)
			for range 2 {
				if err := <-errs; err != nil {
					t.Errorf("Silent = %v; want a token (a second redemption would revoke the session)", err)
				}
			}
			if n := fake.Calls(domain.GrantRefreshToken); n != 1 {
				t.Errorf("refresh grants = %d; want 1: organizations and the tenant URL reach one refresh token", n)
			}
			if n := fake.RefreshTokenReuses(); n != 0 {
				t.Errorf("refresh-token reuses detected by the provider = %d; want 0", n)
			}
		})
	}
}

// memoryTenantID is the tenant of the in-process fake's users.
const memoryTenantID = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"

// TestIdentity_removalSticks: RemoveAccount called while a silent refresh of the
// account is at the provider returns only after that refresh wrote its tokens, and
// removes them: nothing that started before RemoveAccount returned re-creates the
// account afterwards. On SQLite and Postgres the removal runs in another engine with its
// own store handle, as another process would.
func TestIdentity_removalSticks(t *testing.T) {
	for _, st := range identityStorages {
		t.Run(st.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			clock := memory.NewClock(flowtest.Start)
			fake := identityProvider(t, clock, false, memory.User{Username: "alice@example.com", Password: "pw", Subject: "sub-1"})
			gate := &gatedProvider{IdentityProvider: fake, entered: make(chan struct{}), release: make(chan struct{})}
			open := st.storage(t)
			const issuer = "https://idp.example/realms/a"
			refresher := flowsAt(t, issuer, usecases.Deps{IdentityProvider: gate, Store: open(t), Clock: clock})
			asked := make(chan domain.RefreshLockKey, 16)
			removerStore := lockAsks{open(t), asked}
			remover := flowsAt(t, issuer, usecases.Deps{IdentityProvider: gate, Store: removerStore, Clock: clock})

			first, err := refresher.Password(ctx, "alice@example.com", "pw", identityScopes)
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Hour)
			refreshed := make(chan error, 1)
			go func() { _, err := refresher.Silent(ctx, identityScopes, first.Account, false); refreshed <- err }()
			select {
			case <-gate.entered:
			case <-ctx.Done():
				t.Fatal("the silent refresh never reached the provider")
			}
			removed := make(chan error, 1)
			go func() { removed <- remover.RemoveAccount(ctx, first.Account) }()
			select {
			case <-asked:
			case err := <-removed:
				// Without the refresh lock RemoveAccount returns here, before the refresh
				// writes; the check below then finds the account re-created.
				removed <- err
			case <-ctx.Done():
				t.Fatal("RemoveAccount neither asked for a refresh lock nor returned")
			}
			close(gate.release)
			if err := <-refreshed; err != nil {
				t.Logf("the refresh in flight ended with %v", err)
			}
			if err := <-removed; err != nil {
				t.Fatalf("RemoveAccount = %v; want nil", err)
			}
			got, err := removerStore.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: first.Account.HomeAccountID})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(got.AccessTokens) + len(got.RefreshTokens) + len(got.IDTokens) + len(got.Accounts); n != 0 {
				t.Fatalf("after RemoveAccount returned, the store holds %d entries of the account; want none (a refresh in flight wrote it back)", n)
			}
			if accts, err := refresher.Accounts(ctx, ""); err != nil || len(accts) != 0 {
				t.Fatalf("Accounts after removal = %v, %v; want none", accts, err)
			}
		})
	}
}

// TestIdentity_hostileCachedAccessTokensAreNotServed: a cached access token edited in
// the store (an empty secret, expires_on in year 9999, a cached_at in the future) is a
// miss: the engine refreshes instead of serving it.
func TestIdentity_hostileCachedAccessTokensAreNotServed(t *testing.T) {
	edits := map[string]func(at *domain.AccessToken){
		"EmptySecret":       func(at *domain.AccessToken) { at.Secret = "" },
		"ExpiresInYear9999": func(at *domain.AccessToken) { at.ExpiresOn = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) },
		"CachedInTheFuture": func(at *domain.AccessToken) { at.CachedAt = at.CachedAt.Add(24 * time.Hour) },
	}
	for _, st := range identityStorages {
		for name, edit := range edits {
			t.Run(st.name+"/"+name, func(t *testing.T) {
				ctx, sc := signedIn(t, st.storage)
				at := sc.found.AccessTokens[0]
				edit(&at)
				if err := sc.store.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at}); err != nil {
					t.Fatal(err)
				}
				res, err := sc.flows.Silent(ctx, identityScopes, sc.first.Account, false)
				if err != nil || res.TokenSource != domain.SourceIdentityProvider || res.AccessToken == "" {
					t.Fatalf("Silent over an edited cached token = %q from %q, %v; want a new token from the provider", res.AccessToken, res.TokenSource, err)
				}
			})
		}
	}
}

// TestIdentity_emptyRefreshTokenIsNoRefreshToken: a cached refresh token whose secret
// is empty is no refresh token: ErrNoTokens, and nothing is sent to the provider.
func TestIdentity_emptyRefreshTokenIsNoRefreshToken(t *testing.T) {
	for _, st := range identityStorages {
		t.Run(st.name, func(t *testing.T) {
			ctx, sc := signedIn(t, st.storage)
			rt := sc.found.RefreshTokens[0]
			rt.Secret = ""
			rt.CachedAt = rt.CachedAt.Add(time.Second) // newer, so the store takes it
			if err := sc.store.Write(ctx, domain.CacheWrite{Partition: "p", RefreshToken: &rt}); err != nil {
				t.Fatal(err)
			}
			sc.clock.Advance(2 * time.Hour)
			if _, err := sc.flows.Silent(ctx, identityScopes, sc.first.Account, false); !errors.Is(err, domain.ErrNoTokens) {
				t.Fatalf("Silent with an empty cached refresh token = %v; want ErrNoTokens", err)
			}
			if n := sc.fake.Calls(domain.GrantRefreshToken); n != 0 {
				t.Fatalf("refresh grants = %d; want 0 (an empty refresh token is never sent)", n)
			}
		})
	}
}

// TestIdentity_concurrentRefreshesForTwoTenantsAreNotMerged: two concurrent silent calls
// of one engine for one account and one refresh token, one in the home tenant and one in
// a guest tenant, must not share one result: each gets a token of its own tenant. The
// home tenant's refresh is held at the provider until the guest call asks for the
// refresh lock (it shares the refresh token, so it waits there) or, if the guest call
// joined the home call's flight instead, for a while; then the guest call's result must
// still be the guest tenant's.
func TestIdentity_concurrentRefreshesForTwoTenantsAreNotMerged(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	clock := memory.NewClock(flowtest.Start)
	fake := identityProvider(t, clock, true, memory.User{Username: "alice@contoso.com", Password: "pw"})
	gate := &gatedProvider{IdentityProvider: fake, entered: make(chan struct{}), release: make(chan struct{})}
	asked := make(chan domain.RefreshLockKey, 16)
	store := lockAsks{memoryStore(t), asked}
	home, err := domain.ParseAuthority("https://login.microsoftonline.com/"+memoryTenantID, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	const guestTenant = "3c1b2a90-1111-4222-8333-944455556666"
	guest, err := domain.ParseAuthority("https://login.microsoftonline.com/"+guestTenant, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	deps := usecases.Deps{IdentityProvider: gate, Store: store, Clock: clock}
	cfg := usecases.Config{ClientID: identityClient, Authority: home, Partition: "p"}
	f, err := flowtest.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := usecases.NewSilent(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.Password(ctx, "alice@contoso.com", "pw", identityScopes)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	type result struct {
		res domain.AuthResult
		err error
	}
	homeDone, guestDone := make(chan result, 1), make(chan result, 1)
	go func() {
		res, err := silent.Acquire(ctx, usecases.SilentRequest{Scopes: identityScopes, Account: first.Account})
		homeDone <- result{res, err}
	}()
	select {
	case <-gate.entered:
	case <-ctx.Done():
		t.Fatal("the home tenant's refresh never reached the provider")
	}
	for len(asked) > 0 { // the home call's lock
		<-asked
	}
	go func() {
		res, err := silent.Acquire(ctx, usecases.SilentRequest{Scopes: identityScopes, Account: first.Account, Authority: &guest})
		guestDone <- result{res, err}
	}()
	select {
	case <-asked:
	case <-time.After(2 * time.Second): // joined the home call's flight (the bug), or slow: the checks below decide
	}
	close(gate.release)
	h, g := <-homeDone, <-guestDone
	if h.err != nil || g.err != nil {
		t.Fatalf("Silent home = %v, guest = %v; want tokens", h.err, g.err)
	}
	if h.res.IDTokenClaims == nil || g.res.IDTokenClaims == nil {
		t.Fatal("a refreshed result carries no ID-token claims")
	}
	if tid := g.res.IDTokenClaims.TenantID; tid != guestTenant {
		t.Fatalf("the guest tenant's silent call got a token of tenant %q; want %q (a concurrent refresh for another realm must not be shared)", tid, guestTenant)
	}
	if tid := h.res.IDTokenClaims.TenantID; tid != memoryTenantID {
		t.Fatalf("the home tenant's silent call got a token of tenant %q; want %q", tid, memoryTenantID)
	}
}

// TestIdentity_hostileCachedAppTokenIsNotServed: the client-credentials cache serves an
// app token only as the silent flow serves a user's: an edited row (here an empty
// secret) is a miss, and a new token is asked for.
func TestIdentity_hostileCachedAppTokenIsNotServed(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	clock := memory.NewClock(flowtest.Start)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, Scopes: identityScopes,
		Clients: []memory.Client{{ID: "daemon", Secret: "daemon-secret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	store := memoryStore(t)
	f, err := flowtest.New(usecases.Config{ClientID: "daemon", Authority: a, Partition: "p",
		Credential: domain.ClientCredential{Secret: "daemon-secret"}}, usecases.Deps{IdentityProvider: idp, Store: store, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ClientCredentials(ctx, identityScopes, ""); err != nil {
		t.Fatal(err)
	}
	found, err := store.Find(ctx, domain.CacheQuery{Partition: "p", ClientID: "daemon"})
	if err != nil || len(found.AccessTokens) != 1 {
		t.Fatalf("Find(app tokens) = %d, %v; want the one cached", len(found.AccessTokens), err)
	}
	at := found.AccessTokens[0]
	at.Secret = ""
	if err := store.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at}); err != nil {
		t.Fatal(err)
	}
	res, err := f.ClientCredentials(ctx, identityScopes, "")
	if err != nil || res.AccessToken == "" || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("ClientCredentials over an edited cached app token = %q from %q, %v; want a new token", res.AccessToken, res.TokenSource, err)
	}
	if n := idp.Calls(domain.GrantClientCredentials); n != 2 {
		t.Fatalf("client-credentials grants = %d; want 2", n)
	}
}

// signedInScene is alice signed in by password at issuer realms/a, with what she cached.
type signedInScene struct {
	clock *memory.Clock
	fake  *memory.IdentityProvider
	store ports.CacheStore
	flows conformance.Flows
	first domain.AuthResult
	found domain.CacheEntries // one entry of each kind
}

// signedIn signs alice in on a fresh store of storage and returns the scene, with a
// context that ends with the test or after 30 s.
func signedIn(t *testing.T, storage func(t *testing.T) func(t *testing.T) ports.CacheStore) (context.Context, signedInScene) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	sc := signedInScene{clock: memory.NewClock(flowtest.Start)}
	sc.fake = identityProvider(t, sc.clock, false, memory.User{Username: "alice@example.com", Password: "pw"})
	sc.store = storage(t)(t)
	sc.flows = flowsAt(t, "https://idp.example/realms/a", usecases.Deps{IdentityProvider: sc.fake, Store: sc.store, Clock: sc.clock})
	var err error
	if sc.first, err = sc.flows.Password(ctx, "alice@example.com", "pw", identityScopes); err != nil {
		t.Fatal(err)
	}
	sc.found, err = sc.store.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: sc.first.Account.HomeAccountID})
	if err != nil || len(sc.found.AccessTokens) != 1 || len(sc.found.RefreshTokens) != 1 {
		t.Fatalf("Find after sign-in = %d access and %d refresh tokens, %v; want one each", len(sc.found.AccessTokens), len(sc.found.RefreshTokens), err)
	}
	return ctx, sc
}

// TestIdentity_adfsEntriesWithAnEmptyRealmAreServed: MSAL .NET writes ADFS entries with
// an empty realm where hexauth writes "adfs" (DESIGN §3 reads both as one): such a cached
// access token is served, and its ID token and account go with it.
func TestIdentity_adfsEntriesWithAnEmptyRealmAreServed(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	clock := memory.NewClock(flowtest.Start)
	fake := identityProvider(t, clock, false, memory.User{Username: "alice@contoso.com", Password: "pw"})
	store := memoryStore(t)
	f := flowsAt(t, "https://fs.contoso.com/adfs", usecases.Deps{IdentityProvider: fake, Store: store, Clock: clock})
	first, err := f.Password(ctx, "alice@contoso.com", "pw", identityScopes)
	if err != nil {
		t.Fatal(err)
	}
	found, err := store.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: first.Account.HomeAccountID})
	if err != nil || len(found.AccessTokens) != 1 || len(found.IDTokens) != 1 || len(found.Accounts) != 1 {
		t.Fatalf("Find = %+v, %v; want one access token, ID token and account", found, err)
	}
	// Rewrite every entry as MSAL .NET has it: realm "".
	at, idt, acct := found.AccessTokens[0], found.IDTokens[0], found.Accounts[0]
	if at.Realm != "adfs" {
		t.Fatalf("hexauth cached the ADFS access token under realm %q; want adfs", at.Realm)
	}
	old := at.KeyFields()
	at.Realm, idt.Realm, acct.Realm = "", "", ""
	if err := store.RemoveAccount(ctx, domain.AccountRemoval{Partition: "p", HomeAccountID: first.Account.HomeAccountID, ClientID: identityClient}); err != nil {
		t.Fatal(err)
	}
	if err := store.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at, IDToken: &idt, Account: &acct, RefreshToken: &found.RefreshTokens[0], DeleteAccessTokens: [][6]string{old}}); err != nil {
		t.Fatal(err)
	}
	accts, err := f.Accounts(ctx, "")
	if err != nil || len(accts) != 1 {
		t.Fatalf("Accounts = %v, %v; want the account written with an empty realm", accts, err)
	}
	res, err := f.Silent(ctx, identityScopes, accts[0], false)
	if err != nil || res.TokenSource != domain.SourceCache || res.AccessToken != first.AccessToken || res.IDToken == "" {
		t.Fatalf("Silent = %q from %q, %v; want the cached token with its ID token (an empty ADFS realm is adfs)", res.AccessToken, res.TokenSource, err)
	}
}

func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// signInWithoutScopes signs alice in without scopes and returns the env, her result and her
// cached ID token row.
func signInWithoutScopes(t *testing.T) (conformance.FlowEnv, domain.AuthResult, domain.IDToken) {
	t.Helper()
	setup := conformance.FlowSetup{
		ClientID: "signin-client", RedirectURI: "http://127.0.0.1/callback",
		Users:  []conformance.FlowUser{{Username: "alice@example.com", Password: "alice-pw"}, {Username: "bob@example.com", Password: "bob-pw"}},
		Scopes: []string{"api://orders/read"},
	}
	env := flowtest.Harness(flowtest.MemoryProvider, memoryStore).New(t, setup)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	res, err := env.Flows("p").Password(ctx, "alice@example.com", "alice-pw", nil)
	if err != nil || res.IDTokenClaims == nil {
		t.Fatalf("Password without scopes = %v", err)
	}
	found, err := env.Store.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: res.Account.HomeAccountID,
		Environments: []string{res.Account.Environment}, ClientID: setup.ClientID})
	if err != nil || len(found.IDTokens) != 1 {
		t.Fatalf("Find = %d ID tokens, %v", len(found.IDTokens), err)
	}
	return env, res, found.IDTokens[0]
}

// Regression (ID-token-only silent hit): the cache hit checks only that aud
// contains the client, not the rest of checkAudience: an ID token with two audiences
// whose azp is another client (OIDC Core §3.1.3.7 items 4-5 refuse it at issuance) is
// served from a cache row (an import of another app's MSAL cache, a tampered row).
func TestIdentity_SilentSignInServesIDTokenAuthorizedForAnotherParty(t *testing.T) {
	env, first, row := signInWithoutScopes(t)
	c := first.IDTokenClaims
	row.Secret = domain.Secret(unsignedJWT(map[string]any{"iss": c.Issuer, "sub": c.Subject,
		"aud": []string{"signin-client", "other-client"}, "azp": "other-client", "exp": c.Expiry.Unix(), "iat": c.IssuedAt.Unix()}))
	ctx := context.Background()
	if err := env.Store.Write(ctx, domain.CacheWrite{Partition: "p", IDToken: &row}); err != nil {
		t.Fatal(err)
	}
	res, _ := env.Flows("p").Silent(ctx, nil, first.Account, false)
	if res.IDToken == row.Secret {
		t.Error("silent sign-in served an ID token whose azp is another client")
	}
}

// Regression (ID-token-only silent hit): nothing ties the cached ID token's
// subject (or issuer) to the account it is filed under: bob's ID token in alice's row
// is served as alice's sign-in, with bob's claims — a web app that reads
// IDTokenClaims.Subject logs the caller in as bob. The refresh path checks Subject and
// the previous token's iss/sub (checkContinues); the hit checks neither.
func TestIdentity_SilentSignInServesAnotherSubjectsIDToken(t *testing.T) {
	env, first, row := signInWithoutScopes(t)
	ctx := context.Background()
	bob, err := env.Flows("p").Password(ctx, "bob@example.com", "bob-pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	row.Secret = bob.IDToken // bob's genuine ID token, filed under alice
	if err := env.Store.Write(ctx, domain.CacheWrite{Partition: "p", IDToken: &row}); err != nil {
		t.Fatal(err)
	}
	res, _ := env.Flows("p").Silent(ctx, nil, first.Account, false)
	if res.IDToken == bob.IDToken {
		t.Errorf("silent sign-in for alice (%s) served bob's ID token (sub %s)", first.IDTokenClaims.Subject, res.IDTokenClaims.Subject)
	}
}

// Regression (ID-token-only silent hit): a cached ID token about the right subject, for
// this client, but issued by another issuer (a row copied from another provider's cache)
// is not served as a sign-in at this authority.
func TestIdentity_SilentSignInServesIDTokenOfAnotherIssuer(t *testing.T) {
	env, first, row := signInWithoutScopes(t)
	c := first.IDTokenClaims
	row.Secret = domain.Secret(unsignedJWT(map[string]any{"iss": "https://evil.example/", "sub": c.Subject,
		"aud": "signin-client", "exp": c.Expiry.Unix(), "iat": c.IssuedAt.Unix()}))
	ctx := context.Background()
	if err := env.Store.Write(ctx, domain.CacheWrite{Partition: "p", IDToken: &row}); err != nil {
		t.Fatal(err)
	}
	res, _ := env.Flows("p").Silent(ctx, nil, first.Account, false)
	if res.IDToken == row.Secret {
		t.Error("silent sign-in served an ID token of another issuer")
	}
}
