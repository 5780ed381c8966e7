package usecases_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

func newAuthCode(t *testing.T, f *fixture) *usecases.AuthCode {
	t.Helper()
	a, err := usecases.NewAuthCode(f.cfg, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// expectAuthorizationURL answers AuthorizationURL the way a provider adapter would.
func (f *fixture) expectAuthorizationURL() {
	f.idp.EXPECT().AuthorizationURL(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, a domain.Authority, r domain.AuthorizationRequest) (string, error) {
			q := url.Values{"client_id": {r.ClientID}, "redirect_uri": {r.RedirectURI}, "state": {r.State}, "nonce": {r.Nonce},
				"code_challenge": {r.CodeChallenge}, "code_challenge_method": {domain.PKCEMethod}, "scope": {domain.JoinScopes(r.Scopes)}}
			return a.URL + "/authorize?" + q.Encode(), nil
		}).AnyTimes()
}

func initiate(t *testing.T, f *fixture, a *usecases.AuthCode) domain.AuthCodeFlow {
	t.Helper()
	f.expectAuthorizationURL()
	flow, err := a.Initiate(testContext(t), usecases.AuthCodeRequest{Scopes: []string{"read"}, RedirectURI: "https://app.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	return flow
}

func TestAuthCode_Initiate_makesPKCEStateAndNonce(t *testing.T) {
	f := newFixture(t)
	a := newAuthCode(t, f)
	flow := initiate(t, f, a)
	u, err := url.Parse(flow.AuthURI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if len(flow.CodeVerifier) < 43 || q.Get("code_challenge") != domain.S256Challenge(string(flow.CodeVerifier)) {
		t.Fatalf("verifier of %d chars with challenge %q; want a 43+ char verifier and its S256 challenge", len(flow.CodeVerifier), q.Get("code_challenge"))
	}
	if flow.State == "" || flow.Nonce == "" || q.Get("state") != flow.State || q.Get("nonce") != flow.Nonce {
		t.Fatalf("state %q nonce %q not both random and in the URL", flow.State, flow.Nonce)
	}
	if q.Get("scope") != "offline_access openid profile read" {
		t.Fatalf("scope %q; want the reserved scopes added", q.Get("scope"))
	}
	other := initiate(t, f, a)
	if other.State == flow.State || other.Nonce == flow.Nonce || other.CodeVerifier == flow.CodeVerifier {
		t.Fatal("two flows share a state, nonce or verifier")
	}
	if err := flow.CheckIntegrity(f.clock.Now(), 0); err != nil {
		t.Fatalf("a fresh flow fails its own integrity check: %v", err)
	}
}

func TestAuthCode_Initiate_badInput(t *testing.T) {
	f := newFixture(t)
	a := newAuthCode(t, f)
	for _, req := range []usecases.AuthCodeRequest{
		{Scopes: []string{"openid", "bad\tscope"}, RedirectURI: "https://app.example/cb"},
		{Scopes: []string{"read"}, RedirectURI: "/relative"},
		{Scopes: []string{"read"}, RedirectURI: "https://app.example/cb#frag"},
	} {
		if _, err := a.Initiate(testContext(t), req); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Initiate(%+v) error = %v; want ErrInvalidInput", req, err)
		}
	}
}

// completeWith runs Complete on a fresh flow whose redirect query is built by edit.
func TestAuthCode_Complete_checksInOrderAndFailsClosed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		editFlow func(*domain.AuthCodeFlow)
		query    func(flow domain.AuthCodeFlow) url.Values
		redeems  bool // the code reaches the token endpoint
		idToken  func(f *fixture, flow domain.AuthCodeFlow) map[string]any
		want     domain.ErrorCode
	}{
		{name: "tampered verifier", editFlow: func(fl *domain.AuthCodeFlow) { fl.CodeVerifier += "x" },
			query: okQuery, want: domain.ErrInvalidFlow},
		{name: "tampered redirect", editFlow: func(fl *domain.AuthCodeFlow) { fl.RedirectURI = "https://evil.example/cb" },
			query: okQuery, want: domain.ErrInvalidFlow},
		{name: "authority on another provider", editFlow: func(fl *domain.AuthCodeFlow) { fl.Authority = "https://evil.example/tenant" },
			query: okQuery, want: domain.ErrInvalidFlow},
		{name: "another realm on the same host", editFlow: func(fl *domain.AuthCodeFlow) {
			fl.Authority = testIssuer + "realms/evil" // the mocked metadata is the same for any realm
		}, query: okQuery, want: domain.ErrInvalidFlow},
		{name: "authority over plain http", editFlow: func(fl *domain.AuthCodeFlow) {
			fl.Authority = strings.Replace(fl.Authority, "https://", "http://", 1)
		}, query: okQuery, want: domain.ErrInvalidFlow},
		{name: "flow of another client", editFlow: func(fl *domain.AuthCodeFlow) {
			fl.AuthURI = strings.Replace(fl.AuthURI, "client_id="+testClient, "client_id=other-client", 1)
		}, query: okQuery, want: domain.ErrInvalidFlow},
		{name: "authorization URL on another host", editFlow: func(fl *domain.AuthCodeFlow) {
			u, _ := url.Parse(fl.AuthURI)
			u.Host = "evil.example"
			fl.AuthURI = u.String()
		}, query: okQuery, want: domain.ErrInvalidFlow},
		{name: "scope added to the flow", editFlow: func(fl *domain.AuthCodeFlow) { fl.Scopes = append(fl.Scopes, "admin") },
			query: okQuery, want: domain.ErrInvalidFlow},
		{name: "incomplete flow", editFlow: func(fl *domain.AuthCodeFlow) { fl.Nonce = "" }, query: okQuery, want: domain.ErrInvalidFlow},
		{name: "state mismatch even with an error", query: func(fl domain.AuthCodeFlow) url.Values {
			return url.Values{"state": {"forged"}, "error": {"access_denied"}}
		}, want: domain.ErrStateMismatch},
		{name: "missing state", query: func(fl domain.AuthCodeFlow) url.Values { return url.Values{"code": {"c"}} }, want: domain.ErrStateMismatch},
		{name: "provider error", query: func(fl domain.AuthCodeFlow) url.Values {
			return url.Values{"state": {fl.State}, "error": {"access_denied"}, "error_description": {"user declined"}}
		}, want: domain.ErrAccessDenied},
		{name: "wrong issuer", query: func(fl domain.AuthCodeFlow) url.Values {
			return url.Values{"state": {fl.State}, "code": {"c"}, "iss": {"https://evil.example"}}
		}, want: domain.ErrInvalidResponse},
		{name: "no code", query: func(fl domain.AuthCodeFlow) url.Values { return url.Values{"state": {fl.State}} }, want: domain.ErrInvalidResponse},
		{name: "nonce mismatch", query: okQuery, redeems: true, idToken: func(f *fixture, fl domain.AuthCodeFlow) map[string]any {
			return f.claimsFor(testHome, "other-nonce")
		}, want: domain.ErrNonceMismatch},
		{name: "wrong audience", query: okQuery, redeems: true, idToken: func(f *fixture, fl domain.AuthCodeFlow) map[string]any {
			c := f.claimsFor(testHome, fl.Nonce)
			c["aud"] = "someone-else"
			return c
		}, want: domain.ErrInvalidIDToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.expectMetadata()
			a := newAuthCode(t, f)
			flow := initiate(t, f, a)
			if tc.editFlow != nil {
				tc.editFlow(&flow)
			}
			if tc.redeems {
				resp := f.tokenResponse(t, testHome)
				resp.IDToken = idToken(t, tc.idToken(f, flow))
				f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
				f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			}
			// The strict store mock has no expectations: any cache write fails the test.
			_, err := a.Complete(testContext(t), flow, tc.query(flow))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Complete error = %v; want %v", err, tc.want)
			}
		})
	}
}

func okQuery(fl domain.AuthCodeFlow) url.Values {
	return url.Values{"state": {fl.State}, "code": {"the-code"}}
}

func TestAuthCode_Complete_redeemsWithVerifierThenRefusesReplay(t *testing.T) {
	f := newFixture(t)
	f.expectMetadata()
	a := newAuthCode(t, f)
	flow := initiate(t, f, a)
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		if r.Grant != domain.GrantAuthorizationCode || r.Code != "the-code" || r.CodeVerifier != flow.CodeVerifier || r.RedirectURI != flow.RedirectURI {
			t.Errorf("Token(%v) did not send the code, the flow's verifier and redirect URI", r)
		}
		resp := f.tokenResponse(t, testHome)
		resp.IDToken = idToken(t, f.claimsFor(testHome, flow.Nonce))
		return resp, nil
	})
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	res, err := a.Complete(testContext(t), flow, okQuery(flow))
	if err != nil {
		t.Fatal(err)
	}
	if res.IDTokenClaims == nil || res.IDTokenClaims.Subject != testHome || res.Account.HomeAccountID != testHome || res.RefreshToken != "new-rt" {
		t.Fatalf("result %+v lacks the claims, the account or the issued refresh token", res)
	}
	if _, err := a.Complete(testContext(t), flow, okQuery(flow)); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("second Complete error = %v; want ErrInvalidFlow (replay)", err)
	}
	denied := url.Values{"state": {flow.State}, "error": {"access_denied"}}
	if _, err := a.Complete(testContext(t), flow, denied); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("Complete of a completed flow with an error response = %v; want ErrInvalidFlow (replay) first", err)
	}
}

func TestAuthCode_Complete_expiredFlowAndBadSignature(t *testing.T) {
	f := newFixture(t)
	f.expectMetadata()
	a := newAuthCode(t, f)
	flow := initiate(t, f, a)
	f.clock.Advance(16 * time.Minute)
	if _, err := a.Complete(testContext(t), flow, okQuery(flow)); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("Complete after 16 minutes error = %v; want ErrInvalidFlow", err)
	}

	f2 := newFixture(t)
	f2.expectMetadata()
	a2 := newAuthCode(t, f2)
	flow2 := initiate(t, f2, a2)
	resp := f2.tokenResponse(t, testHome)
	resp.IDToken = idToken(t, f2.claimsFor(testHome, flow2.Nonce))
	f2.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
	f2.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.Errorf(domain.ErrInvalidIDToken, "bad signature"))
	if _, err := a2.Complete(testContext(t), flow2, okQuery(flow2)); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Fatalf("Complete with a bad signature error = %v; want ErrInvalidIDToken and no cache write", err)
	}
}

// A flow initiated with another authority than the client's completes only when the
// completion names that authority; a flow edited to name another tenant of the same
// host does not.
func TestAuthCode_CompleteWith_authorityOfTheFlow(t *testing.T) {
	f := entraFixture(t, "https://login.microsoftonline.com/"+tenantA)
	f.expectMetadata()
	f.expectAuthorizationURL()
	a := newAuthCode(t, f)
	other, err := domain.ParseAuthority("https://login.microsoftonline.com/"+tenantB, domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	flow, err := a.Initiate(testContext(t), usecases.AuthCodeRequest{Scopes: []string{"read"}, RedirectURI: "https://app.example/cb", Authority: &other})
	if err != nil {
		t.Fatal(err)
	}
	// Completed as the client's own tenant: refused before anything is sent.
	if _, err := a.Complete(testContext(t), flow, okQuery(flow)); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("Complete of a tenant-B flow by a tenant-A client = %v; want ErrInvalidFlow", err)
	}
	// Named when completing: the checks go on (here to the state, which is forged).
	forged := url.Values{"state": {"forged"}, "code": {"c"}}
	if _, err := a.CompleteWith(testContext(t), flow, forged, usecases.Completion{Authority: &other}); !errors.Is(err, domain.ErrStateMismatch) {
		t.Fatalf("CompleteWith naming the flow's authority = %v; want the flow accepted and the forged state refused", err)
	}
}
