//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is what a user's browser does with the provider's pages: it follows
// redirects, keeps the provider's cookies, and submits the login and consent forms.
// No JavaScript is involved; every page is plain HTML with forms.
type browser struct {
	t      *testing.T
	client *http.Client
	// stopAt: a redirect to a URL with this prefix is not followed (the app's redirect
	// URI when no listener runs there); its query is the authorization response.
	stopAt string
}

func newBrowser(t *testing.T, stopAt string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, stopAt: stopAt}
	b.client = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if b.stopAt != "" && strings.HasPrefix(req.URL.String(), b.stopAt) {
				return http.ErrUseLastResponse
			}
			if len(via) > 20 {
				return errors.New("too many redirects")
			}
			return nil
		}}
	return b
}

// HTML forms as the provider's pages write them: our login and consent pages, and
// node-oidc-provider's own device-flow pages (id="op.deviceInputForm", ...). Attributes
// in any order; enough HTML for pages we know, not a general parser.
var (
	formRe  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?s)<input\b([^>]*?)/?>`)
	attrRe  = regexp.MustCompile(`([a-zA-Z_:-]+)="([^"]*)"`)
)

// htmlForm is a parsed form: its attributes and its inputs' names and values.
type htmlForm struct {
	attrs  map[string]string
	fields url.Values
}

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func forms(body string) []htmlForm {
	var out []htmlForm
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		hf := htmlForm{attrs: attrs(f[1]), fields: url.Values{}}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			a := attrs(in[1])
			if a["name"] != "" {
				hf.fields.Set(a["name"], a["value"])
			}
		}
		out = append(out, hf)
	}
	return out
}

// page is one HTML answer of the provider.
type page struct {
	url  *url.URL
	body string
	resp *http.Response // the last response: a redirect to stopAt, or the page
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("browser: %s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{url: resp.Request.URL, body: string(body), resp: resp}
}

func (b *browser) get(u string) page {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// submit posts the form of p whose hidden "prompt" is prompt (our interaction pages),
// with extra fields.
func (b *browser) submit(p page, prompt string, fields url.Values) page {
	b.t.Helper()
	return b.submitWhere(p, func(f htmlForm) bool { return f.fields.Get("prompt") == prompt }, prompt, fields)
}

// submitID posts the form of p with the given id (node-oidc-provider's own pages).
func (b *browser) submitID(p page, id string, fields url.Values) page {
	b.t.Helper()
	return b.submitWhere(p, func(f htmlForm) bool { return f.attrs["id"] == id }, id, fields)
}

func (b *browser) submitWhere(p page, match func(htmlForm) bool, what string, fields url.Values) page {
	b.t.Helper()
	for _, f := range forms(p.body) {
		if !match(f) || !strings.EqualFold(f.attrs["method"], "post") {
			continue
		}
		form := f.fields
		for k, v := range fields {
			form[k] = v
		}
		action, err := p.url.Parse(f.attrs["action"])
		if err != nil {
			b.t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	b.t.Fatalf("browser: no %q form on %s:\n%s", what, p.url.Redacted(), p.body)
	return page{}
}

// signIn follows an authorization URL through the login and consent pages as user with
// password and returns the final page: the redirect to stopAt when one is set.
func (b *browser) signIn(authURL, user, password string) page {
	b.t.Helper()
	p := b.get(authURL)
	for range 4 {
		switch {
		case b.stopAt != "" && p.resp.StatusCode/100 == 3:
			return p
		case strings.Contains(p.body, `name="prompt" value="login"`):
			p = b.submit(p, "login", url.Values{"login": {user}, "password": {password}})
			if strings.Contains(p.body, "Wrong username or password") {
				return p
			}
		case strings.Contains(p.body, `name="prompt" value="consent"`):
			p = b.submit(p, "consent", nil)
		default:
			return p
		}
	}
	return p
}

// authResponse signs in and returns the authorization response the provider sent to
// the redirect URI (stopAt).
func (b *browser) authResponse(authURL, user, password string) url.Values {
	b.t.Helper()
	p := b.signIn(authURL, user, password)
	loc := p.resp.Header.Get("Location")
	if p.resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, b.stopAt) {
		b.t.Fatalf("browser: sign-in ended at %s (%s), not at the redirect URI:\n%s", p.url.Redacted(), p.resp.Status, p.body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Query()
}

func (p page) String() string { return fmt.Sprintf("%s %s", p.resp.Status, p.url.Redacted()) }
