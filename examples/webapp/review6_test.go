package webapp_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Review 6: a session cookie named an account and nothing of the sign-in it came from,
// so signing out ended it only while the account stayed signed out: a cookie copied
// before the sign-out (a shared computer, a stolen cookie) was honoured again, for the
// rest of its 8 hours, as soon as the user signed in again anywhere. The cookie now
// carries a session id that sign-out deletes.
func TestServer_signOutRevokesCopiedSessionCookie(t *testing.T) {
	h := newHarness(t, options{})
	b := h.newBrowser()
	b.signIn("acme")
	stolen := b.cookie("webapp-session-acme")
	home := b.get("/t/acme/")
	if out := b.do(http.MethodPost, "/t/acme/logout", url.Values{"csrf": {csrfOf(t, home.body)}}, nil); out.status != http.StatusSeeOther {
		t.Fatalf("POST logout = %d; want 303", out.status)
	}
	h.expectSessionRefused("acme", stolen, "copied cookie right after sign-out")
	h.newBrowser().signIn("acme") // the user signs in again, elsewhere
	h.expectSessionRefused("acme", stolen, "a session cookie copied before sign-out, after the user signed in anew")
}
