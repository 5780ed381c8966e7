package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// The examples below are the rows of docs/flows.md "MSAL's silent calls and errors":
// each produces one outcome MSAL Python reports against the fake provider and shows
// the errors.Is class hexauth gives it, and the "error" of MSAL's error dictionary
// (app.MSALErrorOf) a caller ported from MSAL would read.

// signedIn returns a public client with alice signed in, its fake provider and clock.
func signedIn(ctx context.Context) (*app.PublicClient, *memory.IdentityProvider, *memory.Clock, app.Account) {
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		panic(err)
	}
	return pc, idp, clock, res.Account
}

// refusedRefresh makes the provider answer the next refresh as refusal does, and
// returns what a forced silent call gets.
func refusedRefresh(refusal *domain.Error) error {
	ctx := context.Background()
	pc, idp, _, account := signedIn(ctx)
	defer pc.Close()
	idp.FailNext(domain.GrantRefreshToken, refusal)
	_, err := pc.AcquireTokenSilent(ctx, readOrders, account, app.WithForceRefresh())
	return err
}

// acquire_token_silent returns None, and acquire_token_silent_with_error None too, when
// nothing is cached for the account: hexauth's ErrNoTokens, a kind of interaction
// required.
func Example_msalSilentNothingCached() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	stranger := app.Account{HomeAccountID: "someone-else", Environment: "login.example.com", Realm: "tenant-a"}
	_, err := pc.AcquireTokenSilent(ctx, readOrders, stranger)
	fmt.Println(errors.Is(err, domain.ErrNoTokens), errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true true no_tokens
}

// acquire_token_silent_with_error returns {"error": "invalid_grant"} when the refresh
// token was revoked or expired (acquire_token_silent: None): interaction required.
func Example_msalSilentInvalidGrant() {
	ctx := context.Background()
	pc, idp, _, account := signedIn(ctx)
	defer pc.Close()
	idp.RevokeRefreshTokens("alice@example.com")
	_, err := pc.AcquireTokenSilent(ctx, readOrders, account, app.WithForceRefresh())
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true invalid_grant
}

// {"error": "interaction_required", "suberror": "basic_action", "claims": ...}: conditional
// access wants more; sign in again, passing the claims with WithClaims.
func Example_msalInteractionRequired() {
	err := refusedRefresh(&domain.Error{Code: "interaction_required", SubError: "basic_action", HTTPStatus: 400,
		Claims: `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`})
	var de *domain.Error
	errors.As(err, &de)
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).SubError, de.Claims != "")
	// Output: true basic_action true
}

// {"error": "login_required"}: the session at the provider ended.
func Example_msalLoginRequired() {
	err := refusedRefresh(&domain.Error{Code: "login_required", HTTPStatus: 400})
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true login_required
}

// {"error": "consent_required"}: the user (or an admin) must consent to a scope.
func Example_msalConsentRequired() {
	err := refusedRefresh(&domain.Error{Code: "consent_required", HTTPStatus: 400})
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true consent_required
}

// {"error": "unauthorized_client"} on a refresh is not cured by signing in again: it
// keeps its class, invalid client (MSAL returns it as is).
func Example_msalUnauthorizedClient() {
	err := refusedRefresh(&domain.Error{Code: "unauthorized_client", HTTPStatus: 400})
	fmt.Println(errors.Is(err, domain.ErrInvalidClient), errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true false unauthorized_client
}

// {"error": "temporarily_unavailable"} (or a 5xx): try again later; a cached token
// still valid would have been served.
func Example_msalTemporarilyUnavailable() {
	err := refusedRefresh(&domain.Error{Code: "temporarily_unavailable", HTTPStatus: 503})
	fmt.Println(errors.Is(err, domain.ErrUnavailable), app.MSALErrorOf(err).Error)
	// Output: true temporarily_unavailable
}

// A 429 with Retry-After: MSAL Python answers identical requests from its throttle
// cache; hexauth says ErrThrottled with RetryAfter.
func Example_msalThrottled() {
	err := refusedRefresh(&domain.Error{HTTPStatus: 429, RetryAfter: 30 * time.Second})
	var de *domain.Error
	errors.As(err, &de)
	fmt.Println(errors.Is(err, domain.ErrThrottled), de.RetryAfter, app.MSALErrorOf(err).Error)
	// Output: true 30s throttled
}

// {"error": "invalid_client"}: a wrong or expired client secret.
func Example_msalInvalidClient() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: newFake(clock), Clock: clock},
		app.ClientSecret("not-the-secret"))
	defer cc.Close()
	_, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	fmt.Println(errors.Is(err, domain.ErrInvalidClient), app.MSALErrorOf(err).Error)
	// Output: true invalid_client
}

// {"error": "invalid_grant"} from acquire_token_by_username_password: a wrong password
// (not interaction required: ask for the password again).
func Example_msalWrongPassword() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	_, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "wrong", readOrders)
	fmt.Println(errors.Is(err, domain.ErrInvalidGrant), errors.Is(err, domain.ErrInteractionRequired), app.MSALErrorOf(err).Error)
	// Output: true false invalid_grant
}

// {"error": "invalid_grant", "error_codes": [50076]} from a password grant: the user
// must do MFA, which only an interactive flow can.
func Example_msalPasswordNeedsMFA() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	_, err := pc.AcquireTokenByUsernamePassword(ctx, "bob@example.com", "battery staple", readOrders)
	e := app.MSALErrorOf(err)
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), e.Error, e.ErrorCodes)
	// Output: true invalid_grant [50076]
}

// {"error": "invalid_scope"}: a scope the provider does not know.
func Example_msalInvalidScope() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	_, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"api://unknown/read"})
	fmt.Println(errors.Is(err, domain.ErrInvalidScope), app.MSALErrorOf(err).Error)
	// Output: true invalid_scope
}

// webFlow initiates a web app's flow and has username sign in at the fake provider.
func webFlow(ctx context.Context, username string, opts ...app.AuthCodeOption) (*app.ConfidentialClient, *memory.IdentityProvider, *memory.Clock, app.AuthCodeFlow, url.Values) {
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	flow, _ := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", opts...)
	resp, _ := idp.Authorize(ctx, flow.AuthURI, username)
	return cc, idp, clock, flow, resp
}

// {"error": "access_denied"} in the redirect of acquire_token_by_auth_code_flow: the
// user declined consent.
func Example_msalAccessDenied() {
	ctx := context.Background()
	cc, _, _, flow, resp := webFlow(ctx, "carol@example.com")
	defer cc.Close()
	_, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(errors.Is(err, domain.ErrAccessDenied), app.MSALErrorOf(err).Error)
	// Output: true access_denied
}

// MSAL raises ValueError("state mismatch") for a redirect of another flow: hexauth's
// ErrStateMismatch, before any request.
func Example_msalStateMismatch() {
	ctx := context.Background()
	cc, _, _, flow, resp := webFlow(ctx, "alice@example.com")
	defer cc.Close()
	resp.Set("state", "another-flows-state")
	_, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(errors.Is(err, domain.ErrStateMismatch), app.MSALErrorOf(err).Error)
	// Output: true state_mismatch
}

// MSAL raises for an ID token whose nonce is not the flow's: ErrNonceMismatch.
func Example_msalNonceMismatch() {
	ctx := context.Background()
	cc, idp, _, flow, resp := webFlow(ctx, "alice@example.com")
	defer cc.Close()
	idp.SetIDTokenFault(memory.IDTokenWrongNonce)
	_, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(errors.Is(err, domain.ErrNonceMismatch), app.MSALErrorOf(err).Error)
	// Output: true nonce_mismatch
}

// MSAL raises when max_age was sent and auth_time is missing or too old (OIDC Core
// 3.1.3.7 item 13): ErrInvalidIDToken.
func Example_msalMaxAge() {
	ctx := context.Background()
	cc, _, clock, flow, resp := webFlow(ctx, "alice@example.com", app.WithMaxAge(time.Minute))
	defer cc.Close()
	clock.Advance(10 * time.Minute) // the user signed in 10 minutes ago
	_, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(errors.Is(err, domain.ErrInvalidIDToken), app.MSALErrorOf(err).Error)
	// Output: true invalid_id_token
}

// A flow completed twice, edited, or older than 15 minutes (MSAL: the flow's state is
// spent or unknown): ErrInvalidFlow.
func Example_msalFlowReused() {
	ctx := context.Background()
	cc, _, _, flow, resp := webFlow(ctx, "alice@example.com")
	defer cc.Close()
	_, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(err)
	_, err = cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(errors.Is(err, domain.ErrInvalidFlow), app.MSALErrorOf(err).Error)
	// Output:
	// <nil>
	// true invalid_flow
}
