package idptest

import (
	"errors"
	"html"
	"html/template"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// serveAuthorize serves the authorization endpoint (RFC 6749 §4.1.1). GET signs the
// AutoApproveUser in and redirects at once, or shows the login form; POST is the login
// form's submission: the right password redirects to the client, a wrong one shows the
// form again with an error (HTTP 401).
//
// A request without a registered client and redirect URI is answered with an HTML error
// page and is never redirected (RFC 6749 §4.1.2.1); every other refusal is redirected
// to the client with error and error_description (§4.1.2.1).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, c call) {
	a, ok := s.authorityOf(w, r)
	if !ok {
		return
	}
	if c.formErr != nil {
		writeHTMLError(w, http.StatusBadRequest, "the form could not be read")
		return
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		params = r.Form
	}
	if err := s.idp.CheckRedirect(params.Get("client_id"), params.Get("redirect_uri")); err != nil {
		writeHTMLError(w, http.StatusBadRequest, describe(err))
		return
	}
	user := s.cfg.AutoApproveUser
	if user == "" {
		if user, ok = s.login(w, r, a, params); !ok {
			return
		}
	}
	resp, err := s.idp.Authorize(a, params, user)
	if err != nil {
		writeHTMLError(w, http.StatusBadRequest, describe(err))
		return
	}
	redirect(w, r, s.idp.RedirectTarget(params.Get("client_id"), params.Get("redirect_uri")), params.Get("response_mode"), resp)
}

// login runs the login form for authority a. On GET it first lets the engine check the
// request as if nobody were signed in: any refusal but login_required is redirected at
// once, and login_required too when the client asked for prompt=none; otherwise the
// form is shown. On POST it checks the credentials: it returns the user, or shows the
// form again. ok is false when a response was written.
func (s *Server) login(w http.ResponseWriter, r *http.Request, a domain.Authority, params url.Values) (user string, ok bool) {
	action := s.idp.Metadata(a).AuthorizationEndpoint
	if r.Method == http.MethodGet {
		resp, err := s.idp.Authorize(a, params, "")
		switch {
		case err != nil:
			writeHTMLError(w, http.StatusBadRequest, describe(err))
		case resp.Get("error") != "login_required" || params.Get("prompt") == "none":
			redirect(w, r, s.idp.RedirectTarget(params.Get("client_id"), params.Get("redirect_uri")), params.Get("response_mode"), resp)
		default:
			renderLogin(w, action, params, http.StatusOK, "")
		}
		return "", false
	}
	username := r.PostForm.Get("username")
	if !s.idp.CheckPassword(username, r.PostForm.Get("password")) {
		renderLogin(w, action, params, http.StatusUnauthorized, "Wrong username or password.")
		return "", false
	}
	return username, true
}

// redirect sends the authorization response v to the client's redirect URI (RFC 6749
// §4.1.2) the way mode asks: in the query (the default; the redirect URI's own query
// kept), in the fragment, or as a form the browser POSTs (OAuth 2.0 Form Post Response
// Mode §2).
func redirect(w http.ResponseWriter, r *http.Request, redirectURI, mode string, v url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		writeHTMLError(w, http.StatusBadRequest, "redirect_uri is not a URL")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch mode {
	case string(domain.ResponseModeFormPost):
		writeFormPost(w, redirectURI, v)
		return
	case string(domain.ResponseModeFragment):
		http.Redirect(w, r, u.String()+"#"+v.Encode(), http.StatusFound)
		return
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// writeFormPost writes the page of the form_post response mode: a form of hidden
// fields that the browser submits to the redirect URI on load.
func writeFormPost(w http.ResponseWriter, action string, v url.Values) {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><title>Submit This Form</title></head><body onload="javascript:document.forms[0].submit()">`)
	b.WriteString(`<form method="post" action="` + html.EscapeString(action) + `">`)
	for _, k := range slices.Sorted(maps.Keys(v)) {
		for _, val := range v[k] {
			b.WriteString(`<input type="hidden" name="` + html.EscapeString(k) + `" value="` + html.EscapeString(val) + `"/>`)
		}
	}
	b.WriteString(`</form></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

// describe returns what an engine refusal says, for an error page.
func describe(err error) string {
	var e *domain.Error
	if errors.As(err, &e) && e.Description != "" {
		if e.Code != "" {
			return e.Code + ": " + e.Description
		}
		return e.Description
	}
	return "the request was refused"
}

// writeHTMLError writes a small HTML error page.
func writeHTMLError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Sign-in error</title></head><body><h1>" +
		strconv.Itoa(status) + " " + http.StatusText(status) + "</h1><p>" + template.HTMLEscapeString(msg) + "</p></body></html>\n"))
}
