package fakeidp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// fixedClock is a ports.Clock that always tells the same time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	testPassword = "pw-Qz71!x"
	testSecret   = "secret-Hh42y"
	testTenant   = "9f2a6c1e-0000-4000-8000-00000000c0de"
)

// newProvider returns a provider with user alice, public client "pub", confidential
// clients "conf" (secret) and "cert" (the certificate of certKey), changed by mod.
func newProvider(t testing.TB, certKey *ecdsa.PrivateKey, mod func(*fakeidp.Config)) *fakeidp.Provider {
	t.Helper()
	cfg := fakeidp.Config{
		Clock: fixedClock{testNow},
		Users: []fakeidp.User{{Username: "alice@example.org", Password: testPassword, TenantID: testTenant}},
		Clients: []fakeidp.Client{
			{ID: "pub"},
			{ID: "conf", Secret: testSecret},
		},
	}
	if certKey != nil {
		cfg.Clients = append(cfg.Clients, fakeidp.Client{ID: "cert", Certificate: selfSigned(t, certKey)})
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := fakeidp.New(cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return p
}

// selfSigned returns a self-signed certificate of key.
func selfSigned(t testing.TB, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// authority parses raw.
func authority(t testing.TB, raw string) domain.Authority {
	t.Helper()
	a, err := domain.ParseAuthority(raw, domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// passwordRequest is a password grant of alice by clientID.
func passwordRequest(a domain.Authority, clientID string) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: clientID, Grant: domain.GrantPassword,
		Scopes: domain.WithReservedScopes([]string{"api://x/read"}), Username: "alice@example.org", Password: testPassword}
}

func TestProvider_Token_clientAuthenticatedByFront(t *testing.T) {
	p := newProvider(t, nil, nil)
	a := authority(t, "http://127.0.0.1:8080/realm")
	if _, err := p.Token(passwordRequest(a, "conf"), fakeidp.TokenOptions{}); !errors.Is(err, domain.ErrInvalidClient) {
		t.Errorf("Token(conf, no credential) = %v; want ErrInvalidClient", err)
	}
	if _, err := p.Token(passwordRequest(a, "conf"), fakeidp.TokenOptions{ClientAuthenticated: true}); err != nil {
		t.Errorf("Token(conf, ClientAuthenticated) = %v; want a token", err)
	}
	cc := domain.TokenRequest{Authority: a, ClientID: "pub", Grant: domain.GrantClientCredentials, Scopes: []string{"api://x/.default"}}
	_, err := p.Token(cc, fakeidp.TokenOptions{ClientAuthenticated: true})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != "invalid_client" || de.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("Token(public client, client_credentials) = %v; want invalid_client [401]", err)
	}
}

func TestProvider_Token_privateKeyCredential(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := newProvider(t, key, nil)
	a := authority(t, "http://127.0.0.1:8080/realm")
	c, ok := p.Client("cert")
	if !ok || !c.Confidential() || c.PublicKey == nil || !key.PublicKey.Equal(c.PublicKey) {
		t.Fatalf("Client(cert) = %+v, %v; want a confidential client whose PublicKey is the certificate's", c, ok)
	}
	cc := domain.TokenRequest{Authority: a, ClientID: "cert", Grant: domain.GrantClientCredentials,
		Scopes: []string{"api://x/.default"}, Credential: domain.ClientCredential{Key: key}}
	if _, err := p.Token(cc, fakeidp.TokenOptions{}); err != nil {
		t.Errorf("Token(registered key) = %v; want a token", err)
	}
	cc.Credential.Key = other
	if _, err := p.Token(cc, fakeidp.TokenOptions{}); !errors.Is(err, domain.ErrInvalidClient) {
		t.Errorf("Token(other key) = %v; want ErrInvalidClient", err)
	}
	cc.Credential = domain.ClientCredential{Secret: testSecret}
	if _, err := p.Token(cc, fakeidp.TokenOptions{}); !errors.Is(err, domain.ErrInvalidClient) {
		t.Errorf("Token(secret for a key client) = %v; want ErrInvalidClient", err)
	}
}

func TestProvider_Token_optionsPerCall(t *testing.T) {
	p := newProvider(t, nil, nil)
	a := authority(t, "https://login.microsoftonline.com/common")
	resp, err := p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{ClientInfo: true, IDTokenFault: fakeidp.IDTokenWrongAudience})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := domain.ParseClientInfo(resp.ClientInfo)
	if u, _ := p.User("alice@example.org"); err != nil || ci.UID != u.ObjectID || ci.UTID != testTenant {
		t.Errorf("client_info = %+v, %v; want uid %q utid %q", ci, err, u.ObjectID, testTenant)
	}
	_, c, _ := domain.ParseIDToken(string(resp.IDToken))
	if len(c.Audience) != 1 || c.Audience[0] == "pub" {
		t.Errorf("aud with IDTokenWrongAudience: got %v; want another audience", c.Audience)
	}
	resp, _ = p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{})
	if _, c, _ = domain.ParseIDToken(string(resp.IDToken)); c.Audience[0] != "pub" {
		t.Errorf("aud of the next call: got %v; want [pub] (the override is per call)", c.Audience)
	}
	fail := &domain.Error{Code: "invalid_grant", Description: "scripted", HTTPStatus: 400}
	_, err = p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{Fail: fail})
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("Token(Fail) = %v; want the scripted invalid_grant", err)
	}
	if got := p.Calls(domain.GrantPassword); got != 3 {
		t.Errorf("Calls: got %d; want 3", got)
	}
}

func TestProvider_CheckPassword(t *testing.T) {
	p := newProvider(t, nil, nil)
	tests := []struct {
		user, password string
		want           bool
	}{
		{"alice@example.org", testPassword, true},
		{"ALICE@example.org", testPassword, true},
		{"alice@example.org", testPassword + "x", false},
		{"alice@example.org", "", false},
		{"bob@example.org", testPassword, false},
	}
	for _, tt := range tests {
		if got := p.CheckPassword(tt.user, tt.password); got != tt.want {
			t.Errorf("CheckPassword(%q, …) = %v; want %v", tt.user, got, tt.want)
		}
	}
	if !p.CheckClientSecret("conf", testSecret) || p.CheckClientSecret("conf", "x") || p.CheckClientSecret("pub", "") {
		t.Error("CheckClientSecret: want true only for conf's secret")
	}
}

func TestProvider_Authorize_refusesBadRand(t *testing.T) {
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.Rand = strings.NewReader("short") })
	a := authority(t, "https://idp.example.org")
	q := map[string][]string{"client_id": {"pub"}, "redirect_uri": {"http://localhost/cb"}, "response_type": {"code"},
		"code_challenge": {"c"}, "code_challenge_method": {"S256"}}
	if v, err := p.Authorize(a, q, "alice@example.org"); err == nil || v != nil {
		t.Errorf("Authorize with an exhausted random source = %v, %v; want an error", v, err)
	}
	if _, err := p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{}); err == nil {
		t.Error("Token with an exhausted random source: want an error")
	}
}

func TestProvider_User_derivedIdentifiersAreStable(t *testing.T) {
	p1 := newProvider(t, nil, nil)
	p2 := newProvider(t, nil, nil)
	u1, ok1 := p1.User("alice@example.org")
	u2, ok2 := p2.User("Alice@Example.org")
	if !ok1 || !ok2 || u1.Subject == "" || u1.ObjectID == "" || u1 != u2 {
		t.Errorf("User: got %+v and %+v; want equal, with derived subject and object id", u1, u2)
	}
	if u1.Password.String() != "[redacted]" {
		t.Errorf("Password prints as %q; want it redacted", u1.Password.String())
	}
	if _, ok := p1.User("nobody"); ok {
		t.Error("User(nobody): want false")
	}
}

func TestProvider_concurrentUse(t *testing.T) {
	p := newProvider(t, nil, nil)
	a := authority(t, "https://idp.example.org")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.SetIDTokenFault(fakeidp.IDTokenFault(i % 3))
			p.FailNext(domain.GrantRefreshToken, &domain.Error{Code: "server_error", HTTPStatus: 500})
			if _, err := p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{}); err != nil {
				t.Errorf("Token = %v", err)
			}
			p.RevokeRefreshTokens("alice@example.org")
			_ = p.Calls(domain.GrantPassword)
		}()
	}
	wg.Wait()
	if got := p.Calls(domain.GrantPassword); got != 50 {
		t.Errorf("Calls: got %d; want 50", got)
	}
}

// manualClock is a ports.Clock moved by the test.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *manualClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestProvider_Authorize_forgetsExpiredCodes(t *testing.T) {
	clock := &manualClock{t: testNow}
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.Clock = clock })
	a := authority(t, "https://idp.example.org")
	q := map[string][]string{"client_id": {"pub"}, "redirect_uri": {"http://localhost/cb"}, "response_type": {"code"},
		"code_challenge": {domain.S256Challenge(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"},
		"scope": {"openid api://x/read"}}
	signIn := func() string {
		v, err := p.Authorize(a, q, "alice@example.org")
		if err != nil || v.Get("code") == "" {
			t.Fatalf("Authorize = %v, %v; want a code", v, err)
		}
		return v.Get("code")
	}
	redeem := func(code string) *domain.Error {
		_, err := p.Token(domain.TokenRequest{Authority: a, ClientID: "pub", Grant: domain.GrantAuthorizationCode,
			Code: domain.Secret(code), CodeVerifier: domain.Secret(strings.Repeat("v", 43)), RedirectURI: "http://localhost/cb"}, fakeidp.TokenOptions{})
		var de *domain.Error
		errors.As(err, &de)
		return de
	}
	expired, kept := signIn(), signIn()
	clock.advance(fakeidp.DefaultCodeLifetime + time.Second)
	if e := redeem(kept); e == nil || e.ErrorCodes[0] != 70008 {
		t.Fatalf("redeem(expired code) = %v; want AADSTS70008", e)
	}
	for range 254 { // the 256th live code triggers a sweep
		signIn()
	}
	if e := redeem(expired); e == nil || e.ErrorCodes[0] != 70000 {
		t.Errorf("redeem(swept code) = %v; want AADSTS70000 (unknown: the expired code was forgotten)", e)
	}
	if e := redeem(signIn()); e != nil {
		t.Errorf("redeem(fresh code) = %v; want a token", e)
	}
}

func TestProvider_Token_omitIDTokenOnRefresh(t *testing.T) {
	p := newProvider(t, nil, func(c *fakeidp.Config) { c.OmitIDTokenOnRefresh, c.RotateRefreshTokens = true, true })
	a := authority(t, "http://127.0.0.1:8080/realm")
	signIn, err := p.Token(passwordRequest(a, "pub"), fakeidp.TokenOptions{})
	if err != nil || signIn.IDToken == "" || signIn.RefreshToken == "" {
		t.Fatalf("password grant = %v (ID token %t, refresh token %t); want both", err, signIn.IDToken != "", signIn.RefreshToken != "")
	}
	refresh := domain.TokenRequest{Authority: a, ClientID: "pub", Grant: domain.GrantRefreshToken,
		Scopes: domain.WithReservedScopes([]string{"api://x/read"}), RefreshToken: signIn.RefreshToken}
	resp, err := p.Token(refresh, fakeidp.TokenOptions{})
	if err != nil || resp.IDToken != "" || resp.ClientInfo != "" || resp.RefreshToken == "" || resp.RefreshToken == signIn.RefreshToken {
		t.Fatalf("refresh grant = %v (ID token %t, client_info %q); want a rotated refresh token and no ID token", err, resp.IDToken != "", resp.ClientInfo)
	}
}
