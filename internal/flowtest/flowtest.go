// Package flowtest connects the use cases and the fake identity providers to
// conformance.TestFlows, so that every store and provider adapter runs the same flow
// scenarios. It is test support: only tests import it.
package flowtest

import (
	"context"
	"net/url"
	"sync"
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
// authority URL the engine must use. For Flows.ClientCredentials in another tenant the
// provider must also implement TenantAuthorities.
type ProviderFactory func(t *testing.T, setup conformance.FlowSetup, clock *memory.Clock) (conformance.FakeProvider, string)

// TenantAuthorities is implemented by fake providers that serve Entra-style
// authorities, one per tenant.
type TenantAuthorities interface {
	// TenantAuthority returns the Entra authority URL of tenant (a tenant id).
	TenantAuthority(tenant string) string
}

// Harness returns a conformance.FlowHarness over the use cases, with the providers
// newProvider builds and the stores newStore opens (one fresh, empty store per
// scenario). It declares every conformance.FlowFeatures, as both providers of this
// package (MemoryProvider, HTTPProvider) express them: newProvider must be one of them
// or a provider as capable.
func Harness(newProvider ProviderFactory, newStore func(t *testing.T) ports.CacheStore) conformance.FlowHarness {
	features := conformance.FlowFeatures{Families: true, IssuerInResponse: true, IDTokenFaults: true, Tenants: true, GuestTenants: true}
	return conformance.FlowHarness{Features: features, New: func(t *testing.T, setup conformance.FlowSetup) conformance.FlowEnv {
		clock := memory.NewClock(Start)
		idp, authorityURL := newProvider(t, setup, clock)
		authority, err := domain.ParseAuthority(authorityURL, domain.AuthorityAuto)
		if err != nil {
			t.Fatal(err)
		}
		store := newStore(t)
		hold := &refreshHold{IdentityProvider: idp}
		deps := usecases.Deps{IdentityProvider: hold, Store: store, Clock: clock}
		clientFlows := func(clientID, partition string) conformance.Flows {
			cfg := Config(setup, clientID, authority)
			cfg.Partition = partition
			f, err := newFlows(cfg, deps, tenantsOf(idp))
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		env := conformance.FlowEnv{
			Provider:        idp,
			Store:           store,
			Advance:         func(d time.Duration) { clock.Advance(d) },
			Flows:           func(partition string) conformance.Flows { return clientFlows(setup.ClientID, partition) },
			ClientFlows:     clientFlows,
			HoldNextRefresh: hold.next,
		}
		if ta := tenantsOf(idp); ta != nil {
			env.TenantFlows = func(tenant, partition string) conformance.Flows {
				a, err := domain.ParseAuthority(ta.TenantAuthority(tenant), domain.AuthorityEntra)
				if err != nil {
					t.Fatal(err)
				}
				cfg := Config(setup, setup.ClientID, a)
				cfg.Partition = partition
				f, err := newFlows(cfg, deps, ta)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
		return env
	}}
}

// tenantsOf returns the tenant authorities of idp, or nil when it serves none.
func tenantsOf(idp conformance.FakeProvider) TenantAuthorities {
	if ta, ok := idp.(TenantAuthorities); ok {
		return ta
	}
	return nil
}

// MemoryProvider is a ProviderFactory for the in-process fake of adapters/memory.
func MemoryProvider(t *testing.T, setup conformance.FlowSetup, clock *memory.Clock) (conformance.FakeProvider, string) {
	t.Helper()
	users := make([]memory.User, len(setup.Users))
	for i, u := range setup.Users {
		users[i] = memory.User{Username: u.Username, Password: domain.Secret(u.Password), RequireMFA: u.RequireMFA, Subject: u.Subject}
	}
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, Users: users, Scopes: setup.Scopes, RotateRefreshTokens: setup.Rotate, DetectRefreshTokenReuse: setup.Rotate,
		RefreshIn: setup.RefreshIn, IssuerInResponse: setup.IssuerInResponse, Clients: clients(setup),
		ClientInfo: setup.ClientInfo, OmitIDTokenOnRefresh: setup.OmitIDTokenOnRefresh,
	})
	if err != nil {
		t.Fatal(err)
	}
	return memoryProvider{idp}, "https://login.example.com/tenant-a"
}

// clients returns the fake provider's registrations of setup's clients, every one
// with setup's redirect URI.
func clients(setup conformance.FlowSetup) []memory.Client {
	out := []memory.Client{{ID: setup.ClientID, FamilyID: setup.FamilyID, RedirectURIs: []string{setup.RedirectURI}}}
	for _, c := range setup.Clients {
		out = append(out, memory.Client{ID: c.ID, Secret: domain.Secret(c.Secret), FamilyID: c.FamilyID, RedirectURIs: []string{setup.RedirectURI}})
	}
	return out
}

// memoryProvider is the in-process fake as a conformance.FakeProvider.
type memoryProvider struct{ *memory.IdentityProvider }

// SignIn asks the fake to approve the authorization request for username at once (it
// has no login page; the password is not needed).
func (p memoryProvider) SignIn(ctx context.Context, authURL, username, _ string) (url.Values, error) {
	return p.Authorize(ctx, authURL, username)
}

// FailNext queues the refusal the HTTP adapter would make of status and code, so both
// providers fail alike.
func (p memoryProvider) FailNext(grant domain.GrantKind, status int, code string) {
	p.IdentityProvider.FailNext(grant, &domain.Error{Code: code, HTTPStatus: status, Description: "scripted by the flow scenario"})
}

// SetIDTokenFault sets the fake's ID-token fault.
func (p memoryProvider) SetIDTokenFault(f conformance.IDTokenFault) {
	p.IdentityProvider.SetIDTokenFault(idTokenFault(f))
}

// TenantAuthority is the Entra authority of tenant on the fake's host (it answers for
// any authority).
func (p memoryProvider) TenantAuthority(tenant string) string {
	return "https://login.example.com/" + tenant
}

// idTokenFault maps a scenario's ID-token fault onto the fake engine's (adapters/memory
// and idptest share it).
func idTokenFault(f conformance.IDTokenFault) memory.IDTokenFault {
	switch f {
	case conformance.IDTokenWrongNonce:
		return memory.IDTokenWrongNonce
	case conformance.IDTokenWrongIssuer:
		return memory.IDTokenWrongIssuer
	case conformance.IDTokenWrongAudience:
		return memory.IDTokenWrongAudience
	case conformance.IDTokenExpired:
		return memory.IDTokenExpired
	case conformance.IDTokenWrongSignature:
		return memory.IDTokenWrongSignature
	case conformance.IDTokenAlgNone:
		return memory.IDTokenAlgNone
	case conformance.IDTokenOtherSubject:
		return memory.IDTokenOtherSubject
	case conformance.IDTokenExtraAudience:
		return memory.IDTokenExtraAudience
	case conformance.IDTokenWrongAzp:
		return memory.IDTokenWrongAzp
	case conformance.IDTokenAccessTokenType:
		return memory.IDTokenAccessTokenType
	case conformance.IDTokenHMAC:
		return memory.IDTokenHMAC
	case conformance.IDTokenExtraAudienceWithAzp:
		return memory.IDTokenExtraAudienceWithAzp
	case conformance.IDTokenRefreshAddsAudience:
		return memory.IDTokenRefreshAddsAudience
	case conformance.IDTokenRefreshAddsAzp:
		return memory.IDTokenRefreshAddsAzp
	case conformance.IDTokenRefreshAddsNonce:
		return memory.IDTokenRefreshAddsNonce
	}
	return memory.IDTokenOK
}

// refreshHold is the engines' identity provider: the fake, with the next refresh_token
// grant held on demand (conformance.FlowEnv.HoldNextRefresh).
type refreshHold struct {
	ports.IdentityProvider
	mu      sync.Mutex
	entered chan struct{}
	release chan struct{}
}

func (h *refreshHold) next() (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entered, h.release = make(chan struct{}), make(chan struct{})
	release := h.release
	var once sync.Once
	return h.entered, func() { once.Do(func() { close(release) }) }
}

func (h *refreshHold) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	if req.Grant == domain.GrantRefreshToken {
		h.mu.Lock()
		entered, release := h.entered, h.release
		h.entered, h.release = nil, nil
		h.mu.Unlock()
		if entered != nil {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return domain.TokenResponse{}, ctx.Err()
			}
		}
	}
	return h.IdentityProvider.Token(ctx, req)
}
