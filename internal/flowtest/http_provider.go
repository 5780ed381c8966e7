package flowtest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
)

// HTTPProvider is a ProviderFactory for the HTTP adapter (httpidp) talking to the fake
// OIDC server (idptest) over real loopback HTTP. The user signs in through the server's
// login form.
func HTTPProvider(t *testing.T, setup conformance.FlowSetup, clock *memory.Clock) (conformance.FakeProvider, string) {
	t.Helper()
	users := make([]idptest.User, len(setup.Users))
	for i, u := range setup.Users {
		users[i] = idptest.User{Username: u.Username, Password: domain.Secret(u.Password), RequireMFA: u.RequireMFA, Subject: u.Subject}
	}
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Clock: clock, Users: users, Scopes: setup.Scopes, RotateRefreshTokens: setup.Rotate, DetectRefreshTokenReuse: setup.Rotate,
		RefreshIn: setup.RefreshIn, IssuerInResponse: setup.IssuerInResponse, Clients: clients(setup),
		ClientInfo: setup.ClientInfo, OmitIDTokenOnRefresh: setup.OmitIDTokenOnRefresh,
	}})
	idp, err := httpidp.New(httpidp.Config{Clock: clock, RetryWaitMin: 1, RetryWaitMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	return &httpProvider{Provider: idp, srv: srv}, srv.Issuer()
}

// httpProvider is httpidp over idptest as a conformance.FakeProvider: the adapter
// under test serves the engine, the server's counters and switches serve the suite.
type httpProvider struct {
	*httpidp.Provider
	srv *idptest.Server
}

// Calls is the number of token requests of grant the server received.
func (p *httpProvider) Calls(grant domain.GrantKind) int { return p.srv.Requests(grant) }

// RevokeRefreshTokens makes the server refuse username's refresh tokens.
func (p *httpProvider) RevokeRefreshTokens(username string) { p.srv.RevokeRefreshTokens(username) }

// FailNext scripts the server to answer the next token request of grant with status
// and the JSON error code (no body for an empty code).
func (p *httpProvider) FailNext(grant domain.GrantKind, status int, code string) {
	f := idptest.Fault{Grant: grant, Status: status}
	if code != "" {
		f.Error = &idptest.ErrorResponse{Error: code, Description: "scripted by the flow scenario"}
	}
	p.srv.Script(f)
}

// SetIDTokenFault sets the server's ID-token fault.
func (p *httpProvider) SetIDTokenFault(f conformance.IDTokenFault) {
	p.srv.SetIDTokenFault(idTokenFault(f))
}

// ApproveDevice approves the device flow of userCode as username on the server.
func (p *httpProvider) ApproveDevice(userCode, username string) error {
	return p.srv.ApproveDevice(userCode, username)
}

// DenyDevice declines the device flow of userCode on the server.
func (p *httpProvider) DenyDevice(userCode string) error { return p.srv.DenyDevice(userCode) }

// DevicePolls returns the times of the device-code polls the server received.
func (p *httpProvider) DevicePolls() []time.Time { return p.srv.DevicePolls() }

// TenantAuthority is the server's Entra-layout authority of tenant.
func (p *httpProvider) TenantAuthority(tenant string) string { return p.srv.EntraAuthority(tenant) }

// SignIn submits the login form the way a browser would: the authorization request's
// parameters plus the credentials, posted to the authorization endpoint, whose 302
// carries the response back to the app.
func (p *httpProvider) SignIn(ctx context.Context, authURL, username, password string) (url.Values, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	form := u.Query()
	form.Set("username", username)
	form.Set("password", password)
	endpoint := *u
	endpoint.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, domain.Errorf(domain.ErrInvalidResponse, "login form answered %d without a redirect", resp.StatusCode)
	}
	return loc.Query(), nil
}
