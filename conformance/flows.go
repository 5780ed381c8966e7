package conformance

import (
	"context"
	"net/url"
	"slices"
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
	// ClientCredentials gets an app token with the client credentials grant (RFC 6749
	// §4.4), from the cache while one is usable. tenant, when not empty, names the
	// tenant to get it in, as a call with that tenant's authority would; "" uses the
	// client's own authority. A public client's call fails with ErrInvalidInput.
	ClientCredentials(ctx context.Context, scopes []string, tenant string) (domain.AuthResult, error)
	// RedeemCode redeems an authorization code without a flow object (MSAL's
	// acquire_token_by_authorization_code), and caches the result.
	RedeemCode(ctx context.Context, r CodeRedemption) (domain.AuthResult, error)
}

// DeviceFlows is implemented by Flows that offer the device code flow (RFC 8628): a
// harness whose Flows lack it skips the device-flow scenarios, saying so.
type DeviceFlows interface {
	// InitiateDevice asks the provider for a device code and a user code.
	InitiateDevice(ctx context.Context, scopes []string) (domain.DeviceFlow, error)
	// AcquireByDevice polls until the user decides, the code expires or ctx ends.
	AcquireByDevice(ctx context.Context, flow domain.DeviceFlow) (domain.AuthResult, error)
}

// DeviceProvider is implemented by FakeProviders that can play the user of a device
// flow. FakeProvider.FailNext with domain.GrantDeviceCode scripts the poll answers
// (authorization_pending, slow_down, access_denied, expired_token).
type DeviceProvider interface {
	// ApproveDevice approves the flow of userCode as username.
	ApproveDevice(userCode, username string) error
	// DenyDevice declines the flow of userCode.
	DenyDevice(userCode string) error
	// DevicePolls returns the clock times of the device-code token requests the
	// provider received, scripted answers included, oldest first.
	DevicePolls() []time.Time
}

// CodeRedemption is an authorization code to redeem with Flows.RedeemCode.
type CodeRedemption struct {
	Code        string
	RedirectURI string // the redirect URI of the authorization request
	Scopes      []string
	// CodeVerifier and Nonce are those of the authorization request, when it sent them
	// (PKCE, RFC 7636; OIDC nonce): the ID token's nonce must then match.
	CodeVerifier, Nonce string
}

// FakeProvider is the control surface of a fake identity provider: what a test does in
// the user's place and what it observes.
type FakeProvider interface {
	ports.IdentityProvider
	// SignIn completes the authorization request at authURL as username (with its
	// password) and returns the query of the redirect back to the app.
	SignIn(ctx context.Context, authURL, username, password string) (url.Values, error)
	// Calls counts token requests of one grant, failed ones included.
	Calls(grant domain.GrantKind) int
	// RevokeRefreshTokens makes every refresh token issued to username invalid.
	RevokeRefreshTokens(username string)
	// FailNext makes the next token request of grant fail as the provider would answer
	// it with HTTP status and the RFC 6749 §5.2 error code (an empty code: no body).
	// The request is counted. Calls queue: two calls fail the next two requests.
	FailNext(grant domain.GrantKind, status int, code string)
	// SetIDTokenFault makes every ID token issued from now on carry f, until it is set
	// again (IDTokenOK restores correct tokens).
	SetIDTokenFault(f IDTokenFault)
}

// IDTokenFault is a defect a fake provider puts in the ID tokens it issues, so that the
// scenarios can check the engine refuses them.
type IDTokenFault int

// ID-token faults, for FakeProvider.SetIDTokenFault.
const (
	IDTokenOK                   IDTokenFault = iota // correct ID tokens
	IDTokenWrongNonce                               // a nonce other than the authorization request's
	IDTokenWrongIssuer                              // an iss other than the authority's issuer
	IDTokenWrongAudience                            // an aud without the client id
	IDTokenExpired                                  // exp an hour in the past
	IDTokenWrongSignature                           // a signature that does not verify
	IDTokenAlgNone                                  // unsigned (alg "none")
	IDTokenOtherSubject                             // another sub, in refresh_token grant responses
	IDTokenExtraAudience                            // a second audience and no azp
	IDTokenWrongAzp                                 // azp another party than the client
	IDTokenAccessTokenType                          // correctly signed, but typ "at+jwt" (RFC 9068)
	IDTokenHMAC                                     // MAC'd with HS256 instead of signed
	IDTokenExtraAudienceWithAzp                     // a second audience with azp the client: valid
	IDTokenRefreshAddsAudience                      // azp the client; a second audience in refresh_token grant responses only
	IDTokenRefreshAddsAzp                           // azp added, in refresh_token grant responses
	IDTokenRefreshAddsNonce                         // a nonce added, in refresh_token grant responses
)

// FlowUser is an account the fake provider must know.
type FlowUser struct {
	Username, Password string
	// Subject is the sub of the user's ID tokens; empty lets the provider derive one.
	Subject    string
	RequireMFA bool // the password grant fails with interaction required
}

// FlowClient is an application the fake provider must know besides FlowSetup.ClientID.
type FlowClient struct {
	ID string
	// Secret, when set, makes the client confidential: it authenticates with it.
	Secret string
	// FamilyID puts the client in a family of clients (Entra's FOCI) that redeem each
	// other's refresh tokens.
	FamilyID string
}

// FlowSetup is what the suite asks a harness to build.
type FlowSetup struct {
	ClientID    string
	RedirectURI string // the registered redirect URI of every client
	Users       []FlowUser
	Scopes      []string // the resource scopes the provider knows
	// Rotate makes the provider rotate refresh tokens on every refresh grant.
	Rotate bool
	// FamilyID puts ClientID in a family of clients (Entra's FOCI).
	FamilyID string
	// Clients are further applications, bound to by FlowEnv.ClientFlows.
	Clients []FlowClient
	// RefreshIn, when positive, is the refresh_in the provider sends with access
	// tokens, so that a cached token becomes due for a proactive refresh that long
	// after it was issued.
	RefreshIn time.Duration
	// IssuerInResponse makes the provider send iss in authorization responses and
	// advertise authorization_response_iss_parameter_supported (RFC 9207).
	IssuerInResponse bool
	// OmitIDTokenOnRefresh makes the provider answer refresh_token grants without an ID
	// token, as Google and some Okta and Keycloak set-ups do.
	OmitIDTokenOnRefresh bool
	// ClientInfo makes the provider send Entra's client_info ({"uid", "utid"} of the
	// user's home account) with every user grant's response.
	ClientInfo bool
}

// clone returns a copy of s whose slices can be changed without changing s's.
func (s FlowSetup) clone() FlowSetup {
	s.Users = slices.Clone(s.Users)
	s.Scopes = slices.Clone(s.Scopes)
	s.Clients = slices.Clone(s.Clients)
	return s
}

// FlowEnv is one fresh environment: a fake provider, an empty store, a clock the suite
// moves, and functions that bind the flows to a client and a partition.
type FlowEnv struct {
	Provider FakeProvider
	Store    ports.CacheStore
	// Advance moves the clock both the engine and the provider read.
	Advance func(d time.Duration)
	// Flows returns the engine's flows for the setup's ClientID in partition. Every
	// call returns a new engine (with its own in-process single flight) over the same
	// provider and store.
	Flows func(partition string) Flows
	// ClientFlows returns the flows of clientID — the setup's ClientID or one of its
	// Clients, with its secret — in partition, as Flows does.
	ClientFlows func(clientID, partition string) Flows
	// TenantFlows returns the flows of the setup's ClientID in partition, as Flows does,
	// but bound to the provider's Entra authority of tenant (a tenant id, or
	// organizations) on its own host. Nil when the harness lacks FlowFeatures.GuestTenants.
	TenantFlows func(tenant, partition string) Flows
	// HoldNextRefresh holds the next refresh_token grant the engines send until release
	// is called (entered is closed once it is held); later grants pass. Nil when the
	// harness cannot hold a grant.
	HoldNextRefresh func() (entered <-chan struct{}, release func())
}

// FlowFeatures declares what a harness's fake provider can express. A scenario that
// needs a feature the harness lacks is skipped with a sentence saying so.
type FlowFeatures struct {
	// Families: the provider honours FlowSetup.FamilyID and FlowClient.FamilyID.
	Families bool
	// IssuerInResponse: the provider honours FlowSetup.IssuerInResponse.
	IssuerInResponse bool
	// IDTokenFaults: FakeProvider.SetIDTokenFault takes effect.
	IDTokenFaults bool
	// Tenants: Flows.ClientCredentials reaches a tenant other than the client's own.
	Tenants bool
	// GuestTenants: FlowEnv.TenantFlows is set, the provider honours
	// FlowSetup.ClientInfo, and a user signing in through a tenant other than their home
	// tenant gets that tenant's ID tokens as a B2B guest (its tid, their oid and sub
	// there), with client_info naming the home account, as Entra does.
	GuestTenants bool
}

// FlowHarness builds environments for TestFlows.
type FlowHarness struct {
	// New builds a fresh environment for setup and registers its cleanup. It is called
	// once per scenario.
	New func(t *testing.T, setup FlowSetup) FlowEnv
	// Features declares what the harness's fake provider can express.
	Features FlowFeatures
}

// TestFlows runs the flow scenarios of DESIGN §3 end to end against the harness's
// identity provider and store, so the same scenarios pass on the in-process fake, on
// the HTTP adapter against its fake server, and on every store. Each scenario gets a
// fresh environment; one that needs a feature h lacks is skipped.
func TestFlows(t *testing.T, h FlowHarness) {
	t.Helper()
	for _, sc := range flowScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if sc.needs != nil {
				if why := sc.needs(h.Features); why != "" {
					t.Skip(why)
				}
			}
			setup := flowSetup.clone()
			if sc.setup != nil {
				sc.setup(&setup)
			}
			sc.run(t, h.New(t, setup))
		})
	}
}

// flowScenario is one behaviour of the flows. needs, when set, returns why a harness
// cannot run it ("" when it can); setup, when set, adjusts the shared setup.
type flowScenario struct {
	name  string
	needs func(FlowFeatures) string
	setup func(*FlowSetup)
	run   func(t *testing.T, env FlowEnv)
}

const flowPartition = "tenant-a"

// flowTimeout bounds every flow call of a scenario, so that a hang fails the test.
const flowTimeout = 30 * time.Second

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

// flowContext returns a context that ends with the test or after flowTimeout.
func flowContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), flowTimeout)
	t.Cleanup(cancel)
	return ctx
}

func flowScenarios() []flowScenario {
	return []flowScenario{
		{name: "PasswordThenSilentHitMakesNoProviderCall", run: scenarioSilentHit},
		{name: "SilentAfterExpiryRefreshesOnce", run: scenarioSilentRefresh},
		{name: "ForceRefreshSkipsTheCache", run: scenarioForceRefresh},
		{name: "ConcurrentSilentCallsShareOneRefresh", run: scenarioStampede},
		{name: "RefusedRefreshIsInteractionRequiredAndKeepsTheAccount", run: scenarioRefusedRefresh},
		{name: "NoTokensIsInteractionRequired", run: scenarioNoTokens},
		{name: "AuthCodeFlowCompletesOnceWithClaims", run: scenarioAuthCode},
		{name: "AuthCodeFlowRefusesForgedState", run: scenarioForgedState},
		{name: "PasswordErrorsAreClassified", run: scenarioPasswordErrors},
		{name: "RefreshTokenRedemptionIsCached", run: scenarioRefreshTokenRedemption},
		{name: "AccountsListFilterAndRemove", run: scenarioAccounts},
		{name: "PartitionsIsolateAccountsAndTokens", run: scenarioPartitions},
		{name: "BadInputChangesNothing", run: scenarioBadInput},
		{name: "RepeatedAuthResponseParameterIsRefusedAndTheFlowStaysUsable", run: scenarioRepeatedAuthResponseParameter},
		{name: "DoneContextIsUnavailableOnEveryFlow", run: scenarioDoneContextIsUnavailable},
		{name: "FailedProactiveRefreshServesTheCachedToken", setup: withRefreshIn, run: scenarioProactiveRefreshFails},
		{name: "RefusedFamilyRefreshTokenFallsBackToTheAppsOwn", needs: needFamilies, setup: withFamily, run: scenarioFamilyFallback},
		{name: "FamilyAppSignOutSticks", needs: needFamilies, setup: withFamily, run: scenarioFamilySignOut},
		{name: "RefreshNamingAnotherSubjectIsRefusedAndStoresNothing", needs: needIDTokenFaults, run: scenarioRefreshOtherSubject},
		{name: "IDTokenFaultsAreRefusedAndStoreNothing", needs: needIDTokenFaults, run: scenarioIDTokenFaults},
		{name: "RefreshMustContinueTheCachedIDToken", needs: needIDTokenFaults, run: scenarioRefreshContinuesTheIDToken},
		{name: "AdvertisedIssuerIsRequiredInTheAuthResponse", needs: needIssuerInResponse, setup: withIssuerInResponse, run: scenarioAuthResponseIssuer},
		{name: "ClientCredentialsCachesTheAppToken", setup: withDaemon, run: scenarioClientCredentials},
		{name: "ClientCredentialsCachesAppTokensPerTenant", needs: needTenants, setup: withDaemon, run: scenarioClientCredentialsTenants},
		{name: "LegacyCodeIsRedeemedAndCached", run: scenarioLegacyCode},
		{name: "CaseDistinctSubjectsAreTwoPeople", setup: withCaseDistinctSubjects, run: scenarioCaseDistinctSubjects},
		{name: "RemovalDuringARefreshSticks", run: scenarioRemovalSticks},
		{name: "TwoAuthoritiesSendOneRefreshTokenOnce", needs: needGuestTenants, setup: withClientInfo, run: scenarioTwoAuthoritiesOneRefreshToken},
		{name: "GuestTenantRefreshIsCachedUnderItsRealm", needs: needGuestTenants, setup: withClientInfo, run: scenarioGuestTenantRefresh},
		{name: "SignInWithoutScopesIsForTheIDToken", run: scenarioSignInIDTokenOnly},
		{name: "SilentSignInServesTheCachedIDTokenThenRefreshes", run: scenarioSilentSignIn},
		{name: "SilentSignInNeverServesAnIDTokenOfAnotherAudience", run: scenarioSilentSignInForeignAudience},
		{name: "SilentSignInServesOnlyTheAuthoritysRealm", run: scenarioSilentSignInOtherRealm},
		{name: "SilentSignInInTwoEnginesRefreshesOnce", run: scenarioSilentSignInTwoEngines},
		{name: "SilentSignInWithoutAnIDTokenOnRefreshIsInteractionRequired", setup: withoutIDTokenOnRefresh, run: scenarioSilentSignInNoIDToken},
		{name: "DeviceFlowApprovedAfterPendingIsCached", run: device(scenarioDeviceApproved)},
		{name: "DeviceFlowWithoutScopesSignsIn", run: device(scenarioDeviceSignIn)},
		{name: "DeviceFlowSlowDownWidensTheInterval", run: device(scenarioDeviceSlowDown)},
		{name: "DeviceFlowDenialIsAccessDenied", run: device(scenarioDeviceDenied)},
		{name: "DeviceFlowExpiryIsInteractionRequired", run: device(scenarioDeviceExpired)},
		{name: "DeviceFlowStopsWhenTheContextEnds", run: device(scenarioDeviceCancelled)},
		{name: "DeviceFlowOfAnotherClientIsRefused", setup: withSecondPublicClient, run: device(scenarioDeviceOtherClient)},
		{name: "RemovalByOneAppKeepsAnotherAppsAccount", setup: withSecondPublicClient, run: scenarioRemovalKeepsAnotherAppsAccount},
		{name: "FamilyRemovalKeepsTheSiblingsAccountUntilItSignsOut", needs: needFamilies, setup: withFamily, run: scenarioFamilyRemovalKeepsTheSiblingsAccount},
	}
}

// The features a scenario may need, each with the sentence its skip says.
var (
	needFamilies = need(func(f FlowFeatures) bool { return f.Families },
		"the harness's provider cannot put clients in a family (FlowFeatures.Families)")
	needIDTokenFaults = need(func(f FlowFeatures) bool { return f.IDTokenFaults },
		"the harness's provider cannot issue faulty ID tokens (FlowFeatures.IDTokenFaults)")
	needIssuerInResponse = need(func(f FlowFeatures) bool { return f.IssuerInResponse },
		"the harness's provider cannot send iss in authorization responses (FlowFeatures.IssuerInResponse)")
	needTenants = need(func(f FlowFeatures) bool { return f.Tenants },
		"the harness cannot reach another tenant's authority (FlowFeatures.Tenants)")
	needGuestTenants = need(func(f FlowFeatures) bool { return f.GuestTenants },
		"the harness's provider cannot sign a user in to a tenant as a guest (FlowFeatures.GuestTenants)")
)

// need returns a scenario's needs: "" when has says the feature is there, else why not.
func need(has func(FlowFeatures) bool, why string) func(FlowFeatures) string {
	return func(f FlowFeatures) string {
		if has(f) {
			return ""
		}
		return why
	}
}
