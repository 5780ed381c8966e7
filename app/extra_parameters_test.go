package app_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// formRecorder is the caller's transport: it keeps the body of every token request.
type formRecorder struct {
	mu    sync.Mutex
	forms []url.Values
}

func (r *formRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		f, _ := url.ParseQuery(string(b))
		r.mu.Lock()
		r.forms = append(r.forms, f)
		r.mu.Unlock()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *formRecorder) sent() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.forms...)
}

// newRecordedWebApp is a confidential web client over HTTP whose token requests are
// recorded.
func newRecordedWebApp(t *testing.T) (*idptest.Server, *app.ConfidentialClient, *formRecorder) {
	t.Helper()
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: "alice@example.com", Password: "pw"}},
		Clients: []idptest.Client{{ID: "web", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1:8400/callback"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	rec := &formRecorder{}
	cc, err := app.NewConfidentialClient(testContext(t), app.Config{ClientID: "web", Authority: srv.Issuer(), HTTPClient: &http.Client{Transport: rec}}, app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return srv, cc, rec
}

// Extra query parameters reach the authorization URL, extra body parameters the token
// request, and the flow still completes.
func TestExtraParameters_sent(t *testing.T) {
	ctx := testContext(t)
	srv, cc, rec := newRecordedWebApp(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "http://127.0.0.1:8400/callback",
		app.WithExtraQueryParameters(url.Values{"msafed": {"0"}}))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(flow.AuthURI); u.Query().Get("msafed") != "0" {
		t.Fatalf("AuthURI %s lacks msafed=0", flow.AuthURI)
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithExtraBodyParameters(url.Values{"x-tenant-hint": {"contoso"}})); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithExtraBodyParameters(url.Values{"resource_hint": {"orders"}})); err != nil {
		t.Fatal(err)
	}
	forms := rec.sent()
	if len(forms) != 2 || forms[0].Get("x-tenant-hint") != "contoso" || forms[1].Get("resource_hint") != "orders" {
		t.Fatalf("token request forms %v; want the extra parameters in each", forms)
	}
}

// A parameter hexauth sets for the protocol, in any letter case, or extras past the
// bounds, are ErrInvalidInput before any request, naming the parameter but never its
// value.
func TestExtraParameters_refused(t *testing.T) {
	ctx := testContext(t)
	_, cc, rec := newRecordedWebApp(t)
	many := url.Values{}
	for i := range domain.MaxExtraParameters + 1 {
		many.Set(fmt.Sprintf("p%d", i), "v")
	}
	for _, c := range []struct {
		name   string
		params url.Values
	}{
		{"client_id", url.Values{"client_id": {"other-app"}}},
		{"Client_ID in another case", url.Values{"Client_ID": {"other-app"}}},
		{"redirect_uri", url.Values{"redirect_uri": {"https://evil.example/cb"}}},
		{"scope", url.Values{"scope": {"api://admin"}}},
		{"state", url.Values{"state": {"x"}}},
		{"nonce", url.Values{"nonce": {"x"}}},
		{"code_challenge_method", url.Values{"code_challenge_method": {"plain"}}},
		{"response_type", url.Values{"response_type": {"token"}}},
		{"response_mode", url.Values{"response_mode": {"fragment"}}},
		{"grant_type", url.Values{"grant_type": {"password"}}},
		{"code", url.Values{"code": {"x"}}},
		{"refresh_token", url.Values{"refresh_token": {"x"}}},
		{"client_assertion_type", url.Values{"client_assertion_type": {"x"}}},
		{"password", url.Values{"password": {"x"}}},
		{"request object", url.Values{"request": {"eyJ..."}}},
		{"client_info", url.Values{"client_info": {"0"}}},
		{"too many", many},
		{"too large", url.Values{"big": {strings.Repeat("a", domain.MaxExtraParameterBytes)}}},
		{"bad name", url.Values{"a=b": {"x"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "", app.WithExtraQueryParameters(c.params))
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("AuthorizationURL with extra %s = %v; want ErrInvalidInput", c.name, err)
			}
			_, err = cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithExtraBodyParameters(c.params))
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("AcquireTokenForClient with extra %s = %v; want ErrInvalidInput", c.name, err)
			}
			_, err = cc.AcquireTokenByRefreshToken(ctx, "rt-value", []string{"api://orders/read"}, app.WithExtraBodyParameters(c.params))
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("AcquireTokenByRefreshToken with extra %s = %v; want ErrInvalidInput", c.name, err)
			}
			for _, vs := range c.params {
				if len(vs[0]) >= 8 && strings.Contains(err.Error(), vs[0]) {
					t.Fatalf("error %q quotes the parameter's value", err)
				}
			}
		})
	}
	if n := len(rec.sent()); n != 0 {
		t.Fatalf("%d token requests sent; want none", n)
	}
}

// A provider that echoes the request in its error text does not get an extra body
// parameter's value into the error: extras may carry secrets (an API key).
func TestExtraParameters_scrubbedFromProviderText(t *testing.T) {
	ctx := testContext(t)
	srv, cc, _ := newRecordedWebApp(t)
	srv.Script(idptest.Fault{Status: http.StatusBadRequest, EchoRequest: true,
		Error: &idptest.ErrorResponse{Error: "invalid_request", Description: "bad request"}})
	const secret = "sk-live-0123456789abcdef"
	_, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithExtraBodyParameters(url.Values{"api_key": {secret}}))
	if err == nil {
		t.Fatal("the scripted refusal passed")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
		t.Fatalf("error %q carries the extra parameter's value", err)
	}
}

// Regression (extra parameters and the cache): extra body parameters change the
// request (the provider may issue another token for them: RFC 8707's resource, Auth0's
// and Okta's audience, Entra's fmi_path, a tenant's custom claims-mapping switch), and
// the single-flight key and the throttle key already count them as another request —
// but the cache does not: a token requested WithExtraBodyParameters is served from the
// cache to the same scopes asked without them, and the reverse. MSAL.NET keys the cache
// on such parameters (WithExtraQueryParameters' cache-key components; FMI path).
// Fails on main: the second call is served from the cache without a token request.
func TestExtraParameters_bodyParametersSeparateCachedAppTokens(t *testing.T) {
	ctx := testContext(t)
	_, cc, rec := newRecordedWebApp(t)
	scopes := []string{"api://orders/.default"}
	first, err := cc.AcquireTokenForClient(ctx, scopes, app.WithExtraBodyParameters(url.Values{"resource": {"https://other.example"}}))
	if err != nil {
		t.Fatal(err)
	}
	second, err := cc.AcquireTokenForClient(ctx, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.sent()) != 2 || second.AccessToken == first.AccessToken {
		t.Errorf("a call without extra parameters was served the token requested with resource=https://other.example (%d token requests; want 2)", len(rec.sent()))
	}
	// The reverse: the plain token, now cached, is not served to a call that asks for
	// another resource.
	third, err := cc.AcquireTokenForClient(ctx, scopes, app.WithExtraBodyParameters(url.Values{"resource": {"https://other.example"}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.sent()) != 3 || third.AccessToken == second.AccessToken || third.TokenSource != domain.SourceIdentityProvider {
		t.Errorf("a call with resource=https://other.example was served the plain cached token (%d token requests; want 3)", len(rec.sent()))
	}
}

// A user flow redeemed with extra body parameters keeps the account, its refresh token
// and ID token, but not the access token, which those parameters may have changed: a
// later silent call for the same scopes refreshes instead of serving it.
func TestExtraParameters_bodyParametersKeepUserAccessTokenOutOfTheCache(t *testing.T) {
	ctx := testContext(t)
	srv, cc, rec := newRecordedWebApp(t)
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	first, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithExtraBodyParameters(url.Values{"resource": {"https://other.example"}}))
	if err != nil {
		t.Fatal(err)
	}
	silent, err := cc.AcquireTokenSilent(ctx, []string{"api://orders/read"}, first.Account)
	if err != nil {
		t.Fatalf("silent after a redemption with extra parameters = %v; want a refresh with the kept refresh token", err)
	}
	if silent.AccessToken == first.AccessToken || silent.TokenSource != domain.SourceIdentityProvider || len(rec.sent()) != 2 {
		t.Errorf("silent served the access token issued for resource=https://other.example (%d token requests; want 2)", len(rec.sent()))
	}
}
