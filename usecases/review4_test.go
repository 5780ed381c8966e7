package usecases_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// TestReview4_SharedRefreshResultsAreNotAliased: concurrent silent calls that share one
// refresh (single flight) each get a result of their own. A caller that edits its
// result — the claims' typed fields, the audience, the scopes, the account's extras, as
// a web handler normalising a name or a middleware filtering scopes does — must not
// change what another goroutine is reading: a cache hit already hands each caller its
// own copy (TestSilent_Acquire_callersCannotChangeEachOthersClaims), and a shared
// refresh handed every waiter the one value, so one request's edit showed up in
// another's (and raced with its reads).
func TestReview4_SharedRefreshResultsAreNotAliased(t *testing.T) {
	f := newFixture(t)
	acct := f.account()
	acct.Extra = map[string]json.RawMessage{"x": json.RawMessage(`"original"`)}
	f.find(domain.CacheEntries{
		RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")}, Accounts: []domain.Account{acct},
	}).AnyTimes()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.expectMetadata()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		claims := f.claimsFor(testHome, "")
		claims["name"] = "Alice"
		resp := f.tokenResponse(t, testHome)
		resp.IDToken = idToken(t, claims)
		return resp, nil
	}).AnyTimes()
	s := newSilent(t, f)

	results := make([]domain.AuthResult, 2)
	var wg sync.WaitGroup
	call := func(i int) {
		defer wg.Done()
		res, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
		results[i] = res
	}
	wg.Add(2)
	go call(0)
	<-started
	go call(1)
	time.Sleep(200 * time.Millisecond) // the second caller joins the running refresh
	close(release)
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := calls.Load(); n != 1 {
		t.Skipf("the provider was called %d times: the callers did not share the refresh (a loaded machine); nothing to compare", n)
	}
	a, b := results[0], results[1]
	if a.IDTokenClaims == nil || b.IDTokenClaims == nil || len(a.Scopes) == 0 || len(b.Scopes) == 0 || len(b.IDTokenClaims.Audience) == 0 {
		t.Fatalf("results %+v and %+v: want claims and scopes in both", a, b)
	}
	// Caller 0 edits its own result.
	a.IDTokenClaims.Name = "Mallory"
	a.IDTokenClaims.Subject = "sub-mallory"
	a.IDTokenClaims.Audience[0] = "another-client"
	a.Scopes[0] = "admin"
	if a.Account.Extra != nil {
		a.Account.Extra["x"] = json.RawMessage(`"edited"`)
	}
	// Caller 1 still reads what the provider issued.
	if got := b.IDTokenClaims.Name; got != "Alice" {
		t.Errorf("caller 1's claims name = %q after caller 0 edited its own result; want %q", got, "Alice")
	}
	if got := b.IDTokenClaims.Subject; got != testHome {
		t.Errorf("caller 1's claims sub = %q after caller 0 edited its own result; want %q", got, testHome)
	}
	if got := b.IDTokenClaims.Audience[0]; got != testClient {
		t.Errorf("caller 1's audience = %q after caller 0 edited its own result; want %q", got, testClient)
	}
	if got := b.Scopes[0]; got != "read" {
		t.Errorf("caller 1's scopes = %v after caller 0 edited its own result; want [read]", b.Scopes)
	}
	if got := string(b.Account.Extra["x"]); b.Account.Extra != nil && got != `"original"` {
		t.Errorf("caller 1's account extra = %s after caller 0 edited its own result; want \"original\"", got)
	}
}

// TestReview4_RemoveAccountSignsAFamilyAppOut: an app of a family of client ids (Entra
// FOCI: Teams, Outlook, the Azure CLI...) that signs a user out (RemoveAccount) finds
// the user signed in again at once: the family refresh token a sibling app left in the
// shared cache is not removed (only "refresh tokens issued to this client" are), so
// Accounts still lists the account (its family filter counts that token) and the next
// silent call redeems it and writes the account back. The user pressed "sign out" and
// stays signed in, and a TokenSource or azcore credential built for the account keeps
// getting tokens. MSAL Go (storage.Manager.removeRefreshTokens: the client's, or any
// with a family id), MSAL Python (_sign_out: the client's, or its family's when its app
// metadata names one) and MSAL .NET (RemoveAccountInternal: every refresh token of the
// account when it holds a family one) remove the family token. Fixed by ADR 0016: the
// removal takes the account's family refresh tokens too (AccountRemoval.FamilyRefreshTokens).
func TestReview4_RemoveAccountSignsAFamilyAppOut(t *testing.T) {
	const sibling = "1fec8e78-bce4-4aaf-ab1b-5451cc387264" // another app of family "1"
	home := "0000aaaa-0000-4000-8000-00000000000a." + hotTenant
	a, err := domain.ParseAuthority("https://login.microsoftonline.com/"+hotTenant, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range hotStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			exp := benchNow.Add(time.Hour)
			env := a.Host
			snap := domain.CacheSnapshot{
				AccessTokens: []domain.AccessToken{{HomeAccountID: home, Environment: env, ClientID: benchClientID, Realm: hotTenant,
					Target: benchScope, Secret: "app-at", TokenType: "Bearer", CachedAt: benchNow, ExpiresOn: exp, ExtendedExpiresOn: exp}},
				RefreshTokens: []domain.RefreshToken{
					{HomeAccountID: home, Environment: env, ClientID: benchClientID, FamilyID: "1", Secret: "app-rt", CachedAt: benchNow},
					{HomeAccountID: home, Environment: env, ClientID: sibling, FamilyID: "1", Secret: "sibling-family-rt", CachedAt: benchNow},
				},
				IDTokens: []domain.IDToken{{HomeAccountID: home, Environment: env, ClientID: benchClientID, Realm: hotTenant,
					Secret: domain.Secret(rawIDTokenFor(t, a, "sub-1"))}},
				Accounts: []domain.Account{{HomeAccountID: home, Environment: env, Realm: hotTenant, LocalAccountID: "0000aaaa-0000-4000-8000-00000000000a",
					Username: "user@contoso.example", AuthorityType: domain.AuthorityTypeMSSTS}},
				AppMetadata: []domain.AppMetadata{{ClientID: benchClientID, Environment: env, FamilyID: "1"}, {ClientID: sibling, Environment: env, FamilyID: "1"}},
			}
			if err := store.Import(t.Context(), "p", snap); err != nil {
				t.Fatal(err)
			}
			cfg := usecases.Config{ClientID: benchClientID, Authority: a, Partition: "p"}
			deps := usecases.Deps{IdentityProvider: noProvider{}, Store: store, Clock: &testClock{now: benchNow}}
			accounts, err := usecases.NewAccounts(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			silent, err := usecases.NewSilent(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			list, err := accounts.List(t.Context(), "")
			if err != nil || len(list) != 1 {
				t.Fatalf("before the sign-out: List = %v, %v; want the account", list, err)
			}
			if err := accounts.Remove(t.Context(), list[0]); err != nil {
				t.Fatal(err)
			}
			if list, err := accounts.List(t.Context(), ""); err != nil || len(list) != 0 {
				t.Errorf("after RemoveAccount: List = %v, %v; want no account (the user signed out)", list, err)
			}
			// noProvider fails any token request with an error that is not ErrNoTokens:
			// ErrNoTokens says no refresh token was left to present.
			_, err = silent.Acquire(t.Context(), usecases.SilentRequest{Scopes: []string{benchScope}, Account: list[0]})
			if !errors.Is(err, domain.ErrNoTokens) {
				t.Errorf("silent after RemoveAccount = %v; want ErrNoTokens: the sibling's family refresh token was presented for a signed-out user", err)
			}
		})
	}
}

// TestReview4_UnrotatedRefreshKeepsTheSpentRecord: a provider that rotates only some
// refreshes (node-oidc-provider's rotateRefreshToken policy for confidential clients:
// it answers with the same refresh token until the token is old, and revokes the grant
// when a rotated-away token comes back) rotated P to N once, and N records P as spent
// (domain.SpentMember, ADR 0015). The next refresh presents N and gets N back: the
// write replaced the cached N with a copy that no longer records P. ADR 0015's guard is
// then gone: an import of the older document holding P (a sync job, the Azure CLI's
// file) is no longer recognised as spent, replaces N, and the next silent call
// presents P — the reuse that makes the provider revoke the user's grant.
func TestReview4_UnrotatedRefreshKeepsTheSpentRecord(t *testing.T) {
	f := newFixture(t)
	spent := f.refreshToken(testClient, "", "rt-P-rotated-away")
	live := f.refreshToken(testClient, "", "rt-N-live")
	live.RecordRotation(spent)
	if !live.Supersedes(spent.Secret) {
		t.Fatal("fixture: N does not record P as spent")
	}
	f.find(domain.CacheEntries{RefreshTokens: []domain.RefreshToken{live}, Accounts: []domain.Account{f.account()}}).AnyTimes()
	f.expectMetadata()
	f.lockRunsCallback()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		resp := f.tokenResponse(t, testHome)
		resp.RefreshToken = r.RefreshToken // not rotated this time
		return resp, nil
	})
	var written *domain.RefreshToken
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		written = w.RefreshToken
		return nil
	})
	if _, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
		t.Fatal(err)
	}
	if written == nil || written.Secret != live.Secret {
		t.Fatalf("written refresh token = %v; want N again", written)
	}
	if !written.Supersedes(spent.Secret) {
		t.Fatalf("N written back after an unrotated refresh records %v as spent; want P still recorded (an import of P would otherwise replace N)", written.Spent())
	}
}
