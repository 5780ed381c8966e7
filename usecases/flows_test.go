package usecases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

func TestUsernamePassword_Acquire_badInputTouchesNothing(t *testing.T) {
	f := newFixture(t)
	u, err := usecases.NewUsernamePassword(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []usecases.PasswordRequest{
		{Username: "", Password: "pw", Scopes: []string{"read"}},
		{Username: "alice", Password: "", Scopes: []string{"read"}},
		{Username: "alice", Password: "pw", Scopes: []string{"offline_access", "two\nlines"}},
	} {
		if _, err := u.Acquire(testContext(t), req); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Acquire(user %q) error = %v; want ErrInvalidInput", req.Username, err)
		}
	}
}

func TestUsernamePassword_Acquire_mfaRequiredKeepsTheClaimsAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	u, _ := usecases.NewUsernamePassword(f.cfg, f.deps())
	body := `{"error":"invalid_grant","error_description":"AADSTS50076: MFA required","suberror":"basic_action","error_codes":[50076],"claims":"{\"access_token\":{}}"}`
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, domain.ParseErrorResponse(domain.GrantPassword, 400, []byte(body)))
	_, err := u.Acquire(testContext(t), usecases.PasswordRequest{Username: "alice", Password: "hunter2", Scopes: []string{"read"}})
	var de *domain.Error
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.Claims == "" || de.SubError != "basic_action" {
		t.Fatalf("error = %v; want ErrInteractionRequired carrying suberror and claims", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("the error message contains the password")
	}
	if de.CorrelationID == "" || de.Op == "" {
		t.Fatalf("error %+v lacks the operation or the correlation id", de)
	}
}

func TestRefreshTokenRedeemer_Acquire_responseWithoutAccountIsReturnedUncached(t *testing.T) {
	f := newFixture(t)
	r, _ := usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{
		AccessToken: "at", TokenType: "bearer", ExpiresIn: time.Hour, RefreshToken: "rotated",
	}, nil)
	// No Find or Write: nothing names the account, so nothing can be keyed.
	res, err := r.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: "old", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RefreshToken != "rotated" || res.TokenType != "Bearer" {
		t.Fatalf("got refresh token %q, type %q; want the rotated token returned and Bearer", string(res.RefreshToken), res.TokenType)
	}
}

func TestClientCredentials_Acquire_cachedAppTokenAndSharedRequests(t *testing.T) {
	f := newFixture(t)
	f.cfg.Credential = domain.ClientCredential{Secret: "s3cret"}
	c, err := usecases.NewClientCredentials(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	var stored []domain.AccessToken
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
		if q.HomeAccountID != "" {
			t.Errorf("Find(%+v); want the app-only entries (empty home account)", q)
		}
		return domain.CacheEntries{AccessTokens: stored}, nil
	}).AnyTimes()
	f.lockRunsCallback()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		if r.Grant != domain.GrantClientCredentials || r.Credential.Secret != "s3cret" || strings.Contains(strings.Join(r.Scopes, " "), "openid") {
			t.Errorf("Token(%v) scopes %v; want client_credentials with the secret and no OIDC scopes", r, r.Scopes)
		}
		return domain.TokenResponse{AccessToken: "app-at", TokenType: "Bearer", ExpiresIn: time.Hour}, nil
	}).Times(1)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.CacheWrite) error {
		if w.Account != nil || w.RefreshToken != nil || w.AccessToken.HomeAccountID != "" {
			t.Errorf("app-token write %+v has an account, a refresh token or a home account id", w)
		}
		stored = append(stored, *w.AccessToken)
		return nil
	})
	first, err := c.Acquire(testContext(t), usecases.ClientRequest{Scopes: []string{"api://x/.default"}})
	if err != nil || first.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("first Acquire = %q, %v; want a token from the provider", first.TokenSource, err)
	}
	second, err := c.Acquire(testContext(t), usecases.ClientRequest{Scopes: []string{"api://x/.default"}})
	if err != nil || second.TokenSource != domain.SourceCache || second.AccessToken != "app-at" {
		t.Fatalf("second Acquire = %q, %v; want the cached app token", second.TokenSource, err)
	}
}

func TestNewClientCredentials_publicClientRefused(t *testing.T) {
	f := newFixture(t)
	if _, err := usecases.NewClientCredentials(f.cfg, f.deps()); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error = %v; want ErrInvalidInput for a client without a credential", err)
	}
}

func TestAccounts_List_oneEntryPerHomeAccount(t *testing.T) {
	f := entraFixture(t, "https://login.microsoftonline.com/organizations")
	a, _ := usecases.NewAccounts(f.cfg, f.deps())
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil)
	f.store.EXPECT().Accounts(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, flt domain.AccountFilter) ([]domain.Account, error) {
		if flt.Partition != "p1" || flt.ClientID != testClient || flt.Username != "Bob@Example.com" {
			t.Errorf("Accounts(%+v); want partition p1, this client and the username filter passed through", flt)
		}
		return []domain.Account{
			{HomeAccountID: "uid.home", Environment: "h", Realm: "guest-tenant", Username: "bob@example.com"},
			{HomeAccountID: "uid.home", Environment: "h", Realm: "home", Username: "bob@example.com"},
		}, nil
	})
	got, err := a.List(testContext(t), "Bob@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Realm != "home" {
		t.Fatalf("List = %+v; want one account, its home-tenant record", got)
	}
}

// A listing is sorted by username ignoring case, then by home account id, then by
// environment, whatever order the store returns the records in.
func TestAccounts_List_sortedByUsernameThenAccount(t *testing.T) {
	f := entraFixture(t, "https://login.microsoftonline.com/organizations")
	a, _ := usecases.NewAccounts(f.cfg, f.deps())
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil).AnyTimes()
	f.store.EXPECT().Accounts(gomock.Any(), gomock.Any()).Return([]domain.Account{
		{HomeAccountID: "uid-c.tid", Environment: "h", Realm: "tid", Username: "carol@example.com"},
		{HomeAccountID: "uid-b2.tid", Environment: "h", Realm: "tid", Username: "Bob@example.com"},
		{HomeAccountID: "uid-z.tid", Environment: "h", Realm: "tid", Username: "ALICE@example.com"},
		{HomeAccountID: "uid-b1.tid", Environment: "h", Realm: "tid", Username: "bob@example.com"},
		{HomeAccountID: "uid-a.tid", Environment: "h", Realm: "tid", Username: "dave@example.com"},
		{HomeAccountID: "uid-b1.tid", Environment: "g", Realm: "tid", Username: "bob@example.com"}, // another cloud
	}, nil).AnyTimes()
	// The use case groups records in a map, whose order changes from run to run: a
	// comparison that ties would show in some of these runs.
	for range 20 {
		got, err := a.List(testContext(t), "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, acct := range got {
			ids = append(ids, acct.HomeAccountID+"@"+acct.Environment)
		}
		if want := []string{"uid-z.tid@h", "uid-b1.tid@g", "uid-b1.tid@h", "uid-b2.tid@h", "uid-c.tid@h", "uid-a.tid@h"}; !slices.Equal(ids, want) {
			t.Fatalf("List order = %v; want %v (username ignoring case, then home account id, then environment)", ids, want)
		}
	}
}

// The family an account listing accepts follows the client's app metadata, as silent
// chooses the refresh tokens it redeems: its family, none, or any when unknown.
func TestAccounts_List_familyOfTheClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta []domain.AppMetadata
		want string
	}{
		{"unknown", nil, domain.AnyFamily},
		{"inFamily", []domain.AppMetadata{{ClientID: testClient, Environment: "login.microsoftonline.com", FamilyID: "1"}}, "1"},
		{"inNoFamily", []domain.AppMetadata{{ClientID: testClient, Environment: "login.microsoftonline.com"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, "https://login.microsoftonline.com/organizations")
			a, _ := usecases.NewAccounts(f.cfg, f.deps())
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{AppMetadata: tc.meta}, nil)
			f.store.EXPECT().Accounts(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, flt domain.AccountFilter) ([]domain.Account, error) {
				if flt.Family != tc.want || flt.ClientID != testClient {
					t.Errorf("Accounts(%+v); want Family %q for this client", flt, tc.want)
				}
				return nil, nil
			})
			if _, err := a.List(testContext(t), ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAccounts_Remove_unknownOrEmptyAccountChangesNothing(t *testing.T) {
	f := newFixture(t)
	a, _ := usecases.NewAccounts(f.cfg, f.deps())
	if err := a.Remove(testContext(t), domain.Account{}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Remove(zero account) error = %v; want ErrInvalidInput", err)
	}
	f.find(domain.CacheEntries{})
	// No RemoveAccount expected.
	if err := a.Remove(testContext(t), domain.Account{HomeAccountID: "ghost", Environment: f.authority.Host}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Remove(unknown) error = %v; want ErrInvalidInput", err)
	}
}

func TestAccounts_Remove_scopedToPartitionAndClient(t *testing.T) {
	f := newFixture(t)
	a, _ := usecases.NewAccounts(f.cfg, f.deps())
	f.find(domain.CacheEntries{Accounts: []domain.Account{f.account()}})
	locked := false
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, k domain.RefreshLockKey, fn func(context.Context) error) error {
			want := domain.RefreshLockKey{Partition: "p1", HomeAccountID: testHome, Environment: f.authority.Host, Realm: f.authority.Realm()}
			if k != want {
				t.Errorf("RemoveAccount under lock %+v; want the account's refresh lock %+v", k, want)
			}
			locked = true
			defer func() { locked = false }()
			return fn(ctx)
		})
	f.store.EXPECT().RemoveAccount(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.AccountRemoval) error {
		if r.Partition != "p1" || r.ClientID != testClient || r.HomeAccountID != testHome {
			t.Errorf("RemoveAccount(%+v); want this partition, client and account", r)
		}
		if !slices.Equal(r.Realms, []string{f.authority.Realm()}) {
			t.Errorf("RemoveAccount realms = %q; want only the issuer's %q", r.Realms, f.authority.Realm())
		}
		if !locked {
			t.Error("RemoveAccount ran without the account's refresh lock: a refresh in flight could write the account back")
		}
		return nil
	})
	if err := a.InPartition("p1").Remove(testContext(t), f.account()); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFailuresAreErrCacheStore(t *testing.T) {
	f := newFixture(t)
	s := newSilent(t, f)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, errors.New("disk on fire"))
	_, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
	if !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("error = %v; want ErrCacheStore", err)
	}
}
