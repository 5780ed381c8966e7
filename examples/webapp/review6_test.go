package webapp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Review 6: a session cookie names an account and nothing of the sign-in it came from,
// so signing out ends it only while the account stays signed out. A cookie copied before
// the sign-out (a shared computer, a stolen cookie) is honoured again, for the rest of
// its 8 hours, as soon as the user signs in again anywhere: sign-out does not revoke it.
func TestServer_signOutRevokesCopiedSessionCookie(t *testing.T) {

	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	stolen := b.cookie("webapp-session-acme")
	home := b.get("/t/acme/")
	if out := b.do(http.MethodPost, "/t/acme/logout", url.Values{"csrf": {csrfOf(t, home.body)}}, nil); out.status != http.StatusSeeOther {
		t.Fatalf("POST logout = %d; want 303", out.status)
	}
	thief := h.newBrowser()
	thief.setCookie("webapp-session-acme", stolen)
	if p := thief.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("copied cookie right after sign-out:\n%s\nwant the signed-out page", p.body)
	}
	h.newBrowser().signIn("acme") // the user signs in again, elsewhere
	thief = h.newBrowser()
	thief.setCookie("webapp-session-acme", stolen)
	if p := thief.get("/t/acme/"); !strings.Contains(p.body, "You are signed out.") {
		t.Fatalf("a session cookie copied before sign-out is honoured again after the user signed in anew:\n%s", p.body)
	}
}
