// Package useragent acts as a user's web browser over plain HTTP: it opens an
// authorization URL, fills in and submits the provider's HTML login form, and follows
// the provider's redirect back to the application's loopback redirect URI. The demo
// and the tests of hexauth use it to complete sign-ins against the fake provider
// (adapters/httpidp/idptest) without a real browser.
package useragent

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// bodyLimit bounds how much of a page the agent reads.
const bodyLimit = 256 << 10

// Agent is a browser that signs one user in. Set the user with SetUser before a
// sign-in; Agent implements ports.Browser, so it can be app.Config.Browser. It is safe
// for concurrent use; the zero value is not usable: create one with New.
type Agent struct {
	http *http.Client

	mu       sync.Mutex
	username string
	password domain.Secret
}

// New returns an Agent that talks to loopback servers only and follows no redirect by
// itself (it checks every hop).
func New() *Agent {
	return &Agent{http: &http.Client{
		Transport:     &http.Transport{Proxy: nil, IdleConnTimeout: 10 * time.Second},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SetUser sets the credentials the agent types into the login form.
func (a *Agent) SetUser(username, password string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.username, a.password = username, domain.Secret(password)
}

// Close releases the agent's idle connections.
func (a *Agent) Close() { a.http.CloseIdleConnections() }

// Open signs the current user in at authURL and delivers the provider's redirect to
// the application: it implements ports.Browser.
func (a *Agent) Open(ctx context.Context, authURL string) error {
	loc, err := a.Authorize(ctx, authURL)
	if err != nil {
		return err
	}
	return a.Deliver(ctx, loc)
}

// Authorize opens authURL, submits the login form with the current user's credentials
// when the provider shows one, and returns the location of the provider's redirect to
// the request's redirect_uri, without visiting it. Errors never quote the password,
// and name the authorization endpoint without its query.
func (a *Agent) Authorize(ctx context.Context, authURL string) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil || !isLoopback(u) {
		return nil, fmt.Errorf("useragent: the authorization URL is not an http URL on a loopback host")
	}
	redirectURI := u.Query().Get("redirect_uri")
	status, loc, page, err := a.get(ctx, authURL)
	if err != nil {
		return nil, err
	}
	if status == http.StatusOK {
		status, loc, page, err = a.submit(ctx, u, page)
		if err != nil {
			return nil, err
		}
	}
	if status < 300 || status > 399 || loc == "" {
		return nil, fmt.Errorf("useragent: the provider answered HTTP %d instead of redirecting: %s", status, pageMessage(page))
	}
	next, err := u.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("useragent: the provider redirected to an unreadable location")
	}
	if !sameEndpoint(next, redirectURI) {
		return nil, fmt.Errorf("useragent: the provider redirected to %s, not to the request's redirect_uri", next.Scheme+"://"+next.Host+next.Path)
	}
	return next, nil
}

// Deliver visits the redirect location loc, as the browser does at the end of a
// sign-in, so the application's loopback listener receives the response.
func (a *Agent) Deliver(ctx context.Context, loc *url.URL) error {
	if !isLoopback(loc) {
		return fmt.Errorf("useragent: the redirect URI is not on a loopback host")
	}
	status, _, page, err := a.get(ctx, loc.String())
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("useragent: the application answered the redirect with HTTP %d: %s", status, pageMessage(page))
	}
	return nil
}

// submit fills in the login form of page (served at base) and posts it.
func (a *Agent) submit(ctx context.Context, base *url.URL, page string) (int, string, string, error) {
	action, fields, ok := parseForm(page)
	if !ok {
		return 0, "", "", fmt.Errorf("useragent: the provider's page has no login form")
	}
	target, err := base.Parse(action)
	if err != nil || !isLoopback(target) {
		return 0, "", "", fmt.Errorf("useragent: the login form posts outside the loopback provider")
	}
	a.mu.Lock()
	fields.Set("username", a.username)
	fields.Set("password", string(a.password))
	a.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(fields.Encode()))
	if err != nil {
		return 0, "", "", fmt.Errorf("useragent: build the form submission: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, loc, body, err := a.do(req)
	if err == nil && status == http.StatusUnauthorized {
		err = fmt.Errorf("useragent: the provider refused the username or password: %s", pageMessage(body))
	}
	return status, loc, body, err
}

// get fetches rawURL without following redirects.
func (a *Agent) get(ctx context.Context, rawURL string) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, "", "", fmt.Errorf("useragent: build the request: %w", err)
	}
	return a.do(req)
}

// do sends req and returns the status, the Location header and the start of the body.
// Its errors name the URL without its query (which may hold a code).
func (a *Agent) do(req *http.Request) (int, string, string, error) {
	resp, err := a.http.Do(req)
	if err != nil {
		where := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
		return 0, "", "", fmt.Errorf("useragent: %s %s: the server did not answer", req.Method, where)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
	return resp.StatusCode, resp.Header.Get("Location"), string(body), nil
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	inputTag = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attr     = regexp.MustCompile(`(?is)([a-z-]+)\s*=\s*"([^"]*)"`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
)

// parseForm returns the action and hidden fields of the first form of page.
func parseForm(page string) (string, url.Values, bool) {
	loc := formTag.FindStringIndex(page)
	if loc == nil {
		return "", nil, false
	}
	action := attrs(page[loc[0]:loc[1]])["action"]
	rest := page[loc[1]:]
	if end := strings.Index(strings.ToLower(rest), "</form>"); end >= 0 {
		rest = rest[:end]
	}
	fields := url.Values{}
	for _, tag := range inputTag.FindAllString(rest, -1) {
		at := attrs(tag)
		if strings.EqualFold(at["type"], "hidden") && at["name"] != "" {
			fields.Set(at["name"], at["value"])
		}
	}
	return action, fields, true
}

// attrs returns the double-quoted attributes of an HTML tag, unescaped.
func attrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attr.FindAllStringSubmatch(tag, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// pageMessage returns the message of an HTML page, for error messages: its error
// paragraph (id="error") when it has one, else its first paragraph, without markup.
func pageMessage(page string) string {
	start := strings.Index(page, `id="error"`)
	if start >= 0 {
		start = strings.LastIndex(page[:start], "<p")
	} else {
		start = strings.Index(page, "<p")
	}
	if start >= 0 {
		if _, rest, ok := strings.Cut(page[start:], ">"); ok {
			if msg, _, ok := strings.Cut(rest, "</p>"); ok {
				if msg = strings.TrimSpace(html.UnescapeString(anyTag.ReplaceAllString(msg, ""))); msg != "" {
					return msg
				}
			}
		}
	}
	return "no explanation given"
}

// isLoopback reports whether u is an http(s) URL on a loopback host.
func isLoopback(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameEndpoint reports whether u has the scheme, host and path of redirectURI.
func sameEndpoint(u *url.URL, redirectURI string) bool {
	want, err := url.Parse(redirectURI)
	if err != nil || redirectURI == "" {
		return false
	}
	wantPath, gotPath := want.Path, u.Path
	if wantPath == "" {
		wantPath = "/"
	}
	if gotPath == "" {
		gotPath = "/"
	}
	return strings.EqualFold(u.Scheme, want.Scheme) && strings.EqualFold(u.Host, want.Host) && gotPath == wantPath
}
