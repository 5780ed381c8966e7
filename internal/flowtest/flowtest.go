// Package flowtest connects the use cases and the fake identity providers to
// conformance.TestFlows, so that every store and provider adapter runs the same flow
// scenarios. It is test support: only tests import it.
package flowtest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// Start is the time every environment starts at.
var Start = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// ProviderFactory builds a fake provider for setup on clock and returns it with the
// authority URL the engine must use.
type ProviderFactory func(t *testing.T, setup conformance.FlowSetup, clock *memory.Clock) (conformance.FakeProvider, string)

// Harness returns a conformance.FlowHarness over the use cases, with the providers
// newProvider builds and the stores newStore opens (one fresh, empty store per
// scenario).
func Harness(newProvider ProviderFactory, newStore func(t *testing.T) ports.CacheStore) conformance.FlowHarness {
	return conformance.FlowHarness{New: func(t *testing.T, setup conformance.FlowSetup) conformance.FlowEnv {
		clock := memory.NewClock(Start)
		idp, authorityURL := newProvider(t, setup, clock)
		authority, err := domain.ParseAuthority(authorityURL, domain.AuthorityAuto)
		if err != nil {
			t.Fatal(err)
		}
		store := newStore(t)
		deps := usecases.Deps{IdentityProvider: idp, Store: store, Clock: clock}
		return conformance.FlowEnv{
			Provider: idp,
			Store:    store,
			Advance:  func(d time.Duration) { clock.Advance(d) },
			Flows: func(partition string) conformance.Flows {
				f, err := New(usecases.Config{ClientID: setup.ClientID, Authority: authority, Partition: partition}, deps)
				if err != nil {
					t.Fatal(err)
				}
				return f
			},
		}
	}}
}

// MemoryProvider is a ProviderFactory for the in-process fake of adapters/memory.
func MemoryProvider(t *testing.T, setup conformance.FlowSetup, clock *memory.Clock) (conformance.FakeProvider, string) {
	t.Helper()
	users := make([]memory.User, len(setup.Users))
	for i, u := range setup.Users {
		users[i] = memory.User{Username: u.Username, Password: domain.Secret(u.Password), RequireMFA: u.RequireMFA}
	}
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, Users: users, Scopes: setup.Scopes, RotateRefreshTokens: setup.Rotate,
		Clients: []memory.Client{{ID: setup.ClientID, RedirectURIs: []string{setup.RedirectURI}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return memoryProvider{idp}, "https://login.example.com/tenant-a"
}

// memoryProvider is the in-process fake as a conformance.FakeProvider.
type memoryProvider struct{ *memory.IdentityProvider }

// SignIn asks the fake to approve the authorization request for username at once (it
// has no login page; the password is not needed).
func (p memoryProvider) SignIn(ctx context.Context, authURL, username, _ string) (url.Values, error) {
	return p.Authorize(ctx, authURL, username)
}

// New returns the flows of one client over the use cases.
func New(cfg usecases.Config, deps usecases.Deps) (conformance.Flows, error) {
	f := &flows{}
	var err error
	if f.silent, err = usecases.NewSilent(cfg, deps); err != nil {
		return nil, err
	}
	if f.authCode, err = usecases.NewAuthCode(cfg, deps); err != nil {
		return nil, err
	}
	if f.password, err = usecases.NewUsernamePassword(cfg, deps); err != nil {
		return nil, err
	}
	if f.refresh, err = usecases.NewRefreshTokenRedeemer(cfg, deps); err != nil {
		return nil, err
	}
	if f.accounts, err = usecases.NewAccounts(cfg, deps); err != nil {
		return nil, err
	}
	return f, nil
}

type flows struct {
	silent   *usecases.Silent
	authCode *usecases.AuthCode
	password *usecases.UsernamePassword
	refresh  *usecases.RefreshTokenRedeemer
	accounts *usecases.Accounts
}

// The methods of flows implement conformance.Flows, each by one use case.

func (f *flows) Silent(ctx context.Context, scopes []string, acct domain.Account, force bool) (domain.AuthResult, error) {
	return f.silent.Acquire(ctx, usecases.SilentRequest{Scopes: scopes, Account: acct, ForceRefresh: force})
}

func (f *flows) Password(ctx context.Context, username, password string, scopes []string) (domain.AuthResult, error) {
	return f.password.Acquire(ctx, usecases.PasswordRequest{Username: username, Password: domain.Secret(password), Scopes: scopes})
}

func (f *flows) InitiateAuthCode(ctx context.Context, scopes []string, redirectURI string) (domain.AuthCodeFlow, error) {
	return f.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: scopes, RedirectURI: redirectURI})
}

func (f *flows) CompleteAuthCode(ctx context.Context, flow domain.AuthCodeFlow, response url.Values) (domain.AuthResult, error) {
	return f.authCode.Complete(ctx, flow, response)
}

func (f *flows) RefreshToken(ctx context.Context, rt string, scopes []string) (domain.AuthResult, error) {
	return f.refresh.Acquire(ctx, usecases.RefreshTokenRequest{RefreshToken: domain.Secret(rt), Scopes: scopes})
}

func (f *flows) Accounts(ctx context.Context, username string) ([]domain.Account, error) {
	return f.accounts.List(ctx, username)
}

func (f *flows) RemoveAccount(ctx context.Context, acct domain.Account) error {
	return f.accounts.Remove(ctx, acct)
}
