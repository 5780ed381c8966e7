package idptest

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// opSignIn is the Op of SignIn's errors.
const opSignIn = "idptest: sign in"

// signInBodyLimit bounds how much of a response SignIn reads.
const signInBodyLimit = 64 << 10

// SignIn submits the login form of the authorization request authURL as a browser
// would, and returns the query of the server's redirect back to the application: code
// and state (and iss with ProviderConfig.IssuerInResponse) when the user signed in;
// error and error_description (and state) when the server redirected a refusal, such as
// error=access_denied for a user who DeniesConsent or invalid_scope for an unknown
// scope. Pass the values to the application's redirect handler, or to
// domain.ParseAuthResponse.
//
// authURL is the authorization URL the application built, in either URL layout, on
// this server (URL()). SignIn POSTs the URL's query parameters plus username and
// password to the URL's endpoint (RFC 6749 §4.1.1) and follows no redirect. The request
// counts as an EndpointAuthorize request and takes scripted faults like any other. With
// Config.AutoApproveUser set the server signs that user in whatever the credentials.
//
// Errors are *domain.Error values that never quote the password or the code:
// ErrInvalidInput for an authURL that is not an authorization request to this server
// (nothing is sent); ErrInvalidGrant (HTTP 401) for a wrong username or password; for a
// request the server refuses to redirect (RFC 6749 §4.1.2.1), the engine's refusal
// (ErrInvalidClient for an unknown client, ErrInvalidInput for a missing or
// unregistered redirect URI) with HTTP 400; ErrUnavailable when the server cannot be
// reached; ErrInvalidResponse for a redirect to somewhere other than the request's
// redirect URI; for any other answer the class of its HTTP status (domain.Classify:
// ErrThrottled with RetryAfter for 429, ErrUnavailable for 5xx, ErrAccessDenied for
// 403, otherwise ErrInvalidResponse). A done ctx ends the call with an error that
// wraps ctx.Err().
func (s *Server) SignIn(ctx context.Context, authURL, username, password string) (url.Values, error) {
	endpoint, params, err := s.authorizationRequest(authURL)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, vs := range params {
		form[k] = vs
	}
	form.Set("username", username)
	form.Set("password", password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opSignIn, Description: "cannot build the form submission", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.browser.Do(req)
	if err != nil {
		// The error names the endpoint (which has no query), never the form.
		return nil, &domain.Error{Class: domain.ErrUnavailable, Op: opSignIn, Description: "the authorization endpoint did not answer", Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, signInBodyLimit))
	return s.signInResult(resp, body, params)
}

// authorizationRequest splits authURL into the endpoint to POST to and the request's
// parameters, refusing a URL that is not on this server or carries no query.
func (s *Server) authorizationRequest(authURL string) (string, url.Values, error) {
	u, err := url.Parse(authURL)
	if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, s.url) || u.User != nil {
		return "", nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opSignIn,
			Description: "the authorization URL is not a URL of this server (" + s.url + "): the credentials are not sent"}
	}
	if u.RawQuery == "" {
		return "", nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opSignIn,
			Description: "the authorization URL has no query: it is not an authorization request"}
	}
	params := u.Query()
	u.RawQuery, u.Fragment = "", ""
	return u.String(), params, nil
}

// signInResult reads the server's answer to the login form.
func (s *Server) signInResult(resp *http.Response, body []byte, params url.Values) (url.Values, error) {
	status := resp.StatusCode
	loc := resp.Header.Get("Location")
	target := s.idp.RedirectTarget(params.Get("client_id"), params.Get("redirect_uri"))
	switch {
	case status >= 300 && status < 400 && loc != "":
		v, err := redirectQuery(loc, target, status)
		if err == nil && params.Get("response_mode") == string(domain.ResponseModeFragment) {
			u, _ := url.Parse(loc) // parsed by redirectQuery
			return url.ParseQuery(u.Fragment)
		}
		return v, err
	case status == http.StatusOK && params.Get("response_mode") == string(domain.ResponseModeFormPost):
		return formPostValues(body, target)
	case status == http.StatusUnauthorized:
		return nil, &domain.Error{Class: domain.ErrInvalidGrant, Op: opSignIn, HTTPStatus: status,
			Description: "the server refused the username or password"}
	case status == http.StatusBadRequest:
		var e *domain.Error
		if errors.As(s.idp.CheckRedirect(params.Get("client_id"), params.Get("redirect_uri")), &e) {
			cp := *e
			cp.Op, cp.HTTPStatus = opSignIn, status
			return nil, &cp
		}
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: opSignIn, HTTPStatus: status, Description: pageMessage(body)}
	}
	class := domain.Classify(domain.GrantAuthorizationCode, "", "", nil, status)
	e := &domain.Error{Class: class, Op: opSignIn, HTTPStatus: status,
		Description: "the server answered the login form without redirecting to the application"}
	if class == domain.ErrThrottled {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return nil, e
}

// redirectQuery returns the query of the redirect to location, which must go to
// redirectURI (scheme, host and path; its query may add parameters).
func redirectQuery(location, redirectURI string, status int) (url.Values, error) {
	u, err := url.Parse(location)
	want, werr := url.Parse(redirectURI)
	if err != nil || werr != nil || !strings.EqualFold(u.Scheme, want.Scheme) ||
		!strings.EqualFold(u.Host, want.Host) || u.Path != want.Path {
		where := "an unreadable location"
		if err == nil {
			where = u.Scheme + "://" + u.Host + u.Path
		}
		return nil, &domain.Error{Class: domain.ErrInvalidResponse, Op: opSignIn, HTTPStatus: status,
			Description: "the server redirected to " + where + ", not to the request's redirect URI"}
	}
	return u.Query(), nil
}

// formPostInput matches a hidden field of a form_post page, as writeFormPost writes it.
var (
	formPostAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formPostInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"/>`)
)

// formPostValues returns the fields of a form_post page (what the browser would POST),
// which must be addressed to redirectURI.
func formPostValues(body []byte, redirectURI string) (url.Values, error) {
	m := formPostAction.FindSubmatch(body)
	if m == nil || html.UnescapeString(string(m[1])) != redirectURI {
		return nil, &domain.Error{Class: domain.ErrInvalidResponse, Op: opSignIn, HTTPStatus: http.StatusOK,
			Description: "the server's form_post page does not post to the request's redirect URI"}
	}
	v := url.Values{}
	for _, f := range formPostInput.FindAllSubmatch(body, -1) {
		v.Add(html.UnescapeString(string(f[1])), html.UnescapeString(string(f[2])))
	}
	return v, nil
}

// pageMessage returns the message of the server's HTML error page (its first
// paragraph), or a generic one.
func pageMessage(body []byte) string {
	page := string(body)
	_, rest, ok := strings.Cut(page, "<p>")
	msg, _, closed := strings.Cut(rest, "</p>")
	if !ok || !closed || strings.TrimSpace(msg) == "" {
		return "the server refused the authorization request without redirecting"
	}
	return html.UnescapeString(msg)
}

// retryAfter reads a Retry-After header given in seconds; anything else is zero.
func retryAfter(v string) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(v) + "s")
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// newBrowser returns the HTTP client of SignIn: it follows no redirect and uses no
// proxy (the server is on loopback).
func newBrowser() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
