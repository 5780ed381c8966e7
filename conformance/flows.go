package conformance

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Flows is the engine as the flow scenarios drive it: one method per flow of DESIGN §3.
// A harness builds it over the use cases, bound to one client, authority and partition.
type Flows interface {
	Silent(ctx context.Context, scopes []string, account domain.Account, forceRefresh bool) (domain.AuthResult, error)
	Password(ctx context.Context, username, password string, scopes []string) (domain.AuthResult, error)
	InitiateAuthCode(ctx context.Context, scopes []string, redirectURI string) (domain.AuthCodeFlow, error)
	CompleteAuthCode(ctx context.Context, flow domain.AuthCodeFlow, response url.Values) (domain.AuthResult, error)
	RefreshToken(ctx context.Context, refreshToken string, scopes []string) (domain.AuthResult, error)
	Accounts(ctx context.Context, username string) ([]domain.Account, error)
	RemoveAccount(ctx context.Context, account domain.Account) error
}

// FakeProvider is the control surface of a fake identity provider: what a test does in
// the user's place and what it observes.
type FakeProvider interface {
	ports.IdentityProvider
	// SignIn completes the authorization request at authURL as username (with its
	// password) and returns the query of the redirect back to the app.
	SignIn(ctx context.Context, authURL, username, password string) (url.Values, error)
	// Calls counts token requests of one grant.
	Calls(grant domain.GrantKind) int
	// RevokeRefreshTokens makes every refresh token issued to username invalid.
	RevokeRefreshTokens(username string)
}

// FlowUser is an account the fake provider must know.
type FlowUser struct {
	Username, Password string
	RequireMFA         bool // the password grant fails with interaction required
}

// FlowSetup is what the suite asks a harness to build.
type FlowSetup struct {
	ClientID    string
	RedirectURI string // the client's registered redirect URI
	Users       []FlowUser
	Scopes      []string // the resource scopes the provider knows
	// Rotate makes the provider rotate refresh tokens on every refresh grant.
	Rotate bool
}

// FlowEnv is one fresh environment: a fake provider, an empty store, a clock the suite
// moves, and a function that binds the flows to a partition.
type FlowEnv struct {
	Provider FakeProvider
	Store    ports.CacheStore
	// Advance moves the clock both the engine and the provider read.
	Advance func(d time.Duration)
	// Flows returns the engine's flows for the setup's client in partition.
	Flows func(partition string) Flows
}

// FlowHarness builds environments for TestFlows.
type FlowHarness struct {
	// New builds a fresh environment for setup and registers its cleanup. It is called
	// once per scenario.
	New func(t *testing.T, setup FlowSetup) FlowEnv
}

// TestFlows runs the flow scenarios of DESIGN §3 end to end against the harness's
// identity provider and store, so the same scenarios pass on the in-process fake, on
// the HTTP adapter against its fake server, and on every store.
func TestFlows(t *testing.T, h FlowHarness) {
	t.Helper()
	for _, sc := range flowScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			env := h.New(t, flowSetup)
			sc.run(t, env)
		})
	}
}

type flowScenario struct {
	name string
	run  func(t *testing.T, env FlowEnv)
}

const flowPartition = "tenant-a"

var (
	flowScopes = []string{"api://orders/read"}
	flowSetup  = FlowSetup{
		ClientID:    "conformance-client",
		RedirectURI: "http://127.0.0.1/callback",
		Users: []FlowUser{
			{Username: "alice@example.com", Password: "alice-pw"},
			{Username: "bob@example.com", Password: "bob-pw"},
			{Username: "mfa@example.com", Password: "mfa-pw", RequireMFA: true},
		},
		Scopes: []string{"api://orders/read", "api://orders/write"},
		Rotate: true,
	}
)

func flowScenarios() []flowScenario {
	return []flowScenario{
		{"PasswordThenSilentHitMakesNoProviderCall", scenarioSilentHit},
		{"SilentAfterExpiryRefreshesOnce", scenarioSilentRefresh},
		{"ForceRefreshSkipsTheCache", scenarioForceRefresh},
		{"ConcurrentSilentCallsShareOneRefresh", scenarioStampede},
		{"RefusedRefreshIsInteractionRequiredAndKeepsTheAccount", scenarioRefusedRefresh},
		{"NoTokensIsInteractionRequired", scenarioNoTokens},
		{"AuthCodeFlowCompletesOnceWithClaims", scenarioAuthCode},
		{"AuthCodeFlowRefusesForgedState", scenarioForgedState},
		{"PasswordErrorsAreClassified", scenarioPasswordErrors},
		{"RefreshTokenRedemptionIsCached", scenarioRefreshTokenRedemption},
		{"AccountsListFilterAndRemove", scenarioAccounts},
		{"PartitionsIsolateAccountsAndTokens", scenarioPartitions},
		{"BadInputChangesNothing", scenarioBadInput},
	}
}
