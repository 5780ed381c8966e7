package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// The examples run every flow against the in-process fake identity provider of
// adapters/memory, with a clock they move by hand.

const (
	authority = "https://login.example.com/tenant-a"
	clientID  = "my-app"
	webApp    = "my-web-app"
)

var exampleStart = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// newFake returns a fake provider with three users: alice (password "correct horse"),
// bob (who must use multi-factor authentication) and carol (who refuses consent).
func newFake(clock *memory.Clock) *memory.IdentityProvider {
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock,
		Users: []memory.User{
			{Username: "alice@example.com", Password: "correct horse", Name: "Alice"},
			{Username: "bob@example.com", Password: "battery staple", RequireMFA: true},
			{Username: "carol@example.com", Password: "pw", DeniesConsent: true},
		},
		Clients: []memory.Client{
			{ID: clientID},
			{ID: webApp, Secret: "web-secret", RedirectURIs: []string{"https://app.example.com/callback"}},
		},
		Scopes:              []string{"api://orders/read", "api://orders/write"},
		RotateRefreshTokens: true,
	})
	if err != nil {
		panic(err)
	}
	return idp
}

func newPublicClient(ctx context.Context, idp *memory.IdentityProvider, clock *memory.Clock) *app.PublicClient {
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, Cache: "memory:",
		IdentityProvider: idp, Clock: clock,
	})
	if err != nil {
		panic(err)
	}
	return pc
}

var readOrders = []string{"api://orders/read"}

// Silent acquisition: list the accounts, try the cache, fall back to signing in when
// nothing is cached, then force a refresh.
func ExamplePublicClient_AcquireTokenSilent() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()

	accounts, _ := pc.Accounts(ctx)
	var result app.AuthResult
	var err error
	if len(accounts) > 0 {
		result, err = pc.AcquireTokenSilent(ctx, readOrders, accounts[0])
	} else {
		err = domain.ErrNoTokens // nothing cached yet
	}
	if errors.Is(err, domain.ErrInteractionRequired) {
		fmt.Println("no cached token: signing in")
		result, err = pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	}
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("signed in as", result.Account.Username, "from", result.TokenSource)

	again, _ := pc.AcquireTokenSilent(ctx, readOrders, result.Account)
	fmt.Println("second call from", again.TokenSource, "same token:", again.AccessToken == result.AccessToken)

	clock.Advance(2 * time.Hour) // past expiry: the refresh token is redeemed
	later, _ := pc.AcquireTokenSilent(ctx, readOrders, result.Account)
	fmt.Println("after expiry from", later.TokenSource)

	forced, _ := pc.AcquireTokenSilent(ctx, readOrders, result.Account, app.WithForceRefresh())
	fmt.Println("forced from", forced.TokenSource, "new token:", forced.AccessToken != later.AccessToken)
	fmt.Println("password grants:", idp.Calls(domain.GrantPassword), "refresh grants:", idp.Calls(domain.GrantRefreshToken))
	// Output:
	// no cached token: signing in
	// signed in as alice@example.com from identity_provider
	// second call from cache same token: true
	// after expiry from identity_provider
	// forced from identity_provider new token: true
	// password grants: 1 refresh grants: 2
}

// A web app's authorization-code flow: initiate, keep the flow in the user's session,
// complete it with the redirect's query, and read the ID-token claims.
func ExampleConfidentialClient_AcquireTokenByAuthCodeFlow() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(ctx, app.Config{
		ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock,
	}, app.ClientSecret("web-secret"))
	if err != nil {
		panic(err)
	}
	defer cc.Close()

	// 1. /login: start the flow and keep it server-side.
	flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback")
	if err != nil {
		panic(err)
	}
	session, _ := json.Marshal(flow)

	// 2. The browser visits flow.AuthURI; the user signs in and is redirected back.
	redirect, _ := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	callback := "https://app.example.com/callback?" + redirect.Encode()

	// 3. /callback: restore the flow and complete it with the query.
	var restored app.AuthCodeFlow
	_ = json.Unmarshal(session, &restored)
	u, _ := url.Parse(callback)
	result, err := cc.AcquireTokenByAuthCodeFlow(ctx, restored, u.Query())
	if err != nil {
		panic(err)
	}
	fmt.Println("hello", result.IDTokenClaims.Name, "<"+result.IDTokenClaims.PreferredUsername+">")
	fmt.Println("scopes:", result.Scopes)

	// A forged redirect (another state) is refused before any code is redeemed.
	flow2, _ := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback")
	_, err = cc.AcquireTokenByAuthCodeFlow(ctx, flow2, url.Values{"state": {"forged"}, "code": {"stolen"}})
	fmt.Println("forged state refused:", errors.Is(err, domain.ErrStateMismatch))

	// A user who declines consent comes back with error=access_denied.
	flow3, _ := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback")
	denied, _ := idp.Authorize(ctx, flow3.AuthURI, "carol@example.com")
	_, err = cc.AcquireTokenByAuthCodeFlow(ctx, flow3, denied)
	fmt.Println("consent declined:", errors.Is(err, domain.ErrAccessDenied))
	// Output:
	// hello Alice <alice@example.com>
	// scopes: [api://orders/read offline_access openid profile]
	// forged state refused: true
	// consent declined: true
}

// Username and password (ROPC): success, a wrong password, and a user who must use
// multi-factor authentication.
func ExamplePublicClient_AcquireTokenByUsernamePassword() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()

	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	fmt.Println("alice:", res.TokenType, err)

	_, err = pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "wrong", readOrders)
	fmt.Println("wrong password is invalid_grant:", errors.Is(err, domain.ErrInvalidGrant))

	_, err = pc.AcquireTokenByUsernamePassword(ctx, "bob@example.com", "battery staple", readOrders)
	var de *domain.Error
	if errors.Is(err, domain.ErrInteractionRequired) && errors.As(err, &de) {
		fmt.Println("bob needs interaction; suberror:", de.SubError, "claims challenge:", de.Claims != "")
	}

	_, err = pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"api://payroll/read"})
	fmt.Println("unknown scope is invalid_scope:", errors.Is(err, domain.ErrInvalidScope))
	// Output:
	// alice: Bearer <nil>
	// wrong password is invalid_grant: true
	// bob needs interaction; suberror: basic_action claims challenge: true
	// unknown scope is invalid_scope: true
}

// Redeeming a refresh token obtained elsewhere returns the new (rotated) refresh token
// and caches the tokens, so silent calls find them.
func ExamplePublicClient_AcquireTokenByRefreshToken() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	first, _ := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)

	// A second process (with its own empty cache) migrates the user by refresh token.
	other := newPublicClient(ctx, idp, clock)
	defer other.Close()
	res, err := other.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), readOrders)
	fmt.Println("redeemed:", err == nil, "rotated:", res.RefreshToken != first.RefreshToken && res.RefreshToken != "")
	silent, err := other.AcquireTokenSilent(ctx, readOrders, res.Account)
	fmt.Println("then silent from", silent.TokenSource, err)

	_, err = other.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), readOrders)
	fmt.Println("the old token is refused:", errors.Is(err, domain.ErrInteractionRequired))
	// Output:
	// redeemed: true rotated: true
	// then silent from cache <nil>
	// the old token is refused: true
}

// Listing, filtering and removing accounts, then silent calls per account.
func ExamplePublicClient_Accounts() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp, _ := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "a"}, {Username: "dave@example.com", Password: "d"}},
		Clients: []memory.Client{{ID: clientID}},
	})
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	_, _ = pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "a", readOrders)
	_, _ = pc.AcquireTokenByUsernamePassword(ctx, "dave@example.com", "d", readOrders)

	all, _ := pc.Accounts(ctx)
	for _, a := range all {
		res, err := pc.AcquireTokenSilent(ctx, readOrders, a)
		fmt.Println(a.Username, res.TokenSource, err)
	}
	daves, _ := pc.Accounts(ctx, app.WithUsername("DAVE@example.com"))
	fmt.Println("filtered:", len(daves), daves[0].Username)

	_ = pc.RemoveAccount(ctx, daves[0])
	left, _ := pc.Accounts(ctx)
	fmt.Println("after removal:", len(left), left[0].Username)
	_, err := pc.AcquireTokenSilent(ctx, readOrders, daves[0])
	fmt.Println("removed account needs sign-in:", errors.Is(err, domain.ErrInteractionRequired))
	// Output:
	// alice@example.com cache <nil>
	// dave@example.com cache <nil>
	// filtered: 1 dave@example.com
	// after removal: 1 alice@example.com
	// removed account needs sign-in: true
}

// Legacy authorization-code redemption: the app built the URL itself and got a code.
func ExampleConfidentialClient_AcquireTokenByAuthorizationCode() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{
		ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock,
	}, app.ClientSecret("web-secret"))
	defer cc.Close()

	verifier := "a-verifier-of-at-least-forty-three-characters-xyz"
	authURL, _ := cc.AuthorizationURL(ctx, readOrders, "https://app.example.com/callback",
		app.WithState("s1"), app.WithCodeChallenge(domain.S256Challenge(verifier)))
	redirect, _ := idp.Authorize(ctx, authURL, "alice@example.com")

	res, err := cc.AcquireTokenByAuthorizationCode(ctx, redirect.Get("code"), "https://app.example.com/callback", readOrders,
		app.WithCodeVerifier(verifier))
	fmt.Println(res.Account.Username, res.TokenSource, err)

	_, err = cc.AcquireTokenByAuthorizationCode(ctx, redirect.Get("code"), "https://app.example.com/callback", readOrders,
		app.WithCodeVerifier(verifier))
	fmt.Println("a code works once:", errors.Is(err, domain.ErrInvalidGrant))
	// Output:
	// alice@example.com identity_provider <nil>
	// a code works once: true
}

// The errors a caller acts on, and what each means.
func Example_errorHandling() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, _ := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)

	idp.RevokeRefreshTokens("alice@example.com")
	_, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account, app.WithForceRefresh())
	fmt.Println("revoked refresh token -> interaction required:", errors.Is(err, domain.ErrInteractionRequired))

	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("not-the-secret"))
	defer cc.Close()
	_, err = cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	fmt.Println("bad client secret -> invalid client:", errors.Is(err, domain.ErrInvalidClient))

	_, err = pc.AcquireTokenSilent(ctx, readOrders, app.Account{})
	fmt.Println("no account -> invalid input:", errors.Is(err, domain.ErrInvalidInput))
	// Output:
	// revoked refresh token -> interaction required: true
	// bad client secret -> invalid client: true
	// no account -> invalid input: true
}

// Partitions isolate tenants: a token cached in one is invisible from another.
func ExamplePublicClient_Partition() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()

	tenant42 := pc.Partition("tenant-42")
	res, _ := tenant42.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)

	in42, _ := tenant42.Accounts(ctx)
	in7, _ := pc.Partition("tenant-7").Accounts(ctx)
	fmt.Println("tenant-42:", len(in42), "tenant-7:", len(in7))
	_, err := pc.Partition("tenant-7").AcquireTokenSilent(ctx, readOrders, res.Account)
	fmt.Println("tenant-7 silent:", errors.Is(err, domain.ErrNoTokens))
	// Output:
	// tenant-42: 1 tenant-7: 0
	// tenant-7 silent: true
}

// A daemon's app token (client credentials): cached per client and tenant.
func ExampleConfidentialClient_AcquireTokenForClient() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	for range 3 {
		res, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
		fmt.Println(res.TokenSource, res.Account.HomeAccountID == "", err)
	}
	fmt.Println("client credential grants:", idp.Calls(domain.GrantClientCredentials))
	// Output:
	// identity_provider true <nil>
	// cache true <nil>
	// cache true <nil>
	// client credential grants: 1
}

// signInBrowser is a ports.Browser that plays the user: it signs username in at the
// fake provider and follows the redirect back to the app's loopback listener.
type signInBrowser struct {
	idp      *memory.IdentityProvider
	username string
}

func (b signInBrowser) Open(ctx context.Context, authURL string) error {
	redirect, err := b.idp.Authorize(ctx, authURL, b.username)
	if err != nil {
		return err
	}
	u, _ := url.Parse(authURL)
	go func() {
		hc := &http.Client{Timeout: 10 * time.Second}
		if resp, err := hc.Get(u.Query().Get("redirect_uri") + "?" + redirect.Encode()); err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

// Interactive sign-in for a command-line or desktop app: the redirect comes back to a
// listener on 127.0.0.1. Give ctx a deadline: it bounds the wait for the user.
func ExamplePublicClient_AcquireTokenInteractive() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc, err := app.NewPublicClient(ctx, app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: idp, Clock: clock,
		Browser: signInBrowser{idp: idp, username: "alice@example.com"}, // nil: the system browser
	})
	if err != nil {
		panic(err)
	}
	defer pc.Close()

	res, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithLoginHint("alice@example.com"))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("signed in as", res.Account.Username, "from", res.TokenSource)
	again, _ := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
	fmt.Println("then silent from", again.TokenSource)
	// Output:
	// signed in as alice@example.com from identity_provider
	// then silent from cache
}

// A provider that matches redirect URIs exactly, port included, needs a fixed port:
// register http://127.0.0.1:8400/ with it and pass the same port.
func ExampleWithRedirectPort() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: clientID, Authority: "https://login.microsoftonline.com/organizations"})
	if err != nil {
		panic(err)
	}
	defer pc.Close()
	res, err := pc.AcquireTokenInteractive(ctx, []string{"https://graph.microsoft.com/User.Read"}, app.WithRedirectPort(8400))
	if errors.Is(err, domain.ErrUnavailable) {
		fmt.Println("port 8400 is taken:", err) // another process holds it
		return
	}
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in as", res.Account.Username)
}

// Printing or logging a Config never shows its secrets.
func ExampleConfig_String() {
	cfg := app.Config{
		ClientID: clientID, Authority: authority,
		Cache:      "postgres://hexauth:s3cret@db.example.com/tokens",
		SealingKey: make([]byte, 32),
	}
	fmt.Println(cfg)
	// Output:
	// {ClientID:my-app Authority:https://login.example.com/tenant-a AuthorityKind: Cache:postgres://hexauth:xxxxx@db.example.com/tokens CacheStore:<nil> ExpiryBuffer:0s FlowMaxAge:0s InsecureSkipSignatureCheck:false Logger:<nil> SealingKey:set (32 bytes) IdentityProvider:<nil> Clock:<nil> Browser:<nil> HTTPClient:<nil> Transport:<nil> AllowedHosts:[]}
}

// A provider that sends no ID token on a refresh (Google, Okta, some Keycloak set-ups):
// WithAccount names the account the refresh token belongs to, so the response and its
// rotated refresh token are cached under it. Without it, nothing would be cached and
// the result's Account would be zero: the caller would keep res.RefreshToken itself.
func ExampleWithAccount() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp, _ := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock: clock, RotateRefreshTokens: true, OmitIDTokenOnRefresh: true,
		Users:   []memory.User{{Username: "alice@example.com", Password: "correct horse"}},
		Clients: []memory.Client{{ID: clientID}},
	})
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	first, _ := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)

	res, err := pc.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), readOrders, app.WithAccount(first.Account))
	fmt.Println("redeemed:", err == nil, "cached under:", res.Account.Username)
	silent, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account)
	fmt.Println("then silent from", silent.TokenSource, silent.AccessToken == res.AccessToken, err)
	// Output:
	// redeemed: true cached under: alice@example.com
	// then silent from cache true <nil>
}
