package httpidp_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestProvider_AuthorizationURL_parameters(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["authorization_endpoint"] = f.srv.URL + "/authorize?p=B2C_1_signin"
	})
	p := newProvider(t, testConfig(newFakeClock()))
	maxAge := 90 * time.Second
	raw, err := p.AuthorizationURL(t.Context(), f.authority("", domain.AuthorityOIDC), domain.AuthorizationRequest{
		ClientID: "client-1", RedirectURI: "http://localhost:8400/cb", Scopes: []string{"openid", "offline_access", "User.Read"},
		State: "st", Nonce: "nn", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Prompt: "select_account",
		LoginHint: "ann@example.com", DomainHint: "example.com", Claims: `{"id_token":{"acrs":{"essential":true}}}`,
		MaxAge: &maxAge, ResponseMode: "form_post", Extra: url.Values{"ui_locales": {"fr"}},
	})
	if err != nil {
		t.Fatalf("AuthorizationURL() = %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != f.srv.URL+"/authorize" {
		t.Fatalf("got %q; want the authorization endpoint", raw)
	}
	want := url.Values{
		"p": {"B2C_1_signin"}, "response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {"http://localhost:8400/cb"},
		"scope": {"openid offline_access User.Read"}, "state": {"st"}, "nonce": {"nn"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
		"prompt": {"select_account"}, "login_hint": {"ann@example.com"}, "domain_hint": {"example.com"},
		"claims": {`{"id_token":{"acrs":{"essential":true}}}`}, "max_age": {"90"}, "response_mode": {"form_post"}, "ui_locales": {"fr"},
	}
	if got := u.Query(); got.Encode() != want.Encode() {
		t.Errorf("got query %q; want %q", got.Encode(), want.Encode())
	}
}

func TestProvider_AuthorizationURL_minimal(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	zero := time.Duration(0)
	raw, err := p.AuthorizationURL(t.Context(), f.authority("", domain.AuthorityOIDC), domain.AuthorizationRequest{
		ClientID: "client-1", RedirectURI: "http://localhost/cb", State: "st", MaxAge: &zero})
	if err != nil {
		t.Fatalf("AuthorizationURL() = %v", err)
	}
	q, _ := url.ParseQuery(raw[strings.Index(raw, "?")+1:])
	want := url.Values{"response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {"http://localhost/cb"}, "state": {"st"}, "max_age": {"0"}}
	if q.Encode() != want.Encode() {
		t.Errorf("got query %q; want %q (no empty parameters, max_age=0 kept)", q.Encode(), want.Encode())
	}
}

func TestProvider_AuthorizationURL_invalidInput(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	neg := -time.Second
	a := f.authority("", domain.AuthorityOIDC)
	base := domain.AuthorizationRequest{ClientID: "client-1", RedirectURI: "http://localhost/cb", State: "st"}
	tests := []struct {
		name string
		edit func(r *domain.AuthorizationRequest)
	}{
		{"no client id", func(r *domain.AuthorizationRequest) { r.ClientID = "" }},
		{"no state", func(r *domain.AuthorizationRequest) { r.State = "" }},
		{"negative max age", func(r *domain.AuthorizationRequest) { r.MaxAge = &neg }},
		{"extra replaces state", func(r *domain.AuthorizationRequest) { r.Extra = url.Values{"state": {"evil"}} }},
		{"extra replaces redirect", func(r *domain.AuthorizationRequest) { r.Extra = url.Values{"redirect_uri": {"https://evil"}} }},
	}
	for _, tt := range tests {
		r := base
		tt.edit(&r)
		if _, err := p.AuthorizationURL(t.Context(), a, r); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: AuthorizationURL() = %v; want ErrInvalidInput", tt.name, err)
		}
	}
}

// Regression (extra parameters): parameters already in the authorization endpoint's
// own query (B2C's policy "p") are kept; an extra query parameter of the same name, in
// any letter case, would send the user through another B2C user flow (one without MFA,
// say) than the authority's, so it is ErrInvalidInput, as for a parameter of the request.
func TestAuthorizationURL_extraQueryCannotReplaceEndpointPolicy(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["authorization_endpoint"] = f.srv.URL + "/authorize?p=B2C_1_signin_mfa"
	})
	p := newProvider(t, testConfig(newFakeClock()))
	raw, err := p.AuthorizationURL(t.Context(), f.authority("", domain.AuthorityOIDC), domain.AuthorizationRequest{
		ClientID: "client-1", RedirectURI: "http://localhost:8400/cb", Scopes: []string{"openid"}, State: "st",
		Extra: url.Values{"P": {"B2C_1_signin_nomfa"}},
	})
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("the endpoint's p=B2C_1_signin_mfa with an extra P=B2C_1_signin_nomfa: AuthorizationURL = %s, %v; want ErrInvalidInput", raw, err)
	}
}
