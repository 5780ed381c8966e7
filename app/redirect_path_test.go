package app_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// WithRedirectPath sends http://127.0.0.1:PORT/callback, as providers that register that
// URI exactly require, and the listener takes the redirect there.
func TestPublicClient_AcquireTokenInteractive_WithRedirectPath(t *testing.T) {
	b := &userAgent{username: "alice@example.com"}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithRedirectPath("/auth/callback"))
	if err != nil {
		t.Fatalf("AcquireTokenInteractive(WithRedirectPath): %v", err)
	}
	if res.Account.Username != "alice@example.com" {
		t.Fatalf("result account %q; want alice@example.com", res.Account.Username)
	}
	u, _ := url.Parse(b.opened)
	if got := u.Query().Get("redirect_uri"); !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/auth/callback$`).MatchString(got) {
		t.Fatalf("redirect_uri = %q; want http://127.0.0.1:PORT/auth/callback", got)
	}
	b.wantStatuses(t, 200)
}

// A path that a browser or provider would not send back unchanged is refused before the
// browser opens.
func TestPublicClient_AcquireTokenInteractive_WithRedirectPath_invalid(t *testing.T) {
	for _, path := range []string{"", "callback", "//evil.example/cb", "/cb?x=1", "/cb#f", "/a/../cb", "/c b", "/%63b"} {
		t.Run(path, func(t *testing.T) {
			b := &userAgent{username: "alice@example.com"}
			pc := newInteractiveClient(t, b)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithRedirectPath(path))
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("WithRedirectPath(%q): error = %v; want ErrInvalidInput", path, err)
			}
			if b.opened != "" {
				t.Fatalf("the browser was opened at %s; want nothing for an invalid path", b.opened)
			}
		})
	}
}

// InitiateAuthCodeFlow and AuthorizationURL are given the redirect URI: a redirect path
// there is a mistake, not something to ignore.
func TestPublicClient_WithRedirectPath_onlyForInteractive(t *testing.T) {
	pc := newInteractiveClient(t, &userAgent{username: "alice@example.com"})
	ctx := testContext(t)
	if _, err := pc.InitiateAuthCodeFlow(ctx, readOrders, "http://127.0.0.1:8400/cb", app.WithRedirectPath("/cb")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("InitiateAuthCodeFlow(WithRedirectPath) error = %v; want ErrInvalidInput", err)
	}
	if _, err := pc.AuthorizationURL(ctx, readOrders, "http://127.0.0.1:8400/cb", app.WithRedirectPath("/cb")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("AuthorizationURL(WithRedirectPath) error = %v; want ErrInvalidInput", err)
	}
}
