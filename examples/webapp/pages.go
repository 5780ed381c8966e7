package webapp

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/bearer"
	"github.com/hexauth/hexauth/domain"
)

const (
	// maxAPIBody bounds the API answer shown on the API page.
	maxAPIBody = 64 << 10
	apiTimeout = 15 * time.Second
)

// index lists the tenants.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index", map[string]any{"Tenants": s.cfg.Tenants})
}

// home shows who is signed in to the tenant, or a sign-in link.
func (s *Server) home(w http.ResponseWriter, r *http.Request, tenant string) {
	acct, sess, claims, ok := s.signedIn(r.Context(), w, r, tenant)
	v := map[string]any{"Tenant": tenant, "SignedIn": ok}
	if ok {
		v["Name"] = displayName(acct, claims)
		v["CSRF"] = sess.CSRF
		// The sign-out form's POST redirects to the provider's end-session endpoint, when
		// there is one: the page's form-action must allow that origin. Unknown now: the
		// sign-out will not find it either, and stays here.
		if ep, err := s.client(tenant).EndSessionEndpoint(r.Context()); err == nil && ep != "" {
			if o := sourceOrigin(ep); o != "" {
				w.Header().Set("Content-Security-Policy", contentSecurityPolicy(o))
			}
		}
	}
	s.render(w, http.StatusOK, "home", v)
}

// cspHost is a host[:port] that may appear in a CSP source expression as is.
var cspHost = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// sourceOrigin returns raw's origin as a CSP source ("https://idp.example.com"), or ""
// when it is not an http(s) URL whose host can be written in a policy without escaping
// (a policy is split on ";" and spaces).
func sourceOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !cspHost.MatchString(u.Host) {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// claim is one row of the claims page.
type claim struct{ Name, Value string }

// claims shows the signed-in user's ID-token claims (html/template escapes them: they
// are the provider's text, and partly the user's).
func (s *Server) claims(w http.ResponseWriter, r *http.Request, tenant string) {
	_, _, c, ok := s.signedIn(r.Context(), w, r, tenant)
	if !ok {
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	rows := []claim{
		{"iss", c.Issuer}, {"sub", c.Subject}, {"aud", strings.Join(c.Audience, " ")},
		{"name", c.Name}, {"preferred_username", c.PreferredUsername}, {"email", c.Email},
		{"tid", c.TenantID}, {"oid", c.ObjectID}, {"azp", c.AuthorizedParty},
		{"iat", timeClaim(c.IssuedAt)}, {"exp", timeClaim(c.Expiry)}, {"auth_time", timeClaim(c.AuthTime)},
	}
	shown := rows[:0]
	for _, row := range rows {
		if row.Value != "" {
			shown = append(shown, row)
		}
	}
	s.render(w, http.StatusOK, "claims", map[string]any{"Tenant": tenant, "Claims": shown})
}

// callAPI calls the downstream API with the user's token, through bearer's authorizing
// client, and shows its answer.
func (s *Server) callAPI(w http.ResponseWriter, r *http.Request, tenant string) {
	acct, _, _, ok := s.signedIn(r.Context(), w, r, tenant)
	if !ok {
		http.Redirect(w, r, "/t/"+tenant+"/", http.StatusSeeOther)
		return
	}
	if len(s.cfg.Scopes) == 0 {
		s.fail(w, r, http.StatusConflict, "No API scopes are configured: there is no token to call the API with.", nil)
		return
	}
	status, body, err := s.fetchAPI(r.Context(), tenant, acct)
	switch {
	case errors.Is(err, domain.ErrInteractionRequired):
		s.fail(w, r, http.StatusUnauthorized, "Your session has expired at the provider. Please sign in again.", err)
		return
	case err != nil:
		s.fail(w, r, http.StatusBadGateway, "The API could not be called.", err)
		return
	}
	s.render(w, http.StatusOK, "api", map[string]any{"Tenant": tenant, "Status": status, "Body": body, "URL": s.cfg.APIURL})
}

// fetchAPI GETs the API as acct. The token goes to the API's host only (AllowedHosts):
// http.Client follows a redirect elsewhere without it.
func (s *Server) fetchAPI(ctx context.Context, tenant string, acct app.Account) (int, string, error) {
	hc, err := bearer.NewClient(bearer.Config{
		Acquire:      app.SilentBearer(s.client(tenant), s.cfg.Scopes, acct),
		AllowedHosts: []string{s.apiURL.Host},
		Base:         s.cfg.APITransport,
	})
	if err != nil {
		return 0, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.APIURL, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(b), nil
}

// origin is PublicURL's origin, as browsers send it in Origin.
func (s *Server) origin() string { return strings.TrimSuffix(s.cfg.PublicURL, "/") }

// fail logs why a request was refused (the error's text, which hexauth keeps free of
// secrets; never the URL's query, which may hold a code) and renders the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	attrs := []any{"status", status, "method", r.Method, "path", r.URL.Path}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	s.log.WarnContext(r.Context(), "webapp: refused", attrs...)
	s.render(w, status, "error", map[string]any{"Status": status, "Message": msg})
}

// render executes page into a buffer first, so a template error is a clean 500.
func (s *Server) render(w http.ResponseWriter, status int, page string, v map[string]any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, page, v); err != nil {
		http.Error(w, "webapp: page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func displayName(a app.Account, c domain.IDTokenClaims) string {
	for _, n := range []string{c.Name, a.Name, c.Username(), a.Username, c.Subject} {
		if n != "" {
			return n
		}
	}
	return "(unnamed)"
}

func timeClaim(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

var pages = template.Must(template.New("pages").Parse(`
{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hexauth web app</title>
<style>body{font-family:sans-serif;max-width:48em;margin:2em auto}th{text-align:left;padding-right:1em}</style>
</head><body>{{end}}
{{define "bottom"}}</body></html>
{{end}}
{{define "nav"}}<nav><a href="/t/{{.Tenant}}/">Home</a> · <a id="claims-link" href="/t/{{.Tenant}}/claims">Claims</a> · <a id="api-link" href="/t/{{.Tenant}}/api">Call the API</a></nav>{{end}}

{{define "index"}}{{template "top"}}<h1>hexauth web app</h1><ul id="tenants">
{{range .Tenants}}<li><a href="/t/{{.}}/">{{.}}</a></li>
{{end}}</ul>{{template "bottom"}}{{end}}

{{define "home"}}{{template "top"}}<h1>Tenant <span id="tenant">{{.Tenant}}</span></h1>
{{if .SignedIn}}{{template "nav" .}}
<p id="status">Signed in as <strong id="user-name">{{.Name}}</strong>.</p>
<form id="logout-form" method="post" action="/t/{{.Tenant}}/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button id="logout" type="submit">Sign out</button></form>
{{else}}<p id="status">You are signed out.</p>
<p><a id="login" href="/t/{{.Tenant}}/login">Sign in</a></p>
{{end}}{{template "bottom"}}{{end}}

{{define "claims"}}{{template "top"}}<h1>Your ID-token claims</h1>{{template "nav" .}}
<table id="claims">{{range .Claims}}<tr><th>{{.Name}}</th><td id="claim-{{.Name}}">{{.Value}}</td></tr>
{{end}}</table>{{template "bottom"}}{{end}}

{{define "api"}}{{template "top"}}<h1>The API answered</h1>{{template "nav" .}}
<p>GET {{.URL}}: status <span id="api-status">{{.Status}}</span></p>
<pre id="api-response">{{.Body}}</pre>{{template "bottom"}}{{end}}

{{define "error"}}{{template "top"}}<h1>Refused ({{.Status}})</h1>
<p id="error">{{.Message}}</p><p><a href="/">Start again</a></p>{{template "bottom"}}{{end}}
`))
