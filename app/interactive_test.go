package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
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
// follows the redirect to the app's loopback listener, as a real browser would. When
// forged is set, the requests it returns reach the listener first (each is answered
// before the next is sent), as from a local process racing the browser. statuses
// receives the status of every request, forged ones first.
type userAgent struct {
	idp      *memory.IdentityProvider
	username string
	forged   func(real url.Values) []url.Values
	opened   string
	statuses chan int
}

func (b *userAgent) Open(ctx context.Context, authURL string) error {
	b.opened = authURL
	q, err := b.idp.Authorize(ctx, authURL, b.username)
	if err != nil {
		return err
	}
	var requests []url.Values
	if b.forged != nil {
		requests = b.forged(q)
	}
	requests = append(requests, q)
	b.statuses = make(chan int, len(requests))
	u, _ := url.Parse(authURL)
	redirect := u.Query().Get("redirect_uri")
	hc := &http.Client{Timeout: 10 * time.Second}
	go func() {
		for _, r := range requests {
			status := -1 // no answer
			if resp, err := hc.Get(redirect + "?" + r.Encode()); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			b.statuses <- status
		}
	}()
	return nil
}

// wantStatuses reads the status of every request the user agent sent and compares.
func (b *userAgent) wantStatuses(t *testing.T, want ...int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i, w := range want {
		select {
		case got := <-b.statuses:
			if got != w {
				t.Fatalf("request %d of %d to the loopback listener: status %d; want %d", i+1, len(want), got, w)
			}
		case <-timeout:
			t.Fatalf("request %d of %d to the loopback listener: no answer", i+1, len(want))
		}
	}
}

func newInteractiveClient(t *testing.T, browser *userAgent) *app.PublicClient {
	t.Helper()
	clock := memory.NewClock(exampleStart)
	browser.idp = newFake(clock)
	pc, err := app.NewPublicClient(testContext(t), app.Config{
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
	b.wantStatuses(t, 200)
}

// Requests racing the browser to the loopback port are answered 400 and do not end the
// wait: the real redirect that follows them still signs the user in.
func TestPublicClient_AcquireTokenInteractive_forgedRedirectsRefused(t *testing.T) {
	with := func(q url.Values, key, value string) url.Values {
		f := url.Values{}
		for k, v := range q {
			f[k] = v
		}
		if value == "" {
			f.Del(key)
		} else {
			f.Set(key, value)
		}
		return f
	}
	b := &userAgent{username: "alice@example.com", forged: func(real url.Values) []url.Values {
		return []url.Values{
			with(real, "state", "forged"), // the real code with a wrong state
			with(real, "state", ""),       // the real code without state
			{"code": {"attacker-code"}, "state": {"forged"}},
			{"error": {"access_denied"}, "state": {"forged"}},
			{"error": {"access_denied"}}, // an error redirect must carry the state too
		}
	}}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := pc.AcquireTokenInteractive(ctx, readOrders)
	if err != nil {
		t.Fatalf("AcquireTokenInteractive after forged redirects: %v; want the real redirect to sign alice in", err)
	}
	if res.Account.Username != "alice@example.com" {
		t.Fatalf("result account %q; want alice@example.com", res.Account.Username)
	}
	b.wantStatuses(t, 400, 400, 400, 400, 400, 200)
}

// A provider's error redirect that carries the flow's state ends the wait with the
// provider's error.
func TestPublicClient_AcquireTokenInteractive_providerErrorWithState(t *testing.T) {
	b := &userAgent{username: "carol@example.com"} // carol declines consent
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pc.AcquireTokenInteractive(ctx, readOrders); !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("error = %v; want ErrAccessDenied", err)
	}
	b.wantStatuses(t, 200)
}

func TestPublicClient_AcquireTokenInteractive_noRedirectBeforeDeadline(t *testing.T) {
	clock := memory.NewClock(exampleStart)
	pc, err := app.NewPublicClient(testContext(t), app.Config{
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

// freeLoopbackPort returns a port nothing listened on a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// For a provider that registers exact redirect URIs: the listener and the redirect URI
// use the port the caller fixed.
func TestPublicClient_AcquireTokenInteractive_WithRedirectPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		b := &userAgent{username: "alice@example.com"}
		pc := newInteractiveClient(t, b)
		port := freeLoopbackPort(t)
		res, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithRedirectPort(port))
		if errors.Is(err, domain.ErrUnavailable) && attempt < 3 {
			continue // another process took the port between the probe and the call
		}
		if err != nil {
			t.Fatalf("AcquireTokenInteractive(WithRedirectPort(%d)): %v", port, err)
		}
		if res.Account.Username != "alice@example.com" {
			t.Fatalf("result account %q; want alice@example.com", res.Account.Username)
		}
		u, _ := url.Parse(b.opened)
		if got, want := u.Query().Get("redirect_uri"), fmt.Sprintf("http://127.0.0.1:%d/", port); got != want {
			t.Fatalf("redirect_uri = %q; want %q", got, want)
		}
		b.wantStatuses(t, 200)
		return
	}
}

func TestPublicClient_AcquireTokenInteractive_WithRedirectPort_inUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	b := &userAgent{username: "alice@example.com"}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = pc.AcquireTokenInteractive(ctx, readOrders, app.WithRedirectPort(port))
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), fmt.Sprintf("port %d", port)) {
		t.Fatalf("error = %v; want ErrUnavailable naming port %d", err, port)
	}
	if b.opened != "" {
		t.Fatalf("the browser was opened at %s; want no sign-in when the port is taken", b.opened)
	}
}

func TestPublicClient_AcquireTokenInteractive_WithRedirectPort_outOfRange(t *testing.T) {
	for _, port := range []int{0, -1, 65536, 1 << 20} {
		t.Run(fmt.Sprint(port), func(t *testing.T) {
			b := &userAgent{username: "alice@example.com"}
			pc := newInteractiveClient(t, b)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithRedirectPort(port))
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), fmt.Sprint(port)) {
				t.Fatalf("WithRedirectPort(%d): error = %v; want ErrInvalidInput naming the port", port, err)
			}
			if b.opened != "" {
				t.Fatalf("the browser was opened at %s; want nothing for an invalid port", b.opened)
			}
		})
	}
}

// InitiateAuthCodeFlow and AuthorizationURL are given the redirect URI: a redirect port
// there is a mistake, not something to ignore.
func TestPublicClient_WithRedirectPort_onlyForInteractive(t *testing.T) {
	b := &userAgent{username: "alice@example.com"}
	pc := newInteractiveClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pc.InitiateAuthCodeFlow(ctx, readOrders, "http://127.0.0.1:8400/", app.WithRedirectPort(8400)); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("InitiateAuthCodeFlow(WithRedirectPort) error = %v; want ErrInvalidInput", err)
	}
	if _, err := pc.AuthorizationURL(ctx, readOrders, "http://127.0.0.1:8400/", app.WithRedirectPort(8400)); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("AuthorizationURL(WithRedirectPort) error = %v; want ErrInvalidInput", err)
	}
}
