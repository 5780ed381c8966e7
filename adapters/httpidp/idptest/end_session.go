package idptest

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/hexauth/hexauth/domain"
)

// maxEndSessions bounds the end-session requests the server remembers.
const maxEndSessions = 1024

// EndSessionRequest is an end-session request the server accepted (OpenID Connect
// RP-Initiated Logout 1.0 §2).
type EndSessionRequest struct {
	// IDTokenHint is the id_token_hint as sent; empty when none was.
	IDTokenHint string
	// ClientID is the client the request was for: its client_id, else the hint's azp or
	// single audience; empty when neither named one.
	ClientID string
	// PostLogoutRedirectURI and State are as sent.
	PostLogoutRedirectURI string
	State                 string
}

// EndSessions returns the end-session requests the server accepted, oldest first (the
// first 1024).
func (s *Server) EndSessions() []EndSessionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.endSessions)
}

// serveEndSession is the end-session endpoint (Config.EndSession). It refuses, with an
// HTML error page as an OP shows the user: an id_token_hint that this server did not
// sign or issue, or that was not issued to the client_id sent with it; an unknown
// client; a post_logout_redirect_uri without a client to check it against, or not
// registered for the client exactly (§3: an open redirect otherwise). Accepted, it
// redirects to the post_logout_redirect_uri with the state, or says the user is
// signed out. The hint's expiry is not checked: §2 asks OPs to accept expired ones.
func (s *Server) serveEndSession(w http.ResponseWriter, r *http.Request, c call) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if c.formErr != nil {
			writeHTMLError(w, http.StatusBadRequest, "the logout request could not be read")
			return
		}
		params = r.PostForm
	}
	req := EndSessionRequest{
		IDTokenHint: params.Get("id_token_hint"), ClientID: params.Get("client_id"),
		PostLogoutRedirectURI: params.Get("post_logout_redirect_uri"), State: params.Get("state"),
	}
	if req.IDTokenHint != "" {
		client, msg := s.checkIDTokenHint(req.IDTokenHint, req.ClientID)
		if msg != "" {
			writeHTMLError(w, http.StatusBadRequest, msg)
			return
		}
		req.ClientID = client
	}
	var registered []string
	if req.ClientID != "" {
		cl, ok := s.idp.Client(req.ClientID)
		if !ok {
			writeHTMLError(w, http.StatusBadRequest, "unknown client_id")
			return
		}
		registered = cl.PostLogoutRedirectURIs
	}
	var target *url.URL
	if req.PostLogoutRedirectURI != "" {
		switch {
		case req.ClientID == "":
			writeHTMLError(w, http.StatusBadRequest, "post_logout_redirect_uri needs an id_token_hint or a client_id")
			return
		case !slices.Contains(registered, req.PostLogoutRedirectURI):
			writeHTMLError(w, http.StatusBadRequest, "post_logout_redirect_uri is not registered for the client")
			return
		}
		var err error
		if target, err = url.Parse(req.PostLogoutRedirectURI); err != nil {
			writeHTMLError(w, http.StatusBadRequest, "post_logout_redirect_uri is not a URL")
			return
		}
	}
	s.mu.Lock()
	if len(s.endSessions) < maxEndSessions {
		s.endSessions = append(s.endSessions, req)
	}
	s.mu.Unlock()
	if target == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Signed out</title></head><body><h1 id=\"signed-out\">You are signed out.</h1></body></html>\n"))
		return
	}
	if req.State != "" {
		q := target.Query()
		q.Set("state", req.State)
		target.RawQuery = q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// checkIDTokenHint returns the client an id_token_hint was issued to, or why it is
// refused. clientID, when sent, must be an audience of the hint (§2).
func (s *Server) checkIDTokenHint(hint, clientID string) (client, refusal string) {
	if s.idp.VerifySignature(hint) != nil {
		return "", "id_token_hint is not an ID token signed by this provider"
	}
	_, claims, err := domain.ParseIDToken(hint)
	switch {
	case err != nil:
		return "", "id_token_hint is not an ID token"
	case claims.Issuer != s.idp.Issuer(s.root):
		return "", "id_token_hint was issued by another issuer"
	case clientID != "" && !slices.Contains(claims.Audience, clientID):
		return "", "id_token_hint was not issued to client_id"
	case clientID != "":
		return clientID, ""
	case claims.AuthorizedParty != "":
		return claims.AuthorizedParty, ""
	case len(claims.Audience) == 1:
		return claims.Audience[0], ""
	}
	return "", ""
}
