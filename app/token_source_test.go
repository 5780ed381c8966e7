package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// aliceSignedIn returns a public client over the fake with alice signed in for readOrders.
func aliceSignedIn(t *testing.T, cfg memory.ProviderConfig) (*app.PublicClient, *memory.IdentityProvider, *memory.Clock, app.AuthResult) {
	t.Helper()
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	cfg.Clock = clock
	cfg.Users = []memory.User{{Username: "alice@example.com", Password: "correct horse", Name: "Alice"}}
	cfg.Clients = []memory.Client{{ID: clientID}}
	cfg.Scopes = []string{"api://orders/read"}
	idp, err := memory.NewIdentityProvider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc := newPublicClient(ctx, idp, clock)
	t.Cleanup(func() { pc.Close() })
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	return pc, idp, clock, res
}

func TestTokenSource_Token_isTheCachedAccessToken(t *testing.T) {
	pc, idp, _, res := aliceSignedIn(t, memory.ProviderConfig{})
	tok, err := app.TokenSource(context.Background(), pc, readOrders, res.Account).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != string(res.AccessToken) || tok.TokenType != "Bearer" {
		t.Fatalf("Token() = %q %q; want the cached access token, Bearer", tok.TokenType, tok.AccessToken)
	}
	if want := res.ExpiresOn.Add(-5 * time.Minute); !tok.Expiry.Equal(want) {
		t.Errorf("Expiry = %v; want expires_on - 5 min = %v (when hexauth stops serving it)", tok.Expiry, want)
	}
	if tok.RefreshToken != "" {
		t.Error("RefreshToken is set; a handed-out refresh token could be rotated behind the cache")
	}
	if got, _ := tok.Extra("id_token").(string); got == "" || got != string(res.IDToken) {
		t.Errorf("Extra(id_token) = %q; want the raw ID token", got)
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 0 {
		t.Errorf("refresh grants = %d; want 0 (served from the cache)", n)
	}
}

func TestTokenSource_Token_expiryIsRefreshOn(t *testing.T) {
	pc, _, _, res := aliceSignedIn(t, memory.ProviderConfig{RefreshIn: 20 * time.Minute})
	tok, err := app.TokenSource(context.Background(), pc, readOrders, res.Account).Token()
	if err != nil {
		t.Fatal(err)
	}
	if want := exampleStart.Add(20 * time.Minute); !tok.Expiry.Equal(want) {
		t.Errorf("Expiry = %v; want refresh_on %v (hexauth refreshes then)", tok.Expiry, want)
	}
}

func TestTokenSource_Token_refusesAnIDTokenOnlySignIn(t *testing.T) {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{"openid"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := app.TokenSource(ctx, pc, []string{"openid", "profile"}, res.Account).Token()
	if !errors.Is(err, domain.ErrInvalidInput) || tok != nil {
		t.Fatalf("Token() = %v, %v; want nil, ErrInvalidInput (an ID token is never a bearer token)", tok, err)
	}
}

func TestTokenSource_Token_keepsTheErrorClass(t *testing.T) {
	pc, _, _, res := aliceSignedIn(t, memory.ProviderConfig{})
	ctx := context.Background()
	if err := pc.RemoveAccount(ctx, res.Account); err != nil {
		t.Fatal(err)
	}
	src := oauth2.ReuseTokenSource(nil, app.TokenSource(ctx, pc, readOrders, res.Account))
	if _, err := src.Token(); !errors.Is(err, domain.ErrNoTokens) {
		t.Fatalf("Token() after RemoveAccount = %v; want ErrNoTokens through ReuseTokenSource", err)
	}
}

func TestTokenSource_Token_usesItsContext(t *testing.T) {
	pc, _, _, res := aliceSignedIn(t, memory.ProviderConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	src := app.TokenSource(ctx, pc, readOrders, res.Account, app.WithForceRefresh())
	cancel()
	if _, err := src.Token(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Token() with its ctx cancelled = %v; want context.Canceled", err)
	}
}

// Many goroutines through the ReuseTokenSource oauth2.NewClient adds, after the token
// expired: one refresh at the provider, every caller gets the new token.
func TestTokenSource_Token_concurrentCallersShareOneRefresh(t *testing.T) {
	pc, idp, clock, res := aliceSignedIn(t, memory.ProviderConfig{})
	src := oauth2.ReuseTokenSource(nil, app.TokenSource(context.Background(), pc, readOrders, res.Account))
	clock.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	errs := make([]error, 16)
	for i := range tokens {
		wg.Go(func() {
			tok, err := src.Token()
			if err == nil {
				tokens[i] = tok.AccessToken
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] == "" || tokens[i] == string(res.AccessToken) || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %v, %q; want the one refreshed token", i, errs[i], tokens[i])
		}
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Errorf("refresh grants = %d; want 1", n)
	}
}

func TestClientCredentialsTokenSource_Token(t *testing.T) {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	src := app.ClientCredentialsTokenSource(ctx, cc, []string{"api://orders/.default"})
	first, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	second, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if first.AccessToken == "" || first.AccessToken != second.AccessToken || first == second {
		t.Errorf("two Token calls = %q, %q (same pointer %v); want the cached token, a new *Token each", first.AccessToken, second.AccessToken, first == second)
	}
	if n := idp.Calls(domain.GrantClientCredentials); n != 1 {
		t.Errorf("client credential grants = %d; want 1", n)
	}
	if !first.Expiry.After(exampleStart) {
		t.Errorf("Expiry = %v; want in the future", first.Expiry)
	}
	if _, err := app.ClientCredentialsTokenSource(ctx, cc, nil).Token(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Token() without scopes = %v; want ErrInvalidInput", err)
	}
}

// An API called through oauth2.NewClient over the TokenSource: the cached access token
// goes out as a bearer token.
func ExampleTokenSource() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		panic(err)
	}

	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization") == "Bearer "+string(res.AccessToken))
	}))
	defer api.Close()

	httpClient := oauth2.NewClient(ctx, app.TokenSource(ctx, pc, readOrders, res.Account))
	resp, err := httpClient.Get(api.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var sent bool
	fmt.Fscan(resp.Body, &sent)
	fmt.Println("API saw the cached access token:", sent)
	fmt.Println("refresh grants:", idp.Calls(domain.GrantRefreshToken))
	// Output:
	// API saw the cached access token: true
	// refresh grants: 0
}

// A refresh_on that passed while the provider was down: hexauth keeps serving the
// cached token, and the Expiry says when asking again can help: not already passed
// (every call would look expired), not only at expiry (the refresh would wait).
func TestTokenSource_Token_failedRefreshIsAskedAgainWhenTheEngineRetries(t *testing.T) {
	pc, idp, clock, res := aliceSignedIn(t, memory.ProviderConfig{RefreshIn: 20 * time.Minute})
	clock.Advance(25 * time.Minute)
	idp.FailNext(domain.GrantRefreshToken, &domain.Error{Code: "temporarily_unavailable", HTTPStatus: http.StatusServiceUnavailable})
	tok, err := app.TokenSource(context.Background(), pc, readOrders, res.Account).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != string(res.AccessToken) {
		t.Fatalf("Token() = another token; want the cached one (its refresh failed)")
	}
	// The engine serves the cached token with RefreshOn = when it tries the refresh
	// again (a minute on), so oauth2's ReuseTokenSource asks again then, not before
	// and not only at expiry.
	if want := clock.Now().Add(time.Minute); !tok.Expiry.Equal(want) {
		t.Errorf("Expiry = %v; want %v, when the failed refresh is tried again", tok.Expiry, want)
	}
}

// BenchmarkTokenSource_Token measures a cache hit through the TokenSource (the
// conversion to *oauth2.Token on top of a silent hit).
func BenchmarkTokenSource_Token(b *testing.B) {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("silent", func(b *testing.B) { // the same hit without the adapter, for the delta
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TokenSource", func(b *testing.B) {
		src := app.TokenSource(ctx, pc, readOrders, res.Account)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := src.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
