package usecases_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// A state the caller supplies is the one sent and kept (DESIGN §3 "Auth code flow": state
// is random unless the caller supplies it): a web app that put its own value there finds
// it in the redirect.
func TestAuthCode_callerSuppliedStateIsSent(t *testing.T) {
	const state = "caller-state-7f3a"
	req := usecases.AuthCodeRequest{Scopes: []string{"read"}, RedirectURI: "https://app.example/cb", State: state}
	t.Run("Initiate", func(t *testing.T) {
		f := newFixture(t)
		f.expectAuthorizationURL()
		flow, err := newAuthCode(t, f).Initiate(testContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(flow.AuthURI)
		if err != nil {
			t.Fatal(err)
		}
		if flow.State != state || u.Query().Get("state") != state {
			t.Fatalf("flow state %q, URL state %q; want the caller's %q in both", flow.State, u.Query().Get("state"), state)
		}
		if flow.Nonce == "" || flow.Nonce == state {
			t.Fatalf("nonce %q; want a random nonce of its own", flow.Nonce)
		}
	})
	t.Run("AuthorizationURL", func(t *testing.T) {
		f := newFixture(t)
		f.expectAuthorizationURL()
		raw, err := newAuthCode(t, f).AuthorizationURL(testContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Query().Get("state"); got != state {
			t.Fatalf("URL state %q; want the caller's %q", got, state)
		}
	})
}

// consent_required means the user must consent interactively (DESIGN §3 "Errors"), in
// whichever flow the provider says it.
func TestFlows_consentRequiredIsInteractionRequired(t *testing.T) {
	t.Run("auth code redirect", func(t *testing.T) {
		f := newFixture(t)
		f.expectMetadata()
		a := newAuthCode(t, f)
		flow := initiate(t, f, a)
		// No Token call and no store call are expected (strict mocks).
		_, err := a.Complete(testContext(t), flow, url.Values{"state": {flow.State}, "error": {"consent_required"}, "error_description": {"AADSTS65001"}})
		var de *domain.Error
		if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.Code != "consent_required" {
			t.Fatalf("Complete error = %v; want ErrInteractionRequired carrying the provider's consent_required", err)
		}
	})
	t.Run("username/password", func(t *testing.T) {
		f := newFixture(t)
		u, err := usecases.NewUsernamePassword(f.cfg, f.deps())
		if err != nil {
			t.Fatal(err)
		}
		f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.ParseTokenResponse(domain.GrantPassword, 400, []byte(`{"error":"consent_required"}`)))
		_, err = u.Acquire(testContext(t), usecases.PasswordRequest{Username: "alice", Password: "pw", Scopes: []string{"read"}})
		if !errors.Is(err, domain.ErrInteractionRequired) {
			t.Fatalf("Acquire error = %v; want ErrInteractionRequired", err)
		}
	})
}
