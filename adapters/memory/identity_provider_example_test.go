package memory_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

// ExampleIdentityProvider sets up the fake provider with one user and one public
// client, signs the user in with an auth code flow and PKCE, redeems the code, and
// scripts a refused refresh.
func ExampleIdentityProvider() {
	ctx := context.Background()
	clock := memory.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@contoso.example", Password: "example-only", TenantID: "contoso-tenant"}},
		Clients: []memory.Client{{ID: "my-app", RedirectURIs: []string{"http://localhost:8400/"}}},
		Scopes:  []string{"api://orders/read"},
	})
	if err != nil {
		log.Fatal(err)
	}
	authority, _ := domain.ParseAuthority("https://login.microsoftonline.com/organizations", domain.AuthorityAuto)

	// The application builds the authorization URL; the "user" signs in at it.
	pkce, _ := domain.NewPKCE(rand.Reader)
	authURL, _ := idp.AuthorizationURL(ctx, authority, domain.AuthorizationRequest{
		ClientID: "my-app", RedirectURI: "http://localhost:8400/", State: "xyz", Nonce: "n-0S6",
		Scopes: domain.WithReservedScopes([]string{"api://orders/read"}), CodeChallenge: pkce.Challenge,
	})
	redirect, _ := idp.Authorize(ctx, authURL, "alice@contoso.example")
	fmt.Println("state:", redirect.Get("state"))

	// The application redeems the code with its verifier.
	resp, err := idp.Token(ctx, domain.TokenRequest{
		Authority: authority, ClientID: "my-app", Grant: domain.GrantAuthorizationCode,
		Code: domain.Secret(redirect.Get("code")), CodeVerifier: pkce.Verifier, RedirectURI: "http://localhost:8400/",
	})
	if err != nil {
		log.Fatal(err)
	}
	_, claims, _ := domain.ParseIDToken(string(resp.IDToken))
	fmt.Println("signed in:", claims.PreferredUsername, "at", claims.Issuer)
	fmt.Println("scopes:", resp.Scope, "expires in:", resp.ExpiresIn)

	// Script a failure: the user's refresh tokens are revoked.
	idp.RevokeRefreshTokens("alice@contoso.example")
	_, err = idp.Token(ctx, domain.TokenRequest{Authority: authority, ClientID: "my-app",
		Grant: domain.GrantRefreshToken, RefreshToken: resp.RefreshToken})
	fmt.Println("refresh after revocation:", err)
	fmt.Println("token requests:", idp.Calls(domain.GrantAuthorizationCode), idp.Calls(domain.GrantRefreshToken))
	// Output:
	// state: xyz
	// signed in: alice@contoso.example at https://login.microsoftonline.com/contoso-tenant/v2.0
	// scopes: [api://orders/read offline_access openid profile] expires in: 1h0m0s
	// refresh after revocation: hexauth: memory: token: interaction_required (invalid_grant): AADSTS70008: The provided authorization code or refresh token has expired due to inactivity or has been revoked. [HTTP 400]
	// token requests: 1 1
}
