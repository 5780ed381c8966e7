package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// userAgent is a ports.Browser that signs username in at the fake provider and then
// follows the redirect to the app's loopback listener, as a real browser would.
type userAgent struct {
	idp      *memory.IdentityProvider
	username string
	tamper   func(url.Values)
	opened   string
}

func (b *userAgent) Open(ctx context.Context, authURL string) error {
	b.opened = authURL
	q, err := b.idp.Authorize(ctx, authURL, b.username)
	if err != nil {
		return err
	}
	if b.tamper != nil {
		b.tamper(q)
	}
	u, _ := url.Parse(authURL)
	redirect := u.Query().Get("redirect_uri")
	go func() {
		resp, err := http.Get(redirect + "?" + q.Encode())
		if err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

func newInteractiveClient(t *testing.T, browser *userAgent) *app.PublicClient {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	browser.idp = newFake(clock)
	pc, err := app.NewPublicClient(context.Background(), app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: browser.idp, Clock: clock, Browser: browser,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func TestPublicClient_AcquireTokenInteractive_loopbackRedirect(t *testing.T) {
	b := &userAgent{username: "alice@example.com"}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithLoginHint("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Account.Username != "alice@example.com" || res.IDTokenClaims == nil {
		t.Fatalf("result account %q; want alice with ID-token claims", res.Account.Username)
	}
	u, _ := url.Parse(b.opened)
	q := u.Query()
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("code_challenge_method") != "S256" || q.Get("login_hint") != "alice@example.com" {
		t.Fatalf("authorization URL query %v; want a 127.0.0.1 redirect, PKCE S256 and the login hint", q)
	}
	if hit, err := pc.AcquireTokenSilent(ctx, readOrders, res.Account); err != nil || hit.TokenSource != domain.SourceCache {
		t.Fatalf("silent after interactive = %v; want a cache hit", err)
	}
}

func TestPublicClient_AcquireTokenInteractive_forgedRedirectRefused(t *testing.T) {
	b := &userAgent{username: "alice@example.com", tamper: func(q url.Values) { q.Set("state", "forged") }}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pc.AcquireTokenInteractive(ctx, readOrders); !errors.Is(err, domain.ErrStateMismatch) {
		t.Fatalf("error = %v; want ErrStateMismatch", err)
	}
}

func TestPublicClient_AcquireTokenInteractive_noRedirectBeforeDeadline(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(context.Background(), app.Config{
		ClientID: clientID, Authority: authority, IdentityProvider: newFake(clock), Clock: clock, Browser: silentBrowser{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := pc.AcquireTokenInteractive(ctx, readOrders); !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v; want ErrInteractionRequired wrapping the deadline", err)
	}
}

// silentBrowser opens nothing: the user never comes back.
type silentBrowser struct{}

func (silentBrowser) Open(context.Context, string) error { return nil }
