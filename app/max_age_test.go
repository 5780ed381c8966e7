package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// newWebAppClock is newWebApp with the clock the test moves.
func newWebAppClock(t *testing.T) (*memory.IdentityProvider, *app.ConfidentialClient, *memory.Clock) {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(testContext(t), app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return idp, cc, clock
}

// With max_age sent, the result's claims carry auth_time, and the flow records max_age.
func TestMaxAge_authTimeInResult(t *testing.T) {
	ctx := testContext(t)
	idp, cc, _ := newWebAppClock(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", app.WithMaxAge(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if flow.MaxAge == nil || *flow.MaxAge != 600 {
		t.Fatalf("flow.MaxAge = %v; want 600 seconds", flow.MaxAge)
	}
	redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IDTokenClaims.AuthTime.Equal(exampleStart) {
		t.Fatalf("IDTokenClaims.AuthTime = %v; want the sign-in time %v", res.IDTokenClaims.AuthTime, exampleStart)
	}
	if _, ok := res.IDTokenClaims.Claim("auth_time"); !ok {
		t.Fatal("IDTokenClaims.Claim(auth_time) = not found; want the claim")
	}
}

// OIDC Core 3.1.3.7 item 13: with max_age sent, an ID token without auth_time, or with
// one older than max_age plus the skew, is refused and nothing is cached; without
// max_age neither is checked.
func TestMaxAge_enforced(t *testing.T) {
	for _, c := range []struct {
		name   string
		fault  memory.IDTokenFault
		maxAge bool
		want   error
	}{
		{"NoAuthTime", memory.IDTokenNoAuthTime, true, domain.ErrInvalidIDToken},
		{"StaleAuthTime", memory.IDTokenStaleAuthTime, true, domain.ErrInvalidIDToken},
		{"NoAuthTimeWithoutMaxAge", memory.IDTokenNoAuthTime, false, nil},
		{"StaleAuthTimeWithoutMaxAge", memory.IDTokenStaleAuthTime, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			idp, cc, _ := newWebAppClock(t)
			var opts []app.AuthCodeOption
			if c.maxAge {
				opts = append(opts, app.WithMaxAge(time.Hour))
			}
			flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", opts...)
			if err != nil {
				t.Fatal(err)
			}
			redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
			if err != nil {
				t.Fatal(err)
			}
			idp.SetIDTokenFault(c.fault)
			_, err = cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("completion = %v; want %v", err, c.want)
			}
			accts, _ := cc.Accounts(ctx)
			if c.want != nil && len(accts) != 0 {
				t.Fatalf("a refused sign-in cached %d accounts", len(accts))
			}
		})
	}
}

// A user who signed in longer ago than max_age plus the clock skew is refused: here the
// redirect came back (auth_time) and the completion ran 7 minutes later with max_age 1
// minute (skew 5 minutes); at 5 minutes it passes.
func TestMaxAge_olderThanMaxAgePlusSkew(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		want error
	}{{5 * time.Minute, nil}, {7 * time.Minute, domain.ErrInvalidIDToken}} {
		ctx := testContext(t)
		idp, cc, clock := newWebAppClock(t)
		flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", app.WithMaxAge(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(c.wait)
		if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, redirect); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Fatalf("completion %s after sign-in with max_age 1m = %v; want %v", c.wait, err, c.want)
		}
	}
}

// A flow whose max_age was removed or changed after initiation (a flow kept in a cookie)
// is refused: it would skip the auth_time check the request asked for.
func TestMaxAge_tamperedFlow(t *testing.T) {
	ctx := testContext(t)
	idp, cc, _ := newWebAppClock(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, readOrders, "https://app.example.com/callback", app.WithMaxAge(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := idp.Authorize(ctx, flow.AuthURI, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	dropped := flow
	dropped.MaxAge = nil
	longer := flow
	day := int64(86400)
	longer.MaxAge = &day
	for name, f := range map[string]app.AuthCodeFlow{"dropped": dropped, "longer": longer} {
		if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, f, redirect); !errors.Is(err, domain.ErrInvalidFlow) {
			t.Fatalf("flow with max_age %s = %v; want ErrInvalidFlow", name, err)
		}
	}
	if n := idp.Calls(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("tampered flows redeemed the code %d times; want 0", n)
	}
}

// Regression (max_age on the flowless path): AuthorizationURL cannot record max_age for
// AcquireTokenByAuthorizationCode to check auth_time against, so a stale sign-in would
// pass for a fresh one; it refuses WithMaxAge instead of sending an unenforced max_age.
func TestMaxAge_refusedByAuthorizationURL(t *testing.T) {
	ctx := testContext(t)
	_, cc, _ := newWebAppClock(t)
	uri, err := cc.AuthorizationURL(ctx, readOrders, "https://app.example.com/callback", app.WithMaxAge(time.Hour),
		app.WithState("s1"), app.WithCodeChallenge(domain.S256Challenge("a-verifier-of-at-least-forty-three-characters-xyz")))
	if !errors.Is(err, domain.ErrInvalidInput) || uri != "" {
		t.Fatalf("AuthorizationURL WithMaxAge = %q, %v; want ErrInvalidInput", uri, err)
	}
	if _, err := cc.AuthorizationURL(ctx, readOrders, "https://app.example.com/callback", app.WithState("s1")); err != nil {
		t.Fatalf("AuthorizationURL without max_age = %v", err)
	}
}
