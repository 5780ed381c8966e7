package app_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestFacade_nilContextIsInvalidInput: every entry point of the facade refuses a nil
// context with ErrInvalidInput instead of panicking, and calls no provider.
func TestFacade_nilContextIsInvalidInput(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, Cache: "memory:", IdentityProvider: idp, Clock: clock}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	var nilCtx context.Context
	acct := app.Account{HomeAccountID: "h"}
	calls := map[string]func() error{
		"NewPublicClient": func() error {
			_, err := app.NewPublicClient(nilCtx, app.Config{ClientID: clientID, Authority: authority, Cache: "memory:", IdentityProvider: idp})
			return err
		},
		"NewConfidentialClient": func() error {
			_, err := app.NewConfidentialClient(nilCtx, app.Config{ClientID: webApp, Authority: authority, Cache: "memory:", IdentityProvider: idp}, app.ClientSecret("s"))
			return err
		},
		"AcquireTokenSilent": func() error { _, err := pc.AcquireTokenSilent(nilCtx, readOrders, acct); return err },
		"InitiateAuthCodeFlow": func() error {
			_, err := pc.InitiateAuthCodeFlow(nilCtx, readOrders, "http://127.0.0.1/cb")
			return err
		},
		"AuthorizationURL": func() error { _, err := pc.AuthorizationURL(nilCtx, readOrders, "http://127.0.0.1/cb"); return err },
		"AcquireTokenByAuthCodeFlow": func() error {
			_, err := pc.AcquireTokenByAuthCodeFlow(nilCtx, app.AuthCodeFlow{}, url.Values{})
			return err
		},
		"AcquireTokenByUsernamePassword": func() error {
			_, err := pc.AcquireTokenByUsernamePassword(nilCtx, "alice@example.com", "correct horse", readOrders)
			return err
		},
		"AcquireTokenByRefreshToken": func() error { _, err := pc.AcquireTokenByRefreshToken(nilCtx, "rt", readOrders); return err },
		"AcquireTokenByAuthorizationCode": func() error {
			_, err := pc.AcquireTokenByAuthorizationCode(nilCtx, "c", "http://127.0.0.1/cb", readOrders)
			return err
		},
		"Accounts":                func() error { _, err := pc.Accounts(nilCtx); return err },
		"RemoveAccount":           func() error { return pc.RemoveAccount(nilCtx, acct) },
		"AcquireTokenInteractive": func() error { _, err := pc.AcquireTokenInteractive(nilCtx, readOrders); return err },
		"AcquireTokenForClient":   func() error { _, err := cc.AcquireTokenForClient(nilCtx, readOrders); return err },
		"ExportCache":             func() error { return pc.ExportCache(nilCtx, io.Discard) },
		"EndSessionEndpoint":      func() error { _, err := pc.EndSessionEndpoint(nilCtx); return err },
		"ImportCache":             func() error { _, err := pc.ImportCache(nilCtx, strings.NewReader("{}")); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s(nil ctx, …) panicked: %v", name, p)
				}
			}()
			if err := call(); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("%s(nil ctx, …) = %v; want invalid_input", name, err)
			}
		})
	}
	for _, g := range []domain.GrantKind{domain.GrantPassword, domain.GrantRefreshToken, domain.GrantAuthorizationCode, domain.GrantClientCredentials} {
		if n := idp.Calls(g); n != 0 {
			t.Errorf("provider %s grants = %d; want 0", g, n)
		}
	}
}

// TestFacade_oversizedInputNeverReachesTheProvider: the reproductions (a 1 MB
// username or scope, an 8 KB code with control bytes) fail with ErrInvalidInput, the
// provider never called and the error not quoting the input.
func TestFacade_oversizedInputNeverReachesTheProvider(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	mb := strings.Repeat("u", 1<<20)
	code := strings.Repeat("c\x01", 4096)
	for name, call := range map[string]func() error{
		"1 MB username": func() error {
			_, err := pc.AcquireTokenByUsernamePassword(ctx, mb, "correct horse", readOrders)
			return err
		},
		"1 MB scope": func() error {
			_, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", []string{mb})
			return err
		},
		"8 KB code with control bytes": func() error {
			_, err := pc.AcquireTokenByAuthorizationCode(ctx, code, "http://127.0.0.1/cb", readOrders)
			return err
		},
	} {
		err := call()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: error = %v; want invalid_input", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), mb[:64]) || strings.Contains(err.Error(), code[:64])) {
			t.Errorf("%s: error quotes the input", name)
		}
	}
	if n := idp.Calls(domain.GrantPassword) + idp.Calls(domain.GrantAuthorizationCode); n != 0 {
		t.Errorf("provider grants = %d; want 0", n)
	}
}
