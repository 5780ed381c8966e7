package idptest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// Fixture values shared by the tests.
const (
	userName     = "ada@example.com"
	userPassword = "correct horse battery staple"
	publicID     = "public-app"
	webID        = "web-app"
	webSecret    = "web-secret-value"
	ecID         = "cert-app-ec"
	rsaID        = "cert-app-rsa"
	redirectURI  = "http://127.0.0.1:9/callback"
	apiScope     = "api://demo/read"
)

// testClock is a settable ports.Clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clientKeys are the private_key_jwt keys and certificates of the fixture clients.
type clientKeys struct {
	ecKey   *ecdsa.PrivateKey
	ecCert  *x509.Certificate
	rsaKey  *rsa.PrivateKey
	rsaCert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     clientKeys
)

// fixtureKeys generates the client keys once per test binary.
func fixtureKeys(t testing.TB) clientKeys {
	t.Helper()
	keysOnce.Do(func() {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys = clientKeys{ecKey: ec, ecCert: selfSigned(ec), rsaKey: rk, rsaCert: selfSigned(rk)}
	})
	return keys
}

func selfSigned(key crypto.Signer) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "idptest client"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<32, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert
}

// fixture is a running server with the fixture's users and clients.
type fixture struct {
	srv   *idptest.Server
	clock *testClock
	keys  clientKeys
}

// newFixture starts a server; edit changes the config before it starts.
func newFixture(t *testing.T, edit func(*idptest.Config)) fixture {
	t.Helper()
	k := fixtureKeys(t)
	clock := &testClock{now: time.Now().Truncate(time.Second)}
	cfg := idptest.Config{
		Provider: idptest.ProviderConfig{
			Clock: clock,
			Users: []idptest.User{{Username: userName, Password: userPassword, Name: "Ada Lovelace"}},
			Clients: []idptest.Client{
				{ID: publicID, RedirectURIs: []string{redirectURI}},
				{ID: webID, Secret: webSecret, RedirectURIs: []string{redirectURI}},
				{ID: ecID, Certificate: k.ecCert},
				{ID: rsaID, Certificate: k.rsaCert},
			},
			IssuerInResponse: true,
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	return fixture{srv: idptest.NewTestServer(t, cfg), clock: clock, keys: k}
}

// noRedirect is an HTTP client that returns redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the reply's body as a JSON object.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %v: %.200q", r.status, err, r.body)
	}
	return m
}

func read(t *testing.T, resp *http.Response, err error) reply {
	t.Helper()
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func get(t *testing.T, u string) reply {
	t.Helper()
	resp, err := noRedirect.Get(u)
	return read(t, resp, err)
}

// postForm posts form to u; basic, when set, is "id:secret" for HTTP Basic.
func postForm(t *testing.T, u string, form url.Values, basic ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 1 {
		id, secret, _ := strings.Cut(basic[0], ":")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := noRedirect.Do(req)
	return read(t, resp, err)
}

// authParams is an authorization request for client with PKCE challenge and nonce.
func authParams(client, challenge, nonce string, scopes ...string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {client},
		"redirect_uri":          {redirectURI},
		"scope":                 {strings.Join(append([]string{"openid", "offline_access"}, scopes...), " ")},
		"state":                 {"state-123"},
		"nonce":                 {nonce},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
}

// newPKCE returns a fresh PKCE pair.
func newPKCE(t *testing.T) domain.PKCE {
	t.Helper()
	p, err := domain.NewPKCE(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// location parses the Location of a redirect reply.
func location(t *testing.T, r reply) *url.URL {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("status = %d; want 302 (body %.300q)", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	return u
}

// authCode runs an auto-approved authorization request at authorizeURL and returns the
// code and the PKCE verifier.
func authCode(t *testing.T, authorizeURL, client, nonce string) (code string, verifier string) {
	t.Helper()
	p := newPKCE(t)
	u := location(t, get(t, authorizeURL+"?"+authParams(client, p.Challenge, nonce).Encode()))
	code = u.Query().Get("code")
	if code == "" {
		t.Fatalf("redirect %v has no code", u.Redacted())
	}
	return code, string(p.Verifier)
}

// codeForm is the token request redeeming code with verifier for the public client.
func codeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {publicID}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {redirectURI}}
}

// passwordForm is a password grant of the fixture user for the public client.
func passwordForm(scopes ...string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {publicID}, "username": {userName},
		"password": {userPassword}, "scope": {strings.Join(append([]string{"openid", "offline_access"}, scopes...), " ")}}
}

// idClaims parses the id_token of a token response.
func idClaims(t *testing.T, m map[string]any) domain.IDTokenClaims {
	t.Helper()
	raw, _ := m["id_token"].(string)
	_, c, err := domain.ParseIDToken(raw)
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	return c
}

// errorCodes returns the error_codes of an error response.
func errorCodes(m map[string]any) []int {
	var out []int
	list, _ := m["error_codes"].([]any)
	for _, c := range list {
		if f, ok := c.(float64); ok {
			out = append(out, int(f))
		}
	}
	return out
}
