package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A web app using form_post: the provider has the browser POST the response to the
// callback, which reads it with ReadAuthResponse and completes the flow in the mode it
// arrived by. The same handler serves query responses.
func ExampleReadAuthResponse() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	defer cc.Close()

	flow, _ := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback",
		app.WithResponseMode(app.ResponseModeFormPost))
	fields, _ := idp.Authorize(ctx, flow.AuthURI, "alice@example.com") // what the provider's page posts

	callback := func(w http.ResponseWriter, r *http.Request) {
		resp, mode, err := app.ReadAuthResponse(r)
		if err != nil {
			http.Error(w, "bad response", http.StatusBadRequest)
			return
		}
		res, err := cc.AcquireTokenByAuthCodeFlow(r.Context(), flow, resp, app.WithResponseMode(mode))
		fmt.Println(mode, res.Account.Username, err)
	}
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com/callback", strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	callback(httptest.NewRecorder(), r)
	// Output: form_post alice@example.com <nil>
}

// Extra parameters, MSAL's **kwargs: a provider extension on the authorization URL; a
// protocol parameter is refused.
func ExampleWithExtraQueryParameters() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: newFake(clock), Clock: clock},
		app.ClientSecret("web-secret"))
	defer cc.Close()
	uri, _ := cc.AuthorizationURL(ctx, readOrders, "", app.WithExtraQueryParameters(url.Values{"idp": {"github"}}))
	u, _ := url.Parse(uri)
	fmt.Println(u.Query().Get("idp"), u.Query().Has("redirect_uri"))
	_, err := cc.AuthorizationURL(ctx, readOrders, "", app.WithExtraQueryParameters(url.Values{"Redirect_URI": {"https://evil.example/"}}))
	fmt.Println(err)
	// Output:
	// github false
	// hexauth: invalid_input: auth code: authorization URL: extra parameter "Redirect_URI" would override the protocol parameter hexauth sets; use its option instead
}

// max_age: the user must have signed in within the last 10 minutes; the result's
// claims carry when they did.
func ExampleWithMaxAge() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, _ := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	defer cc.Close()
	flow, _ := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", app.WithMaxAge(10*time.Minute))
	resp, _ := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	fmt.Println(*flow.MaxAge, res.IDTokenClaims.AuthTime.Format(time.RFC3339), err)
	// Output: 600 2026-11-26T09:00:00Z <nil>
}

// A sign-in without API scopes: the result is for the ID token, which silent then
// serves from the cache, and refreshes (with openid profile offline_access only) once
// it is within the expiry buffer of its exp. BearerToken refuses to hand it to an API.
func ExamplePublicClient_AcquireTokenSilent_idTokenOnly() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()

	res, _ := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", nil)
	_, err := res.BearerToken()
	fmt.Println(res.For, res.IDTokenClaims.Name, res.ExpiresOn.Equal(res.IDTokenClaims.Expiry), err != nil)

	hit, _ := pc.AcquireTokenSilent(ctx, nil, res.Account)
	fmt.Println(hit.TokenSource, hit.IDToken == res.IDToken)

	clock.Advance(58 * time.Minute)
	fresh, _ := pc.AcquireTokenSilent(ctx, nil, res.Account)
	fmt.Println(fresh.TokenSource, fresh.IDToken != res.IDToken, idp.Calls(domain.GrantRefreshToken))
	// Output:
	// id_token Alice true true
	// cache true
	// identity_provider true 1
}
