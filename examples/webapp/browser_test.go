package webapp_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium package; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// newChromium starts a headless Chromium with a fresh profile for t, or skips t when
// Chromium is not installed (fails it instead with HEXAUTH_REQUIRE_CHROMIUM=1).
func newChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("HEXAUTH_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("HEXAUTH_REQUIRE_CHROMIUM=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("%s is missing (apt-get install chromium, or run .ci/run); the browser test needs it", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	// Only these flags: a root user in a container needs --no-sandbox, and nothing may
	// reach the network beyond loopback (updates, sync, QUIC probes).
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return tab
}

// stepTimeout bounds one step, so that a failure shows where the browser was.
const stepTimeout = 30 * time.Second

// run runs steps in the tab and fails t with what was being done and the page shown.
func run(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(tab, chromedp.Location())
		body, _ := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nthe browser is at %s, showing:\n%s", what, err, loc, body)
	}
}

// text reads the text of the element sel once it is visible.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	run(t, tab, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// TestBrowser_signInClaimsAPISignOut drives the web app in headless Chromium against
// the fake provider's login page, as a user would, and signs out here and at the
// provider (RP-initiated logout), back to the tenant's signed-out home.
func TestBrowser_signInClaimsAPISignOut(t *testing.T) {
	tab := newChromium(t)
	h := newHarness(t, options{endSession: true})
	home := h.web.URL + "/t/acme/"

	run(t, tab, "open the signed-out home page", chromedp.Navigate(home))
	if got := text(t, tab, "#status"); got != "You are signed out." {
		t.Fatalf("home status = %q; want signed out", got)
	}

	run(t, tab, "sign in through the provider's login page",
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testUser),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
	)
	if got := text(t, tab, "#user-name"); got != testName {
		t.Fatalf("signed-in name = %q; want %q", got, testName)
	}
	checkCookies(t, tab, h)

	run(t, tab, "open the claims page", chromedp.Click(chromedp.CSS("#claims-link")))
	if got := text(t, tab, "#claim-preferred_username"); got != testUser {
		t.Fatalf("preferred_username claim = %q; want %q", got, testUser)
	}
	if got := text(t, tab, "#claim-iss"); got != h.idp.Issuer() {
		t.Fatalf("iss claim = %q; want %q", got, h.idp.Issuer())
	}

	run(t, tab, "call the API", chromedp.Click(chromedp.CSS("#api-link")))
	if got := text(t, tab, "#api-status"); got != "200" {
		t.Fatalf("API status = %q; want 200", got)
	}
	if got := text(t, tab, "#api-response"); !strings.Contains(got, `"hello, `+testName+`"`) || !strings.Contains(got, `"tenant":"acme"`) {
		t.Fatalf("API answer = %q; want a greeting for %s of tenant acme", got, testName)
	}

	run(t, tab, "go home", chromedp.Navigate(home))
	run(t, tab, "find the sign-out button", chromedp.WaitVisible(chromedp.CSS("#logout")))
	run(t, tab, "sign out", chromedp.Click(chromedp.CSS("#logout")))
	run(t, tab, "see the sign-in link", chromedp.WaitVisible(chromedp.CSS("#login")))
	if got := text(t, tab, "#status"); got != "You are signed out." {
		t.Fatalf("status after sign-out = %q; want signed out", got)
	}
	if loc, _ := chromedp.Run(tab, chromedp.Location()); loc != home {
		t.Fatalf("after sign-out the browser is at %s; want %s", loc, home)
	}
	if accts := h.accounts("acme"); len(accts) != 0 {
		t.Fatalf("accounts(acme) after sign-out = %+v; want none", accts)
	}
	if got := h.idp.EndSessions(); len(got) != 1 || got[0].IDTokenHint == "" || got[0].PostLogoutRedirectURI != h.web.URL+"/signed-out" {
		t.Fatalf("the provider accepted %d logout requests; want 1 with an id_token_hint and our post-logout redirect URI", len(got))
	}
}

// checkCookies asserts what the browser keeps: HttpOnly, SameSite=Lax cookies, and no
// flow cookie once signed in.
func checkCookies(t *testing.T, tab context.Context, h *harness) {
	t.Helper()
	res, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{h.web.URL + "/"}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	names := map[string]bool{}
	for _, c := range res.Cookies {
		names[c.Name] = true
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
			t.Errorf("cookie %s: HttpOnly %t, SameSite %q; want HttpOnly, Lax", c.Name, c.HTTPOnly, c.SameSite)
		}
	}
	if !names["webapp-session-acme"] || names["webapp-flow"] {
		t.Fatalf("cookies after sign-in = %v; want the acme session and no flow", names)
	}
}

// TestBrowser_forgedCallbackRefused: a callback carrying a code and state from
// somebody else's sign-in, delivered to a browser in the middle of its own, is refused
// with the error page and caches nothing.
func TestBrowser_forgedCallbackRefused(t *testing.T) {
	tab := newChromium(t)
	h := newHarness(t, options{})
	attacker := h.newBrowser()
	forged := h.authorize(attacker.startSignIn("acme")) // a valid code, for the attacker's flow

	run(t, tab, "start a sign-in", chromedp.Navigate(h.web.URL+"/t/acme/login"), chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)))
	run(t, tab, "follow the forged callback", chromedp.Navigate(h.web.URL+"/callback?"+forged.Encode()))
	if got := text(t, tab, "h1"); got != "Refused (400)" {
		t.Fatalf("forged callback heading = %q; want Refused (400)", got)
	}
	if got := text(t, tab, "#error"); !strings.Contains(got, "does not belong to the sign-in this browser started") {
		t.Fatalf("forged callback message = %q", got)
	}
	if accts := h.accounts("acme"); len(accts) != 0 {
		t.Fatalf("accounts(acme) after a forged callback = %+v; want none", accts)
	}

	// Without any sign-in in progress (the flow cookie was spent), a callback is refused too.
	run(t, tab, "follow a callback with no flow", chromedp.Navigate(h.web.URL+"/callback?"+url.Values{"code": {"x"}, "state": {"y"}}.Encode()))
	if got := text(t, tab, "#error"); !strings.Contains(got, "No sign-in was in progress") {
		t.Fatalf("callback without a flow: message = %q", got)
	}
}
