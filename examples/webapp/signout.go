package webapp

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// maxLogoutForm bounds the sign-out form (one CSRF token).
const maxLogoutForm = 4 << 10

// logout signs the user out here, then at the provider when it offers RP-initiated
// logout. It is a POST carrying the session's CSRF token, from our own origin: a
// cross-site form (which SameSite=Lax already strips of the cookie) cannot sign anybody
// out.
//
// Here, every session of the account in this tenant ends, not this browser's alone:
// they share the account's tokens, which RemoveAccount deletes, so none of them could go
// on. Deleting their ids (not only clearing this cookie) is what makes a copy of any of
// their cookies worthless for good, even once the user signs in again.
//
// At the provider (OpenID Connect RP-Initiated Logout 1.0 §2), when its discovery
// document has an end_session_endpoint: a redirect there with the ID token as
// id_token_hint, our client_id, PostLogoutRedirectURI and a state that the landing
// (signedOut) checks. The ID token is read before RemoveAccount deletes it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, tenant string) {
	now := s.clock.Now()
	sess, err := s.jar.readSession(r, tenant, now)
	if err != nil { // nobody to sign out; leave the browser's cookies alone
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != s.origin() {
		s.fail(w, r, http.StatusForbidden, "Sign-out must come from this site.", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutForm)
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		s.fail(w, r, http.StatusForbidden, "Sign-out must come from this site's sign-out button.", nil)
		return
	}
	live, found := s.sessions.get(tenant, sess.SessionID, now)
	if !found { // already over: signed out from a copy of this cookie, or expired
		s.jar.clear(w, s.jar.sessionName(tenant))
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	client := s.client(tenant)
	endSession := s.endSessionEndpoint(r.Context(), client)
	var idToken string
	if endSession != "" {
		idToken = s.idTokenHint(r.Context(), client, live.account)
	}
	err = client.RemoveAccount(r.Context(), live.account)
	if err != nil && !errors.Is(err, domain.ErrInvalidInput) { // ErrInvalidInput: already gone
		s.fail(w, r, statusOf(err), "The sign-out could not remove your tokens; please try again.", err)
		return
	}
	s.sessions.endAccount(tenant, live.account)
	s.jar.clear(w, s.jar.sessionName(tenant))
	s.log.InfoContext(r.Context(), "webapp: signed out", "tenant", tenant, "at_provider", endSession != "")
	if endSession == "" {
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	state, err := randomToken()
	if err == nil {
		lc := logoutCookie{Tenant: tenant, State: state, Expires: now.Add(s.cfg.FlowLifetime)}
		err = s.jar.set(w, s.jar.logoutName(), lc, logoutAD(), lc.Expires, now)
	}
	if err != nil { // signed out here; the provider's session is left, as without an endpoint
		s.log.WarnContext(r.Context(), "webapp: the sign-out at the provider could not start", "tenant", tenant, "error", err)
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, s.endSessionURL(endSession, client.ClientID(), idToken, state), http.StatusSeeOther)
}

// endSessionEndpoint returns the provider's end_session_endpoint, or "" when it has none
// or it cannot be learnt now (the sign-out is then ours alone, and logged).
func (s *Server) endSessionEndpoint(ctx context.Context, client *app.ConfidentialClient) string {
	ep, err := client.EndSessionEndpoint(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "webapp: the provider's end_session_endpoint is unknown; signing out here only", "error", err)
		return ""
	}
	if ep != "" && !redirectableEndpoint(ep) {
		s.log.WarnContext(ctx, "webapp: the provider's end_session_endpoint is not an absolute http(s) URL; signing out here only")
		return ""
	}
	return ep
}

// redirectableEndpoint reports whether ep parses as an absolute http or https URL with
// a host. httpidp's discovery holds endpoints to stricter rules, but the endpoint comes
// through app.IdentityProvider, which another adapter may implement.
func redirectableEndpoint(ep string) bool {
	u, err := url.Parse(ep)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// idTokenHint returns the account's ID token (the cached one, refreshed when it
// expired), or "" when there is none: the logout request then names the client alone.
func (s *Server) idTokenHint(ctx context.Context, client *app.ConfidentialClient, acct app.Account) string {
	res, err := client.AcquireTokenSilent(ctx, nil, acct)
	if err != nil {
		s.log.InfoContext(ctx, "webapp: no ID token for the logout request", "error", err)
		return ""
	}
	return string(res.IDToken)
}

// endSessionURL is the logout request (RP-Initiated Logout 1.0 §2) to endpoint, whose
// own query is kept. client_id goes with id_token_hint: the provider checks that they
// match, and needs client_id alone to accept post_logout_redirect_uri without a hint.
func (s *Server) endSessionURL(endpoint, clientID, idToken, state string) string {
	u, _ := url.Parse(endpoint) // endSessionEndpoint checked that it parses
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", clientID)
	q.Set("post_logout_redirect_uri", s.postLogoutURI)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

// signedOut is PostLogoutRedirectURI, where the provider sends the browser back after
// its sign-out. It only chooses where to go: the tenant the sign-out started from when
// the state is the one this browser's logout cookie holds, else the tenant list. The
// logout cookie is spent either way.
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) {
	s.jar.clear(w, s.jar.logoutName())
	lc, err := s.jar.readLogout(r, s.clock.Now())
	if err != nil || subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(lc.State)) != 1 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/t/"+lc.Tenant+"/", http.StatusSeeOther)
}
