package webapp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/examples/webapp"
)

const (
	testUser     = "ada@example.com"
	testPassword = "ada-test-password"
	testName     = "Ada Lovelace"
	testClientID = "webapp-test"
	testSecret   = "webapp-test-secret"
)

var (
	testScopes  = []string{"api://orders/read"}
	testTenants = []string{"acme", "globex"}
)

// lockedBuffer collects log lines from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is the fake provider, the web app, and the demo API, on loopback.
type harness struct {
	t      *testing.T
	idp    *idptest.Server
	client *app.ConfidentialClient
	app    *webapp.Server
	web    *httptest.Server
	api    *httptest.Server
	clock  *memory.Clock // the web app's clock (cookie expiry)
	logs   *lockedBuffer
}

// options adjust a harness before the web app starts.
type options struct {
	userName string // the display name of the test user; default testName
	apiURL   string // default: the demo API
	// endSession gives the provider an end_session_endpoint (RP-initiated logout), with
	// the web app's post-logout redirect URI registered.
	endSession bool
}

func newHarness(t *testing.T, opts options) *harness {
	t.Helper()
	if opts.userName == "" {
		opts.userName = testName
	}
	h := &harness{t: t, clock: memory.NewClock(time.Now()), logs: &lockedBuffer{}}
	// The web app's URL first: the provider registers its post-logout redirect URI.
	var handler http.Handler = http.NotFoundHandler()
	h.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(h.web.Close)
	h.idp = idptest.NewTestServer(t, idptest.Config{EndSession: opts.endSession, Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: testUser, Password: domain.Secret(testPassword), Name: opts.userName}},
		Clients: []idptest.Client{{ID: testClientID, Secret: domain.Secret(testSecret), PostLogoutRedirectURIs: []string{h.web.URL + "/signed-out"}}},
	}})
	ctx := context.Background()
	var err error
	h.client, err = app.NewConfidentialClient(ctx, app.Config{ClientID: testClientID, Authority: h.idp.Issuer(), Cache: "memory:"}, app.ClientSecret(testSecret))
	if err != nil {
		t.Fatalf("NewConfidentialClient: %v", err)
	}
	t.Cleanup(func() { _ = h.client.Close() })
	h.api = httptest.NewServer(webapp.NewDemoAPI(webapp.CacheTokenChecker(h.client, testTenants, testScopes)))
	t.Cleanup(h.api.Close)
	if opts.apiURL == "" {
		opts.apiURL = h.api.URL + "/hello"
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h.app, err = webapp.New(webapp.Config{
		Client: h.client, PublicURL: h.web.URL, Tenants: testTenants, CookieKey: key,
		Scopes: testScopes, APIURL: opts.apiURL, Clock: h.clock,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("webapp.New: %v", err)
	}
	handler = h.app
	return h
}

// browser is a cookie-keeping HTTP client that does not follow redirects, so each step
// of a sign-in can be looked at.
type browser struct {
	h   *harness
	jar *cookiejar.Jar
	c   *http.Client
}

func (h *harness) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer of the web app.
type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, header http.Header) page {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.h.web.URL + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw), header: resp.Header}
}

func (b *browser) get(path string) page { b.h.t.Helper(); return b.do(http.MethodGet, path, nil, nil) }

// startSignIn asks the web app to sign in to tenant and returns the provider's
// authorization URL it redirected to.
func (b *browser) startSignIn(tenant string) string {
	b.h.t.Helper()
	p := b.get("/t/" + tenant + "/login")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, b.h.idp.URL()) {
		b.h.t.Fatalf("GET /t/%s/login = %d to %q; want 303 to the provider", tenant, p.status, p.location)
	}
	return p.location
}

// authorize signs the test user in at the provider (its login form, as a browser posts
// it) and returns the authorization response meant for the callback.
func (h *harness) authorize(authURL string) url.Values {
	h.t.Helper()
	v, err := h.idp.SignIn(context.Background(), authURL, testUser, testPassword)
	if err != nil {
		h.t.Fatalf("idp.SignIn: %v", err)
	}
	return v
}

// callback delivers an authorization response to the web app.
func (b *browser) callback(resp url.Values) page {
	b.h.t.Helper()
	return b.get("/callback?" + resp.Encode())
}

// signIn runs a whole sign-in to tenant and returns the callback's answer.
func (b *browser) signIn(tenant string) page {
	b.h.t.Helper()
	p := b.callback(b.h.authorize(b.startSignIn(tenant)))
	if p.status != http.StatusSeeOther || p.location != "/t/"+tenant+"/" {
		b.h.t.Fatalf("callback = %d to %q (%s); want 303 to /t/%s/", p.status, p.location, p.body, tenant)
	}
	return p
}

// cookie returns the value of the browser's cookie name, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.web.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie plants a cookie in the browser.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.h.web.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// accounts lists the cached accounts of tenant.
func (h *harness) accounts(tenant string) []app.Account {
	h.t.Helper()
	accts, err := h.client.Partition(tenant).Accounts(context.Background())
	if err != nil {
		h.t.Fatalf("Accounts(%s): %v", tenant, err)
	}
	return accts
}

// csrfOf reads the sign-out form's CSRF token from a home page.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no sign-out form on the page:\n%s", body)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// expectSessionRefused presents a copy of tenant's session cookie value in a fresh
// browser and fails unless the page is the signed-out one; what says whose cookie.
func (h *harness) expectSessionRefused(tenant, value, what string) {
	h.t.Helper()
	b := h.newBrowser()
	b.setCookie("webapp-session-"+tenant, value)
	if p := b.get("/t/" + tenant + "/"); !strings.Contains(p.body, "You are signed out.") {
		h.t.Fatalf("%s:\n%s\nwant the signed-out page", what, p.body)
	}
}
