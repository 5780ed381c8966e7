package webapp

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// login starts a sign-in: a new auth-code flow with PKCE, kept in the sealed flow
// cookie, and a redirect to the provider.
func (s *Server) login(w http.ResponseWriter, r *http.Request, tenant string) {
	now := s.clock.Now()
	flow, err := s.client(tenant).InitiateAuthCodeFlow(r.Context(), s.cfg.Scopes, s.redirectURI)
	if err != nil {
		s.fail(w, r, statusOf(err), "The sign-in could not start.", err)
		return
	}
	fc := flowCookie{Tenant: tenant, Flow: flow, Expires: now.Add(s.cfg.FlowLifetime)}
	if err := s.jar.set(w, s.jar.flowName(), fc, flowAD(), fc.Expires, now); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The sign-in could not start.", err)
		return
	}
	http.Redirect(w, r, flow.AuthURI, http.StatusSeeOther)
}

// callback completes a sign-in from the provider's redirect. The flow cookie is spent
// whatever the outcome. Refused, with nothing cached: no (valid) flow cookie in this
// browser, a state that is not this browser's flow's, the provider's error, and
// anything AcquireTokenByAuthCodeFlow refuses (a code redeemed twice, a bad ID token).
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	s.jar.clear(w, s.jar.flowName())
	fc, err := s.jar.readFlow(r, now)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "No sign-in was in progress in this browser, or it took too long. Please sign in again.", err)
		return
	}
	resp, mode, err := app.ReadAuthResponse(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "The sign-in response could not be read.", err)
		return
	}
	// The state binds the response to the flow this browser started (RFC 6749 §10.12):
	// a response meant for another browser, or forged, stops here, before any code is
	// redeemed. AcquireTokenByAuthCodeFlow checks it again.
	if subtle.ConstantTimeCompare([]byte(resp.Get("state")), []byte(fc.Flow.State)) != 1 {
		s.fail(w, r, http.StatusBadRequest, "This sign-in response does not belong to the sign-in this browser started.", domain.ErrStateMismatch)
		return
	}
	res, err := s.client(fc.Tenant).AcquireTokenByAuthCodeFlow(r.Context(), fc.Flow, resp, app.WithResponseMode(mode))
	if err != nil {
		s.fail(w, r, statusOf(err), "The sign-in did not complete.", err)
		return
	}
	// A new session for every sign-in: its id binds the cookie to this sign-in, so that
	// a cookie of an earlier one, signed out since, stays dead.
	sid, err := randomToken()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The session could not start.", err)
		return
	}
	csrf, err := randomToken()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The session could not start.", err)
		return
	}
	sess := sessionCookie{Tenant: fc.Tenant, SessionID: sid, CSRF: csrf, Expires: now.Add(s.cfg.SessionLifetime)}
	if err := s.jar.set(w, s.jar.sessionName(fc.Tenant), sess, sessionAD(fc.Tenant), sess.Expires, now); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The session could not start.", err)
		return
	}
	// The new session replaces the one this browser had in the tenant, if any: its
	// cookie is overwritten, and no copy of it should outlive it unseen.
	if prev, err := s.jar.readSession(r, fc.Tenant, now); err == nil {
		s.sessions.end(prev.SessionID)
	}
	s.sessions.add(sid, session{tenant: fc.Tenant, account: res.Account, expires: sess.Expires}, now)
	s.log.InfoContext(r.Context(), "webapp: signed in", "tenant", fc.Tenant)
	http.Redirect(w, r, "/t/"+fc.Tenant+"/", http.StatusSeeOther)
}

// statusOf maps hexauth's error classes to the page's status: the user's or the
// provider's refusal is a 4xx, an unreachable provider a 502.
func statusOf(err error) int {
	switch {
	case errors.Is(err, domain.ErrAccessDenied):
		return http.StatusForbidden
	case errors.Is(err, domain.ErrUnavailable), errors.Is(err, domain.ErrThrottled), errors.Is(err, domain.ErrDiscovery):
		return http.StatusBadGateway
	case errors.Is(err, domain.ErrCacheStore):
		return http.StatusServiceUnavailable
	case errors.Is(err, domain.ErrInvalidClient):
		return http.StatusInternalServerError // our registration, not the user's doing
	default:
		return http.StatusBadRequest
	}
}
