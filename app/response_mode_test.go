package app_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// postForm is the browser submitting a form_post page: a POST of v to the redirect URI.
func postForm(target string, v url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// With form_post the provider has the browser POST the response; the web app reads it
// with ReadAuthResponse (r.PostForm) and completes the flow, which recorded the mode.
func TestResponseMode_formPost(t *testing.T) {
	ctx := testContext(t)
	srv, cc := newHTTPWebApp(t)
	const cb = "http://127.0.0.1:8400/callback"
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, cb, app.WithResponseMode(app.ResponseModeFormPost))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(flow.AuthURI); u.Query().Get("response_mode") != "form_post" || flow.ResponseMode != app.ResponseModeFormPost {
		t.Fatalf("AuthURI %s, flow mode %q; want response_mode=form_post recorded", flow.AuthURI, flow.ResponseMode)
	}
	fields, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	resp, mode, err := app.ReadAuthResponse(postForm(cb, fields))
	if err != nil || mode != app.ResponseModeFormPost {
		t.Fatalf("ReadAuthResponse = %v, %q, %v; want the form and form_post", resp, mode, err)
	}
	// The same response taken as a query (r.URL.Query(), say) is refused before the
	// code is sent, and the flow stays usable.
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp); !errors.Is(err, domain.ErrInvalidResponse) {
		t.Fatalf("a form_post flow completed from a query = %v; want ErrInvalidResponse", err)
	}
	if n := srv.Requests(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("the refused completion sent %d code redemptions; want 0", n)
	}
	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithResponseMode(mode))
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessToken == "" {
		t.Fatal("no access token")
	}
}

// A query flow refuses a response declared as POSTed; a flow whose response mode was
// edited after initiation is refused as tampered with.
func TestResponseMode_mismatch(t *testing.T) {
	ctx := testContext(t)
	srv, cc := newHTTPWebApp(t)
	const cb = "http://127.0.0.1:8400/callback"
	flow, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, cb)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.SignIn(ctx, flow.AuthURI, "alice@example.com", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithResponseMode(app.ResponseModeFormPost)); !errors.Is(err, domain.ErrInvalidResponse) {
		t.Fatalf("a query flow completed from a form = %v; want ErrInvalidResponse", err)
	}
	edited := flow
	edited.ResponseMode = app.ResponseModeFormPost
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, edited, resp, app.WithResponseMode(app.ResponseModeFormPost)); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("a flow whose response mode was edited = %v; want ErrInvalidFlow", err)
	}
	if n := srv.Requests(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("refused completions sent %d code redemptions; want 0", n)
	}
	if _, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithResponseMode(app.ResponseModeQuery)); err != nil {
		t.Fatalf("the flow, completed as it asked: %v", err)
	}
}

// fragment is refused for a confidential client (its server never sees a fragment) and
// allowed for a public one; an unknown mode is refused for both.
func TestResponseMode_fragmentAndUnknown(t *testing.T) {
	ctx := testContext(t)
	_, cc := newHTTPWebApp(t)
	if _, err := cc.InitiateAuthCodeFlow(ctx, []string{"api://orders/read"}, "", app.WithResponseMode(app.ResponseModeFragment)); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("fragment for a confidential client = %v; want ErrInvalidInput", err)
	}
	if _, err := cc.AuthorizationURL(ctx, []string{"api://orders/read"}, "", app.WithResponseMode("web_message")); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("an unknown response mode = %v; want ErrInvalidInput", err)
	}
	clock := memory.NewClock(exampleStart)
	pc := newPublicClient(ctx, newFake(clock), clock)
	defer pc.Close()
	flow, err := pc.InitiateAuthCodeFlow(ctx, readOrders, "http://127.0.0.1:8400/", app.WithResponseMode(app.ResponseModeFragment))
	if err != nil || flow.ResponseMode != app.ResponseModeFragment {
		t.Fatalf("fragment for a public client = %v, %v; want a flow recording it", flow.ResponseMode, err)
	}
	if _, err := pc.AcquireTokenInteractive(ctx, readOrders, app.WithResponseMode(app.ResponseModeFormPost)); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("AcquireTokenInteractive with form_post = %v; want ErrInvalidInput", err)
	}
}

// ReadAuthResponse takes a GET's query or a POSTed form, and refuses what cannot be
// told apart or read: a POST also carrying response parameters in its URL, another
// media type, a body past 64 KiB, another method.
func TestReadAuthResponse(t *testing.T) {
	if v, mode, err := app.ReadAuthResponse(httptest.NewRequest(http.MethodGet, "/cb?code=c1&state=s1", nil)); err != nil || mode != app.ResponseModeQuery || v.Get("code") != "c1" {
		t.Fatalf("GET = %v, %q, %v; want the query", v, mode, err)
	}
	mixed := postForm("/cb?code=injected", url.Values{"code": {"c1"}, "state": {"s1"}})
	json := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(`{"code":"c1"}`))
	json.Header.Set("Content-Type", "application/json")
	big := postForm("/cb", url.Values{"code": {"c1"}, "pad": {strings.Repeat("a", 70<<10)}})
	put := httptest.NewRequest(http.MethodPut, "/cb", nil)
	for name, r := range map[string]*http.Request{"mixed": mixed, "json": json, "too large": big, "PUT": put} {
		if _, _, err := app.ReadAuthResponse(r); !errors.Is(err, domain.ErrInvalidResponse) {
			t.Errorf("ReadAuthResponse(%s) = %v; want ErrInvalidResponse", name, err)
		}
	}
	const secretCode = "c0de-%zz-secret"
	bad := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader("code="+secretCode))
	bad.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, _, err := app.ReadAuthResponse(bad); err == nil || strings.Contains(err.Error(), "%zz") {
		t.Fatalf("an unparsable form = %v; want an error quoting none of the body", err)
	}
}
