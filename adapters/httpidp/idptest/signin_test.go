package idptest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// refusingUser declines consent to every application.
const refusingUser = "bob@example.com"

// withRefusingUser adds refusingUser, who denies consent, to the fixture.
func withRefusingUser(c *idptest.Config) {
	c.Provider.Users = append(c.Provider.Users, idptest.User{Username: refusingUser, Password: userPassword, DeniesConsent: true})
}

// authURL is an authorization URL of the public client at endpoint, with a fresh PKCE
// pair whose verifier it returns.
func authURL(t *testing.T, endpoint string) (string, string) {
	t.Helper()
	p := newPKCE(t)
	return endpoint + "?" + authParams(publicID, p.Challenge, "n-signin").Encode(), string(p.Verifier)
}

// noSecretIn fails the test when err's message quotes the password.
func noSecretIn(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), userPassword) {
		t.Errorf("error %q quotes the password", err)
	}
}

func TestServer_SignIn_rightPassword(t *testing.T) {
	f := newFixture(t, nil)
	u, verifier := authURL(t, f.srv.URL()+"/authorize")
	v, err := f.srv.SignIn(t.Context(), u, userName, userPassword)
	if err != nil {
		t.Fatalf("SignIn() = %v; want the redirect's query", err)
	}
	if v.Get("code") == "" || v.Get("state") != "state-123" || v.Get("iss") != f.srv.Issuer() || v.Get("error") != "" {
		t.Fatalf("SignIn() = code set %v, state %q, iss %q, error %q; want a code, state-123, iss %s",
			v.Get("code") != "", v.Get("state"), v.Get("iss"), v.Get("error"), f.srv.Issuer())
	}
	r := postForm(t, f.srv.URL()+"/token", codeForm(v.Get("code"), verifier))
	if r.status != http.StatusOK {
		t.Fatalf("redeem the signed-in code: status %d; want 200: %s", r.status, r.body)
	}
	if c := idClaims(t, r.json(t)); c.PreferredUsername != userName || c.Nonce != "n-signin" {
		t.Errorf("ID token user %q nonce %q; want %s, n-signin", c.PreferredUsername, c.Nonce, userName)
	}
	if n := f.srv.EndpointRequests(idptest.EndpointAuthorize); n != 1 {
		t.Errorf("EndpointRequests(authorize) = %d; want 1 (one form submission)", n)
	}
}

func TestServer_SignIn_wrongPassword(t *testing.T) {
	f := newFixture(t, nil)
	u, _ := authURL(t, f.srv.URL()+"/authorize")
	v, err := f.srv.SignIn(t.Context(), u, userName, "not-"+userPassword)
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalidGrant) || de.HTTPStatus != http.StatusUnauthorized || v != nil {
		t.Fatalf("SignIn(wrong password) = %v, %v; want nil, ErrInvalidGrant [HTTP 401]", v, err)
	}
	if strings.Contains(err.Error(), "not-"+userPassword) {
		t.Errorf("error %q quotes the password", err)
	}
	_, err = f.srv.SignIn(t.Context(), u, "nobody@example.com", userPassword)
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("SignIn(unknown user) = %v; want ErrInvalidGrant", err)
	}
	noSecretIn(t, err)
}

func TestServer_SignIn_consentDenied(t *testing.T) {
	f := newFixture(t, withRefusingUser)
	u, _ := authURL(t, f.srv.URL()+"/authorize")
	v, err := f.srv.SignIn(t.Context(), u, refusingUser, userPassword)
	if err != nil {
		t.Fatalf("SignIn(consent denied) = %v; want the redirected refusal", err)
	}
	if v.Get("error") != "access_denied" || v.Get("code") != "" || v.Get("state") != "state-123" || v.Get("error_description") == "" {
		t.Errorf("SignIn(consent denied) = %v; want error=access_denied with a description and the state, no code", v)
	}
	ar := domain.ParseAuthResponse(v)
	if ar.Error != "access_denied" {
		t.Errorf("ParseAuthResponse: error %q; want access_denied", ar.Error)
	}
}

func TestServer_SignIn_entraTenantName(t *testing.T) {
	f := newFixture(t, nil)
	authority := f.srv.EntraAuthority("contoso.onmicrosoft.com")
	u, verifier := authURL(t, authority+"/oauth2/v2.0/authorize")
	v, err := f.srv.SignIn(t.Context(), u, userName, userPassword)
	if err != nil || v.Get("code") == "" {
		t.Fatalf("SignIn(Entra tenant name) = %v, %v; want a code", v, err)
	}
	wantIss := f.srv.URL() + "/" + idptest.DefaultTenantID + "/v2.0"
	if v.Get("iss") != wantIss {
		t.Errorf("iss = %q; want %q (the tenant's id, not its name)", v.Get("iss"), wantIss)
	}
	r := postForm(t, authority+"/oauth2/v2.0/token", codeForm(v.Get("code"), verifier))
	if c := idClaims(t, r.json(t)); c.Issuer != wantIss {
		t.Errorf("ID token iss = %q; want %q", c.Issuer, wantIss)
	}
}

func TestServer_SignIn_refusals(t *testing.T) {
	f := newFixture(t, nil)
	other := newFixture(t, nil)
	good, _ := authURL(t, f.srv.URL()+"/authorize")
	edit := func(change func(url.Values)) string {
		u, _ := url.Parse(good)
		q := u.Query()
		change(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	tests := []struct {
		name      string
		url       string
		fault     *idptest.Fault
		wantClass domain.ErrorCode
		status    int
	}{
		{"another server", strings.Replace(good, f.srv.URL(), other.srv.URL(), 1), nil, domain.ErrInvalidInput, 0},
		{"not a URL", "http://[::1", nil, domain.ErrInvalidInput, 0},
		{"no query", f.srv.URL() + "/authorize", nil, domain.ErrInvalidInput, 0},
		{"unknown client", edit(func(q url.Values) { q.Set("client_id", "ghost") }), nil, domain.ErrInvalidClient, 400},
		{"unregistered redirect URI", edit(func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/evil") }), nil, domain.ErrInvalidInput, 400},
		{"server error", good, &idptest.Fault{Endpoint: idptest.EndpointAuthorize, Status: 503}, domain.ErrUnavailable, 503},
		{"throttled", good, &idptest.Fault{Endpoint: idptest.EndpointAuthorize, Status: 429, RetryAfter: 7 * time.Second}, domain.ErrThrottled, 429},
		{"redirect elsewhere", good, &idptest.Fault{Endpoint: idptest.EndpointAuthorize, Redirect: "http://192.0.2.1/steal"}, domain.ErrInvalidResponse, 302},
		{"login form again", good, &idptest.Fault{Endpoint: idptest.EndpointAuthorize, Status: 200, Body: idptest.BodyHTML}, domain.ErrInvalidResponse, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				f.srv.Script(*tt.fault)
			}
			v, err := f.srv.SignIn(t.Context(), tt.url, userName, userPassword)
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, tt.wantClass) || de.HTTPStatus != tt.status || v != nil {
				t.Fatalf("SignIn() = %v, %v; want nil, %s [HTTP %d]", v, err, tt.wantClass, tt.status)
			}
			if tt.wantClass == domain.ErrThrottled && de.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v; want 7s", de.RetryAfter)
			}
			noSecretIn(t, err)
		})
	}
	if n := other.srv.EndpointRequests(idptest.EndpointAny); n != 0 {
		t.Errorf("the other server saw %d requests; want 0 (credentials are never sent elsewhere)", n)
	}
}

func TestServer_SignIn_contextDone(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{Endpoint: idptest.EndpointAuthorize, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	u, _ := authURL(t, f.srv.URL()+"/authorize")
	if _, err := f.srv.SignIn(ctx, u, userName, userPassword); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SignIn(done context) = %v; want an error wrapping context.DeadlineExceeded", err)
	}
}
